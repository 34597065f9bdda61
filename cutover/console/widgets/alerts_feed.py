"""The alerts feed: trigger outcomes, provider errors, stale sources; newest at the bottom."""

from __future__ import annotations

from collections import deque
from datetime import tzinfo

from rich.text import Text
from textual import events
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
        # What was written, to write again at a new width: lines written while the panel was hidden (a short
        # terminal) were wrapped to nothing, and a panel that changes width would keep the old wrapping.
        self._entries: deque[Text] = deque(maxlen=500)
        self._written_width = 0

    def _add(self, line: Text) -> None:
        self._entries.append(line)
        if self._written_width:
            self.write(line)

    def on_resize(self, event: events.Resize) -> None:
        width = self.scrollable_content_region.width
        if width and width != self._written_width:
            self._written_width = width
            self.clear()
            for line in self._entries:
                self.write(line, width=width)
            self.scroll_end(animate=False, immediate=True)

    def add_event(self, event: Event) -> None:
        severity = str(event.detail.get("severity", "warning"))
        style = "bold bright_red" if severity in ("critical", "error") else "yellow"
        line = Text()
        line.append(_time(event.ts, self.zone) + " ", style="dim")
        if event.tenant_id and not event.what.startswith(event.tenant_id):  # "T-0555: trigger ..." names it once
            line.append(visible(event.tenant_id + " "), style="bold")
        line.append(visible(event.what), style=style)
        if event.why:
            line.append(visible(f"  ({event.why})"), style="dim")
        self._add(line)
        self.count += 1

    def add_note(self, ts: float, message: str, style: str = "yellow") -> None:
        """An alert the console itself raises, e.g. a source gone stale or the store unreadable."""
        line = Text()
        line.append(_time(ts, self.zone) + " ", style="dim")
        line.append(visible(message), style=style)
        self._add(line)
        self.count += 1
