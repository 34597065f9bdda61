"""What the operator sees and presses: the Textual app, its screens and widgets, the CLI."""
