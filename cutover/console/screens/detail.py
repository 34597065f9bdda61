"""`enter`: one tenant in full: the decision gate check by check (the engine's own evaluation, with
its evidence, blocking checks first), the last hour as sparklines, its event timeline.

The whole body scrolls (Down, PgDn, Home, End) and has the focus: every check can
be reached at 80x24, however long its evidence.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from functools import partial
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Static

from cutover.config.text import visible
from cutover.config.units import format_clock, format_day_clock, format_duration
from cutover.console.detail_read import TenantDetail
from cutover.console.fleet.columns import STATE_LABEL, STATE_STYLE
from cutover.console.fleet.dns_names import name_rows, propagation_of
from cutover.console.keys import BY_NAME, TENANT_ACTIONS
from cutover.console.plain import plain
from cutover.console.screens.help import HelpScreen, live_binding_rows
from cutover.console.screens.jobs import JOB_STATE_STYLE, STEP_MARK
from cutover.console.screens.report import gate_table
from cutover.console.screens.tenant_keys import TenantActionKeys
from cutover.console.store_poll import poll_store
from cutover.console.widgets.scaled_sparkline import ScaledSparkline
from cutover.model.jobs import StepState
from cutover.model.lifecycle import Lifecycle
from cutover.state.holds import TenantHold
from cutover.state.job_records import Step

LEADS_WITH_JOB = frozenset({Lifecycle.CUTTING_OVER, Lifecycle.MONITORING, Lifecycle.ROLLING_BACK, Lifecycle.MIGRATED})


def flight_text(detail: TenantDetail, zone: tzinfo | None, max_rollbacks: int) -> Text:
    """The job that has the tenant (if one is on record), its steps as they stand, and the way back (one key)."""
    tenant = detail.tenant
    text = Text()
    steps: tuple[Step, ...] = ()
    if detail.job is not None:
        job = detail.job.job
        text.append(f"{job.job_id} ", style="bold")
        text.append(job.state.value, style=JOB_STATE_STYLE.get(job.state, ""))
        text.append_text(plain(f"  {job.kind} by {job.operator}: {job.reason}"))
        text.append("\n")
        steps = detail.job.steps_of(tenant.tenant_id)
    for step in steps:
        mark, style = STEP_MARK.get(step.state, ("?", ""))
        text.append(f"  {mark} ", style=style)
        text.append(f"{step.name.replace('_', ' '):<13}")
        if step.started_at is not None:
            text.append(format_clock(step.started_at, zone), style="dim")
        if step.name == "monitoring" and tenant.monitoring_until is not None and step.state is StepState.RUNNING:
            text.append(f"  {format_duration(max(0.0, tenant.monitoring_until - detail.now))} left", style="bold")
        elif step.result:
            text.append_text(plain(f"  {step.result}", "dim"))
        text.append("\n")
    if tenant.lifecycle is not Lifecycle.ROLLING_BACK:
        text.append("Way back: ", style="bold")
        text.append(
            f"r rolls {tenant.tenant_id} back to AWS (one DNS change set); rollbacks tonight: "
            f"{detail.rollbacks_tonight} of {max_rollbacks}"
        )
        for line in detail.way_back:  # informs; a rollback is never refused for it
            text.append("\n  ")
            text.append_text(plain(line))
    return text


def timeline(detail: TenantDetail, zone: tzinfo | None = None) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(no_wrap=True, style="dim")
    table.add_column(no_wrap=True)
    table.add_column()
    for event in reversed(detail.events[-40:]):
        when = datetime.fromtimestamp(event.ts, zone or UTC).strftime("%m-%d %H:%M:%S %Z")
        style = "bold bright_red" if event.kind == "alert" else ""
        why = f" ({event.why})" if event.why else ""
        table.add_row(when, plain(event.operator), plain(event.what + why, style))
    if not detail.events:
        table.add_row("", "", Text("no events yet", style="dim"))
    return table


def _last(series: list[float], fmt: Callable[[float], str]) -> str:
    return fmt(series[-1]) if series else "no samples"


NARROW = 110


# The footer keeps the tenant's main actions; sync, validate, approve and the rest are in help and the palette.
DETAIL_FOOTER = ("gate", "cutover", "ramp", "rollback", "dry_run")


def tenant_bindings() -> list[BindingType]:
    """The keys that act on one tenant, as on the fleet (same ids: remaps apply here too)."""
    return [
        Binding(
            spec.keys,
            spec.action,
            spec.description,
            show=spec.name in DETAIL_FOOTER,
            id=spec.name,
            priority=spec.opens_input,
        )
        for spec in (BY_NAME[name] for name in TENANT_ACTIONS)
    ]


class TenantDetailScreen(TenantActionKeys, Screen[None]):
    """One tenant in full; c, R, r, g, d and ? act on it as they do on the fleet."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter", "app.pop_screen", "Back"), *tenant_bindings()]

    def __init__(
        self,
        tenant_id: str,
        read: Callable[[str], TenantDetail],
        *,
        error_threshold: float = 0.01,
        zone: tzinfo | None = None,
        max_rollbacks: int = 2,
    ) -> None:
        super().__init__()
        self.tenant_id = tenant_id
        self._read = read
        self.error_threshold = error_threshold  # the error-rate sparkline reaches at least this high
        self.zone = zone  # the migration window's zone: the timeline's times are shown in it
        self.max_rollbacks = max_rollbacks
        self._wake = asyncio.Event()

    def compose(self) -> ComposeResult:
        yield Static(Text(f"{self.tenant_id}: reading…", style="bold"), id="detail-title")
        with VerticalScroll(id="detail-body"):
            with Horizontal(id="detail-top"):
                yield Static("", id="detail-gates")
                with Vertical(id="detail-sparks"):
                    for key, label in (("share", "OCI share"), ("errors", "error rate"), ("p95", "p95")):
                        yield Static(label, id=f"label-{key}", classes="spark-label")
                        yield ScaledSparkline(id=f"spark-{key}", classes="spark")
            with Vertical(id="detail-timeline"):
                yield Static("", id="detail-events")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#detail-body", VerticalScroll).focus()
        self._poll()

    # --- acting on this tenant (the app's acting code takes the tenant of the detail on top) --------------

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(live_binding_rows(self, self.tenant_id), title=f"Keys on {self.tenant_id}"))

    def on_resize(self, event: Resize) -> None:
        # Under 110 columns the gate checks take the whole width and the sparklines go below them.
        self.set_class(event.size.width < NARROW, "-narrow")

    def refresh_now(self) -> None:
        self._wake.set()

    @work(exclusive=True, group="detail", exit_on_error=False)
    async def _poll(self) -> None:
        await poll_store(partial(self._read, self.tenant_id), self.show, self._read_failed, self._wake)

    def _read_failed(self, exc: Exception) -> None:
        """The store may be busy or gone: say so, keep trying."""
        self.query_one("#detail-title", Static).update(
            Text(f"{self.tenant_id}: cannot read the store ({exc}); retrying", style="bold bright_red")
        )

    def show(self, detail: TenantDetail) -> None:
        tenant = detail.tenant
        title = Text()
        title.append(f"{tenant.tenant_id}", style="bold")
        title.append(visible(f" {tenant.name}  wave {tenant.wave} {tenant.tier}  {tenant.dns_name}  "))
        title.append(STATE_LABEL[tenant.lifecycle], style=STATE_STYLE[tenant.lifecycle])
        title.append(visible(f"  next: {detail.row.cell('next').text}"))
        self.query_one("#detail-title", Static).update(title)
        gates = gate_table([detail.gate], one_tenant=True)
        if tenant.lifecycle in LEADS_WITH_JOB:
            # In flight or on OCI the job, the watch and the way back matter first; the gate is for a next cutover.
            watching = detail.watch.removeprefix("watch ")
            watch = [Text.assemble(("Watch: ", "bold"), plain(watching))] if watching else []
            shown: RenderableType = Group(
                *watch,
                flight_text(detail, self.zone, self.max_rollbacks),
                Text("\nGate (for a next cutover):", style="bold"),
                gates,
            )
        else:
            shown = gates
        if tenant.several_names:
            shown = Group(names_table(detail), Text(""), shown)
        if detail.hold is not None:
            shown = Group(Text.assemble(("Hold: ", "bold"), plain(hold_line(detail.hold, self.zone))), shown)
        self.query_one("#detail-gates", Static).update(shown)
        labels = {
            "share": f"OCI share, last hour: now {_last(detail.oci_share, lambda v: f'{v * 100:.0f}%')}",
            "errors": f"error rate: now {_last(detail.error_rate, lambda v: f'{v * 100:.2f}%')}",
            "p95": f"p95: now {_last(detail.p95_ms, lambda v: f'{v:.0f} ms')}",
        }
        ceilings = {
            "share": 1.0,
            "errors": max([self.error_threshold, *detail.error_rate]),
            "p95": max([1.0, *detail.p95_ms]),
        }
        if detail.error_rate:
            labels["errors"] += f" (scale 0-{ceilings['errors'] * 100:.2g}%)"
        if detail.p95_ms:
            labels["p95"] += f" (scale 0-{ceilings['p95']:.0f} ms)"
        if detail.oci_share:
            labels["share"] += " (scale 0-100%)"
        for key, series in (("share", detail.oci_share), ("errors", detail.error_rate), ("p95", detail.p95_ms)):
            self.query_one(f"#label-{key}", Static).update(labels[key])
            spark = self.query_one(f"#spark-{key}", ScaledSparkline)
            spark.ceiling = ceilings[key]
            spark.data = list(series)
        self.query_one("#detail-events", Static).update(timeline(detail, self.zone))


