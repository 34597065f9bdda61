"""One display row per tenant, built from what the store says.

Pure Python, no Textual: the rows are built in a worker thread from what the
store says, compared with the previous ones, and only the changed ones are
handed to the table. Every value that comes from an observation older than the
stale threshold is marked stale, so it is never shown as current.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cutover.actions.plan.queue_order import queue_key
from cutover.config.settings import GateSettings, TriggerRule, TriggerSettings, WatchSettings
from cutover.config.text import visible
from cutover.config.war_room import WarRoom
from cutover.console.fleet.columns import (
    BAD,
    DIM,
    STALE,
    STATE_LABEL,
    STATE_ORDER,
    STATE_STYLE,
    TIER_ORDER,
    TIER_SHORT,
    WARN,
    Cell,
    FleetRow,
)
from cutover.model.lifecycle import IN_FLIGHT, Lifecycle, SyncHealth
from cutover.model.tenant import Tenant
from cutover.state.next_step import NO_WAR_ROOM, for_war_room, next_step
from cutover.state.watch import Checkpoint, under_watch


@dataclass(frozen=True)
class RowContext:
    """What a row needs besides the tenant: the time, the gate settings, who holds locks."""

    now: float
    gates: GateSettings = field(default_factory=GateSettings)
    locks: dict[str, str] = field(default_factory=dict)
    activity: dict[str, str] = field(default_factory=dict)  # what a running job does with the tenant now
    triggers: TriggerSettings = field(default_factory=TriggerSettings)
    breaching_since: dict[tuple[str, str], float] = field(default_factory=dict)  # (tenant, rule) -> since
    tonight: dict[str, str] = field(default_factory=dict)  # tenant -> its place in tonight's batch
    watch: WatchSettings = field(default_factory=WatchSettings)
    checkpoints: dict[str, Checkpoint] = field(default_factory=dict)  # the watch's recorded checkpoints
    holds: dict[str, str] = field(default_factory=dict)  # tenant -> its hold as a step ("held: ... (bob)")
    war_room: WarRoom | None = None  # the console's: a tenant outside its part is another war room's to act on
    others: tuple[WarRoom, ...] = ()  # the other war rooms leading now: whose a tenant outside its part is


@dataclass(frozen=True)
class TonightSlot:
    """A tenant a batch job not ended holds or targets: which batch, which group, when it is expected."""

    job_id: str
    group: int | None
    expected: str  # "02:45" in the batch's zone, or ""
    state: str  # the batch's state: running, queued, paused, held

    def text(self) -> str:
        """Group and time first, so a narrow column keeps them: "g2 ~03:15 EST batch-1 (paused)"."""
        group = f"g{self.group} " if self.group is not None else ""
        when = f"~{self.expected} " if self.expected else ""
        state = "" if self.state == "running" else f" ({self.state})"
        return f"{group}{when}{self.job_id}{state}"


def _is_stale(at: float | None, ctx: RowContext) -> bool:
    return at is None or ctx.now - at > ctx.gates.stale_after


def _lag_cell(tenant: Tenant, ctx: RowContext) -> Cell:
    health = tenant.sync_health
    if health is SyncHealth.NOT_STARTED:
        return Cell("-", DIM)
    if health is SyncHealth.ERROR:
        return Cell("error", BAD)
    if health is SyncHealth.STALLED:
        return Cell("stall", BAD)
    if health is SyncHealth.INITIAL_SYNC:
        percent = tenant.sync_percent
        return Cell(f"{percent:.0f}%" if percent is not None else "init", "")
    if tenant.sync_lag_s is None:
        return Cell("?", STALE)
    stale = _is_stale(tenant.observed_at, ctx)
    text = "0s" if tenant.sync_lag_s <= 0 else _short_duration(tenant.sync_lag_s)
    if stale:
        return Cell(text + "?", STALE)
    return Cell(text, "" if tenant.sync_lag_s <= ctx.gates.max_sync_lag else WARN)


def _short_duration(seconds: float) -> str:
    """Six characters at most: '45s', '4m', '2h10m', '3d'."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 48 * 3600:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    return f"{seconds // 86400}d"


def _percent(share: float | None) -> str:
    return "  ?" if share is None else f"{round(share * 100):3d}"


def _traffic_cell(tenant: Tenant, ctx: RowContext) -> Cell:
    """The share DNS sends to OCI next to the share OCI was seen serving: '100/ 97%'."""
    if tenant.dns_oci_share is None and tenant.observed_oci_share is None:
        return Cell("-", DIM)
    dns_stale = tenant.dns_oci_share is not None and _is_stale(tenant.dns_at, ctx)
    obs_stale = tenant.observed_oci_share is not None and _is_stale(tenant.metrics_at, ctx)
    if tenant.dns_split:
        # Its DNS names disagree (one moved, one did not): never one number, which would be one name's lie.
        split = f"split/{_percent(tenant.observed_oci_share)}%"
        return Cell(split + ("?" if _is_stale(tenant.dns_at, ctx) or obs_stale else " "), WARN)
    text = f"{_percent(tenant.dns_oci_share)}/{_percent(tenant.observed_oci_share)}%"
    if dns_stale or obs_stale:
        return Cell(text + "?", STALE)
    style = ""
    if tenant.dns_oci_share is not None and tenant.observed_oci_share is not None:
        style = "" if abs(tenant.dns_oci_share - tenant.observed_oci_share) < 0.02 else WARN
    return Cell(text + " ", style)


def _ratio_style(ratio: float | None, warn: float, bad: float) -> str:
    if ratio is None:
        return ""
    return BAD if ratio > bad else WARN if ratio > warn else ""


def _errors_cell(tenant: Tenant, ctx: RowContext) -> tuple[Cell, float | None]:
    if tenant.error_rate is None:
        return Cell("-", DIM), None
    base = tenant.baseline_error_rate
    ratio = tenant.error_rate / base if base else None
    value = f"{tenant.error_rate * 100:.2f}%"
    text = f"{value} {_ratio_text(ratio)}"
    if _is_stale(tenant.metrics_at, ctx):
        return Cell(text + "?", STALE), ratio
    # Past a configured trigger's line is bad where the triggers judge; against baseline, 2x is worth a look.
    breached = tenant.judged and _error_rule_breached(tenant.error_rate, ctx.triggers) is not None
    style = BAD if breached else _ratio_style(ratio, 2.0, 5.0)
    if style == BAD and not tenant.judged:
        style = WARN  # worth a look, but no trigger judges it here: never shown as a fault

    return Cell(text + " ", style), ratio


def _p95_cell(tenant: Tenant, ctx: RowContext) -> tuple[Cell, float | None]:
    if tenant.p95_ms is None:
        return Cell("-", DIM), None
    base = tenant.baseline_p95_ms
    ratio = tenant.p95_ms / base if base else None
    value = f"{tenant.p95_ms / 1000:.2f}s" if tenant.p95_ms >= 1000 else f"{tenant.p95_ms:.0f}ms"
    text = f"{value} {_ratio_text(ratio)}"
    if _is_stale(tenant.metrics_at, ctx):
        return Cell(text + "?", STALE), ratio
    return Cell(text + " ", _ratio_style(ratio, 1.2, 2.0)), ratio


def _ratio_text(ratio: float | None) -> str:
    if ratio is None:
        return "   -"
    return f"{min(ratio, 99.9):3.1f}x" if ratio < 10 else f"{min(ratio, 999):3.0f}x"


def _backends_cell(tenant: Tenant, ctx: RowContext) -> Cell:
    healthy, total = tenant.backends_healthy, tenant.backends_total
    if healthy is None or not total:
        return Cell("-", DIM)  # nothing deployed on OCI yet
    text = f"{healthy}/{total}"
    if _is_stale(tenant.health_at, ctx):
        return Cell(text + "?", STALE)
    if healthy == 0:
        return Cell(text, BAD)
    return Cell(text, WARN if healthy < max(total, ctx.gates.min_backends) else "")


def _next_style(step: str, shown: str) -> str:
    """`shown`: the step as this war room reads it (another's tenant: dim; nobody's: a warning)."""
    if shown != step:
        return WARN if shown.startswith(NO_WAR_ROOM) else DIM
    if step.startswith("held: "):
        return WARN
    if step.startswith("not before "):
        return DIM
    if ": " in step and not step.startswith(("fix", "wait", "watch", "confirm")):
        return "bold bright_magenta"  # a job is working on it
    if step.startswith("fix"):
        return BAD
    if step.startswith(("watch", "confirm")):
        return WARN
    if step.startswith("wait"):
        return DIM
    return ""


_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
}


