"""Values people typed, shown as typed: never read as Rich markup, never a terminal control."""

from __future__ import annotations

from rich.markup import escape
from rich.text import Text

from cutover.config.text import visible


def plain(value: object, style: str = "") -> Text:
    """A value as a Rich Text: "[/]" or "approved [per INC-123]" shows whole, ESC shows as \\x1b."""
    return Text(visible(str(value)), style=style)


def literal(value: object) -> str:
    """A value to put inside a markup string, its brackets shown as typed and its controls escaped."""
    return escape(visible(str(value)))
