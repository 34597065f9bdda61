"""The report templates (package data: *.md.j2, *.html.j2)."""