def _error_rule_breached(error_rate: float, triggers: TriggerSettings) -> TriggerRule | None:
    """The configured error-rate rule this rate breaches with the lowest threshold (shadow rules too:
    they are there to be watched), or None."""
    breached = [
        rule for rule in triggers.rules if rule.metric == "error_rate" and _OPS[rule.op](error_rate, rule.threshold)
    ]
    return min(breached, key=lambda rule: rule.threshold, default=None)


def _rate(share: float) -> str:
    return f"{share * 100:.1f} %".replace(".0 %", " %")


def _fault(tenant: Tenant, ctx: RowContext, step: str) -> str:
    """Why this tenant needs attention, in a few words ("error rate 3.4 % > 1 % for 2m", "backends 1/3",
    "stale 4m"); empty when it does not. Error rates count only where the trigger rules judge them."""
    if tenant.lifecycle in (Lifecycle.FAILED, Lifecycle.ROLLING_BACK, Lifecycle.ROLLED_BACK):
        return tenant.lifecycle.label
    if tenant.sync_health in (SyncHealth.ERROR, SyncHealth.STALLED):
        checksum = ": checksum" if (tenant.checksum_mismatches or 0) > 0 else ""
        return f"sync {tenant.sync_health.label}{checksum}"
    if step.startswith("fix"):
        return step.removeprefix("fix: ")
    if (
        tenant.backends_healthy is not None
        and tenant.backends_total
        and tenant.backends_healthy < tenant.backends_total
    ):
        return f"backends {tenant.backends_healthy}/{tenant.backends_total}"
    judged = tenant.judged or under_watch(tenant, ctx.now, ctx.watch)
    watched = judged or tenant.lifecycle in IN_FLIGHT
    if watched and _is_stale(tenant.metrics_at, ctx):
        age = "" if tenant.metrics_at is None else " " + _short_duration(ctx.now - tenant.metrics_at)
        return f"stale{age}" if age else "stale: no metrics"
    if judged and tenant.error_rate is not None:
        rule = _error_rule_breached(tenant.error_rate, ctx.triggers)
        if rule is not None:
            since = ctx.breaching_since.get((tenant.tenant_id, rule.name))
            lasting = f" for {_short_duration(ctx.now - since)}" if since is not None else ""
            return f"error rate {_rate(tenant.error_rate)} {rule.op} {_rate(rule.threshold)}{lasting}"
    return ""


