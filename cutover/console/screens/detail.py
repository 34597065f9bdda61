"""`enter`: one tenant in full: the decision gate check by check (the engine's own evaluation, with
its evidence), the last hour as sparklines, its event timeline."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Sparkline, Static

from cutover.console.feed import TenantDetail
from cutover.console.fleet import STATE_LABEL, STATE_STYLE
from cutover.console.screens.report import gate_table


def timeline(detail: TenantDetail) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(no_wrap=True, style="dim")
    table.add_column(no_wrap=True)
    table.add_column()
    for event in reversed(detail.events[-40:]):
        when = datetime.fromtimestamp(event.ts, UTC).strftime("%m-%d %H:%M:%S")
        style = "bold red" if event.kind == "alert" else ""
        why = f" ({event.why})" if event.why else ""
        table.add_row(when, event.operator, Text(event.what + why, style=style))
    if not detail.events:
        table.add_row("", "", Text("no events yet", style="dim"))
    return table


def _last(series: list[float], fmt: Callable[[float], str]) -> str:
    return fmt(series[-1]) if series else "no samples"


class TenantDetailScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter", "app.pop_screen", "Back")]

    def __init__(self, tenant_id: str, read: Callable[[str], TenantDetail]) -> None:
        super().__init__()
        self.tenant_id = tenant_id
        self._read = read
        self._wake = asyncio.Event()

    def compose(self) -> ComposeResult:
        yield Static(Text(f"{self.tenant_id}: reading…", style="bold"), id="detail-title")
        with Horizontal(id="detail-top"):
            yield Static("", id="detail-gates")
            with Vertical(id="detail-sparks"):
                for key, label in (("share", "OCI share"), ("errors", "error rate"), ("p95", "p95")):
                    yield Static(label, id=f"label-{key}", classes="spark-label")
                    yield Sparkline([], id=f"spark-{key}", classes="spark")
        with VerticalScroll(id="detail-timeline"):
            yield Static("", id="detail-events")
        yield Footer()

    def on_mount(self) -> None:
        self._poll()

    def refresh_now(self) -> None:
        self._wake.set()

    @work(exclusive=True, group="detail", exit_on_error=False)
    async def _poll(self) -> None:
        while True:
            try:
                detail = await asyncio.to_thread(self._read, self.tenant_id)
            except Exception as exc:  # the store may be busy or gone: say so, keep trying
                self.query_one("#detail-title", Static).update(
                    Text(f"{self.tenant_id}: cannot read the store ({exc}); retrying", style="bold red")
                )
            else:
                self.show(detail)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)

    def show(self, detail: TenantDetail) -> None:
        tenant = detail.tenant
        title = Text()
        title.append(f"{tenant.tenant_id}", style="bold")
        title.append(f" {tenant.name}  wave {tenant.wave} {tenant.tier}  {tenant.dns_name}  ")
        title.append(STATE_LABEL[tenant.lifecycle], style=STATE_STYLE[tenant.lifecycle])
        title.append(f"  next: {detail.row.cell('next').text}")
        self.query_one("#detail-title", Static).update(title)
        self.query_one("#detail-gates", Static).update(gate_table([detail.gate]))
        labels = {
            "share": f"OCI share, last hour: now {_last(detail.oci_share, lambda v: f'{v * 100:.0f}%')}",
            "errors": f"error rate: now {_last(detail.error_rate, lambda v: f'{v * 100:.2f}%')}",
            "p95": f"p95: now {_last(detail.p95_ms, lambda v: f'{v:.0f} ms')}",
        }
        for key, series in (("share", detail.oci_share), ("errors", detail.error_rate), ("p95", detail.p95_ms)):
            self.query_one(f"#label-{key}", Static).update(labels[key])
            self.query_one(f"#spark-{key}", Sparkline).data = series
        self.query_one("#detail-events", Static).update(timeline(detail))
