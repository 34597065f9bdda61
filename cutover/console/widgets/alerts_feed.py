"""The alerts feed: trigger outcomes, provider errors, stale sources; newest at the bottom."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual.widgets import RichLog

from cutover.state.events import Event


def _hhmmss(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%H:%M:%S")


class AlertsFeed(RichLog):
    """Keeps the last few hundred alerts; new ones scroll in, nothing else is redrawn."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, max_lines=500, wrap=False, markup=False, highlight=False, auto_scroll=True)
        self.count = 0
        self.can_focus = False

    def add_event(self, event: Event) -> None:
        severity = str(event.detail.get("severity", "warning"))
        style = "bold red" if severity in ("critical", "error") else "yellow"
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(_hhmmss(event.ts) + " ", style="dim")
        if event.tenant_id:
            line.append(event.tenant_id + " ", style="bold")
        line.append(event.what, style=style)
        if event.why:
            line.append(f"  ({event.why})", style="dim")
        self.write(line)
        self.count += 1

    def add_note(self, ts: float, message: str, style: str = "yellow") -> None:
        """An alert the console itself raises, e.g. a source gone stale or the store unreadable."""
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(_hhmmss(ts) + " ", style="dim")
        line.append(message, style=style)
        self.write(line)
        self.count += 1
