"""Text people typed (customer names, reasons, operator names), made harmless to show.

A control character in a value written to a terminal is an instruction to it:
ESC starts a sequence that can retitle the window, clear the screen or move the
cursor; a bidirectional override reorders what the reader sees. Such characters
are refused where text comes in (the matrix) and shown escaped (as `\\x1b`)
wherever a value already stored is shown.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the invisible format characters that reorder or hide text.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def control_in(text: str) -> str | None:
    """How the first control character in `text` is written (`\\x1b`, `\\u202e`), or None if it has none."""
    found = CONTROL.search(text)
    return _escaped(found) if found else None


def visible(text: str) -> str:
    """`text` with each control character replaced by its escape, so printing it only ever prints."""
    return CONTROL.sub(_escaped, text)


def visible_lines(text: str) -> str:
    """Like visible(), keeping line breaks: for messages of several lines."""
    return "\n".join(visible(line) for line in text.split("\n"))


def _escaped(found: re.Match[str]) -> str:
    char = found.group()
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
