"""How the headless commands print: rich tables for people, stable JSON for scripts.

The JSON documents are versioned by their `schema` field and described in the
README; add fields freely, never rename or remove one within a version. Each family's
printing lives beside it (tenant_text.py, event_text.py, job_text.py, config.py, matrix.py);
what they share is here: the console to print on, and times as ISO 8601.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from rich.console import Console


def make_console() -> Console:
    # Piped into grep or a file, nothing is cut to fit: the terminal's width only
    # applies when there is a terminal.
    width = None if sys.stdout.isatty() else 1000
    return Console(highlight=False, soft_wrap=False, width=width)


def measured(value: float | None, places: int = 1) -> float | None:
    """A measurement as precise as it is meaningful (p95 to 0.1 ms), not a float's 17 digits."""
    return None if value is None else round(value, places)


def in_terminal() -> bool:
    return sys.stdout.isatty()


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def iso_text(text: str | None) -> str | None:
    """A time the store keeps as ISO text (the audit trail's wall time), in the same form as iso()."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return iso(parsed.timestamp())