def build_row(tenant: Tenant, ctx: RowContext) -> FleetRow:
    tid = tenant.tenant_id
    step = ctx.activity.get(tid) or next_step(
        tenant, ctx.now, ctx.gates, ctx.watch, ctx.checkpoints.get(tid), ctx.holds.get(tid, "")
    )
    # As this war room reads it (another war room's tenant, or nobody's); the fault stays the tenant's.
    shown_step = for_war_room(step, tenant, ctx.war_room, ctx.others)
    errors, error_ratio = _errors_cell(tenant, ctx)
    p95, p95_ratio = _p95_cell(tenant, ctx)
    lock = ctx.locks.get(tenant.tenant_id, "")
    lag, traffic, backends = _lag_cell(tenant, ctx), _traffic_cell(tenant, ctx), _backends_cell(tenant, ctx)
    # Two tuples built directly (COLUMNS' order), not a Cell a column: a changed row costs less to build.
    texts = (
        tenant.tenant_id,
        str(tenant.wave),
        TIER_SHORT.get(tenant.tier, tenant.tier[:4]),
        STATE_LABEL[tenant.lifecycle],
        visible(shown_step),
        lag.text,
        traffic.text,
        errors.text,
        p95.text,
        backends.text,
        visible(lock),
    )
    styles = (
        "bold",
        "",
        "",
        STATE_STYLE[tenant.lifecycle],
        _next_style(step, shown_step),
        lag.style,
        traffic.style,
        errors.style,
        p95.style,
        backends.style,
        WARN if lock else "",
    )
    missing = float("inf")
    sort_values = (
        tenant.tenant_id,
        tenant.wave,
        TIER_ORDER.get(tenant.tier, 9),
        STATE_ORDER[tenant.lifecycle],
        shown_step,
        tenant.sync_lag_s if tenant.sync_lag_s is not None else missing,
        tenant.observed_oci_share if tenant.observed_oci_share is not None else -1.0,
        error_ratio if error_ratio is not None else (tenant.error_rate or -1.0),
        p95_ratio if p95_ratio is not None else -1.0,
        tenant.backends_healthy if tenant.backends_healthy is not None else missing,
        lock,
    )
    names = " ".join(extra.name for extra in tenant.dns_names) if tenant.several_names else tenant.dns_name
    search = " ".join((tenant.tenant_id, tenant.name, tenant.lifecycle.label, shown_step, names, lock)).lower()
    return FleetRow(
        tenant_id=tenant.tenant_id,
        wave=tenant.wave,
        tier=tenant.tier,
        lifecycle=tenant.lifecycle,
        texts=texts,
        styles=styles,
        sort_values=sort_values,
        search_text=search,
        fault=_fault(tenant, ctx, step),
        in_flight=tenant.lifecycle in IN_FLIGHT,
        tonight=ctx.tonight.get(tenant.tenant_id, ""),
        queue=queue_key(tenant),
    )


def row_valid_until(tenant: Tenant, ctx: RowContext) -> float:
    """When the row must be built again although nothing about the tenant changed: a figure
    turning stale, a countdown that ticks."""
    until = float("inf")
    if tenant.lifecycle is Lifecycle.MONITORING and tenant.monitoring_until is not None:
        until = ctx.now + 1.0
    if tenant.judged or tenant.lifecycle in IN_FLIGHT or under_watch(tenant, ctx.now, ctx.watch):
        until = min(until, ctx.now + 30.0)  # "stale 4m", "for 2m", "decommission in 19h 40m": minutes tick
    for at in (tenant.observed_at, tenant.metrics_at, tenant.dns_at, tenant.health_at):
        if at is not None and at + ctx.gates.stale_after >= ctx.now:
            until = min(until, at + ctx.gates.stale_after)
    return until
