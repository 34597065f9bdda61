"""The alerts feed: trigger outcomes, provider errors, stale sources; newest at the bottom."""

from __future__ import annotations

from datetime import tzinfo

from rich.text import Text
from textual.widgets import RichLog

from cutover.config.text import visible
from cutover.config.units import format_clock
from cutover.state.events import Event


def _time(ts: float, zone: tzinfo | None) -> str:
    """HH:MM:SS in the migration window's zone; the header above names the zone (the panel is narrow)."""
    return format_clock(ts, zone, seconds=True).split(" ")[0]


class AlertsFeed(RichLog):
    """Keeps the last few hundred alerts; new ones scroll in, nothing else is redrawn."""

    def __init__(self, *, id: str | None = None) -> None:
        # Wrapped, never cut: an alert's end ("...is stale: its figures are not current") is its point.
        # min_width=0: RichLog's default (78) would render lines wider than the panel, cut at its edge.
        super().__init__(id=id, max_lines=500, wrap=True, min_width=0, markup=False, highlight=False, auto_scroll=True)
        self.count = 0
        self.can_focus = False
        self.zone: tzinfo | None = None  # the migration window's zone: alert times are shown in it

    def add_event(self, event: Event) -> None:
        severity = str(event.detail.get("severity", "warning"))
        style = "bold red" if severity in ("critical", "error") else "yellow"
        line = Text()
        line.append(_time(event.ts, self.zone) + " ", style="dim")
        if event.tenant_id and not event.what.startswith(event.tenant_id):  # "T-0555: trigger ..." names it once
            line.append(visible(event.tenant_id + " "), style="bold")
        line.append(visible(event.what), style=style)
        if event.why:
            line.append(visible(f"  ({event.why})"), style="dim")
        self.write(line)
        self.count += 1

    def add_note(self, ts: float, message: str, style: str = "yellow") -> None:
        """An alert the console itself raises, e.g. a source gone stale or the store unreadable."""
        line = Text()
        line.append(_time(ts, self.zone) + " ", style="dim")
        line.append(visible(message), style=style)
        self.write(line)
        self.count += 1
