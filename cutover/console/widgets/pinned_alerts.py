"""Pinned alerts: a hold, an automatic rollback, a failing source stay here, above the scrolling feed, until an
operator acknowledges them. Later lines ("source ... current again") scroll below and never push them out.

Reverse and bold for the label, so NO_COLOR keeps it; hidden while nothing is pinned.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from rich.text import Text
from textual.widgets import Static

from cutover.config.text import visible
from cutover.config.units import format_clock
from cutover.state.events import Event


def pinned_text(events: Sequence[Event], zone: tzinfo | None, acknowledge_key: str) -> Text:
    """ "PINNED 2 (A acknowledges)" then the newest first, each with its time in the window's zone."""
    text = Text()
    text.append(f" PINNED {len(events)} ", style="bold reverse")
    text.append(f" ({acknowledge_key} acknowledges) ", style="bold")
    for index, event in enumerate(reversed(events)):
        if index:
            text.append("\n")
        critical = str(event.detail.get("severity", "")) in ("critical", "error")
        text.append(format_clock(event.ts, zone, seconds=True).split(" ")[0] + " ", style="dim")
        if event.tenant_id and not event.what.startswith(event.tenant_id):
            text.append(visible(event.tenant_id + " "), style="bold")
        text.append(visible(event.what), style="bold bright_red" if critical else "bold yellow")
    return text


class PinnedAlerts(Static):
    """Renders the pinned alerts it is given; shown only while there are some."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.events: tuple[Event, ...] = ()
        self.display = False

    def show(self, events: Sequence[Event], zone: tzinfo | None, acknowledge_key: str = "A") -> None:
        events = tuple(events)
        if events == self.events:
            return
        self.events = events
        self.display = bool(events)
        self.update(pinned_text(events, zone, acknowledge_key) if events else "")
