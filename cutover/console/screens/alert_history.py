"""`H`: every alert, newest first, with its time in the migration window's zone; which are still pinned."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import tzinfo
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from cutover.actions.plan.read_model import pinned_alert
from cutover.config.text import visible
from cutover.config.units import format_clock
from cutover.state.events import Event


def history_text(alerts: Sequence[Event], acknowledged_up_to: int, zone: tzinfo | None) -> Text:
    """One alert a line, newest first: "03:04:05 EST  critical  T-0002 ... [pinned]"."""
    text = Text()
    if not alerts:
        text.append("no alert yet tonight", style="dim")
    for event in reversed(alerts):
        severity = str(event.detail.get("severity", "warning"))
        style = "bold bright_red" if severity in ("critical", "error") else "yellow" if severity == "warning" else ""
        text.append(format_clock(event.ts, zone, seconds=True) + "  ", style="dim")
        text.append(f"{severity:<8} ", style=style)
        if event.tenant_id and not event.what.startswith(event.tenant_id):
            text.append(visible(event.tenant_id + " "), style="bold")
        text.append(visible(event.what))
        if event.why:
            text.append(visible(f"  ({event.why})"), style="dim")
        if pinned_alert(event):
            acknowledged = event.seq <= acknowledged_up_to
            text.append("  [acknowledged]" if acknowledged else "  [PINNED]", style="dim" if acknowledged else "bold")
        text.append("\n")
    return text


class AlertHistoryScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,H,q", "app.pop_screen", "Back")]

    def __init__(self, read: Callable[[], tuple[list[Event], int]], zone: tzinfo | None) -> None:
        super().__init__()
        self._read = read
        self.zone = zone
        self.alerts: list[Event] = []

    def compose(self) -> ComposeResult:
        yield Static(Text("Alert history: reading…", style="bold"), id="history-title")
        with VerticalScroll(id="history-body"):
            yield Static("", id="history-list")
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    @work(exclusive=True, group="history", exit_on_error=False)
    async def _load(self) -> None:
        try:
            alerts, acknowledged = await asyncio.to_thread(self._read)
        except Exception as exc:  # the store may be busy: say so
            self.query_one("#history-title", Static).update(
                Text(f"cannot read the store: {exc}", style="bold bright_red")
            )
            return
        self.alerts = alerts
        pinned = sum(1 for event in alerts if pinned_alert(event) and event.seq > acknowledged)
        title = f"Alert history: {len(alerts)} alert{'s' * (len(alerts) != 1)}, newest first"
        if pinned:
            title += f"; {pinned} pinned until acknowledged"
        self.query_one("#history-title", Static).update(Text(title, style="bold"))
        self.query_one("#history-list", Static).update(history_text(alerts, acknowledged, self.zone))
