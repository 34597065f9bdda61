"""`enter`: one tenant in full: the gate's evidence, the last hour as sparklines, its event timeline."""

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

from cutover.config.settings import GateSettings
from cutover.console.feed import TenantDetail
from cutover.console.fleet import STATE_LABEL, STATE_STYLE, age_text
from cutover.state.tenants import Tenant


def gate_evidence(tenant: Tenant, now: float, gates: GateSettings) -> Table:
    """Each pre-flight check as observed: pass, fail or unknown, with what it rests on and how old that is."""
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    table.add_column("CHECK", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("EVIDENCE")

    def verdict(ok: bool | None, at: float | None, max_age: float) -> Text:
        if ok is None or at is None:
            return Text("?", style="dim")
        if now - at > max_age:
            return Text("stale", style="bold yellow")
        return Text("pass", style="green") if ok else Text("FAIL", style="bold red")

    lag = tenant.sync_lag_s
    table.add_row(
        "sync lag",
        verdict(None if lag is None else lag <= gates.max_sync_lag, tenant.verified_at, gates.verification_max_age),
        f"lag {'-' if lag is None else f'{lag:.0f}s'}, verified {age_text(tenant.verified_at, now)}",
    )
    mismatches = tenant.checksum_mismatches
    table.add_row(
        "checksums",
        verdict(None if mismatches is None else mismatches == 0, tenant.verified_at, gates.verification_max_age),
        f"{'-' if mismatches is None else mismatches} mismatches",
    )
    passed, total = tenant.validation_passed, tenant.validation_total
    table.add_row(
        "validation",
        verdict(
            None if passed is None or total is None else passed >= gates.validation_checks and passed == total,
            tenant.validated_at,
            gates.validation_max_age,
        ),
        f"{'-' if passed is None else passed}/{'-' if total is None else total}, "
        f"run {age_text(tenant.validated_at, now)}",
    )
    healthy, backends = tenant.backends_healthy, tenant.backends_total
    table.add_row(
        "backends",
        verdict(
            None if healthy is None or backends is None else healthy >= gates.min_backends and healthy == backends,
            tenant.health_at,
            gates.stale_after,
        ),
        f"{'-' if healthy is None else healthy}/{'-' if backends is None else backends} healthy, "
        f"checked {age_text(tenant.health_at, now)}",
    )
    table.add_row(
        "hydration",
        verdict(True if tenant.hydrated_at else None, tenant.hydrated_at, gates.hydration_max_age),
        f"OCI cluster hydrated {age_text(tenant.hydrated_at, now)}",
    )
    return table


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

    def __init__(self, tenant_id: str, read: Callable[[str], TenantDetail], gates: GateSettings) -> None:
        super().__init__()
        self.tenant_id = tenant_id
        self._read = read
        self._gates = gates
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
        self.query_one("#detail-gates", Static).update(gate_evidence(tenant, detail.now, self._gates))
        labels = {
            "share": f"OCI share, last hour: now {_last(detail.oci_share, lambda v: f'{v * 100:.0f}%')}",
            "errors": f"error rate: now {_last(detail.error_rate, lambda v: f'{v * 100:.2f}%')}",
            "p95": f"p95: now {_last(detail.p95_ms, lambda v: f'{v:.0f} ms')}",
        }
        for key, series in (("share", detail.oci_share), ("errors", detail.error_rate), ("p95", detail.p95_ms)):
            self.query_one(f"#label-{key}", Static).update(labels[key])
            self.query_one(f"#spark-{key}", Sparkline).data = series
        self.query_one("#detail-events", Static).update(timeline(detail))