SIDE_STYLE = {"AWS": "", "OCI": "bright_green", "no record": "bold bright_red", "neither target": "bold bright_red"}


def names_table(detail: TenantDetail) -> Table:
    """A tenant with several DNS names: each name, where it sends traffic now, its record and how its last
    change propagated."""
    table = Table(box=None, pad_edge=False, show_header=False, title="DNS names (moved together)")
    table.title_justify = "left"
    table.add_column(no_wrap=True, overflow="fold")
    table.add_column(no_wrap=True)
    table.add_column()
    for row in name_rows(detail.tenant):
        propagation = propagation_of(detail.events, row.name)
        record = plain(row.routing or "-")
        if propagation:
            record.append_text(plain(f", {propagation}", "dim"))
        table.add_row(plain(row.where), Text(row.side, style=SIDE_STYLE.get(row.side, "yellow")), record)
    return table


def hold_line(hold: TenantHold, zone: tzinfo | None) -> str:
    """ "held by bob (03-05 02:10 EST): customer asked to reschedule; until unhold"."""
    until = f"until {format_day_clock(hold.not_before, zone)}" if hold.not_before is not None else "until unhold"
    return (
        f"held by {hold.held_by} ({format_day_clock(hold.held_at, zone)}): {hold.reason}; {until}: "
        "no cutover or ramp starts (break-glass overrides); a rollback is never held"
    )
