"""Each tenant's next step, in the words an engineer would say it."""

from __future__ import annotations

from cutover.config.settings import GateSettings, WatchSettings
from cutover.config.units import format_duration
from cutover.config.war_room import WarRoom
from cutover.model.lifecycle import Lifecycle, SyncHealth
from cutover.model.tenant import Tenant
from cutover.state.watch import Checkpoint, current


def next_step(
    tenant: Tenant,
    now: float,
    gates: GateSettings | None = None,
    watch: WatchSettings | None = None,
    checkpoint: Checkpoint | None = None,
    held: str = "",
    war_room: WarRoom | None = None,
    others: tuple[WarRoom, ...] = (),
) -> str:
    """`held`: the tenant's hold as a step (`TenantHold.step`), when one is in force: it replaces the next
    step of a tenant not yet cut over (a fault still comes first), never one in flight or after.
    `war_room`: the asker's, and `others` the other war rooms leading now: see `for_war_room`."""
    return for_war_room(_step(tenant, now, gates, watch, checkpoint, held), tenant, war_room, others)


NO_WAR_ROOM = "no war room leads it"  # a tenant outside the asker's part that no war room's engine drives now


def for_war_room(step: str, tenant: Tenant, war_room: WarRoom | None, others: tuple[WarRoom, ...] = ()) -> str:
    """The step as `war_room` reads it: a tenant outside its part is the war room's whose part it is
    (`war room amer: cut over`), or nobody's while no war room leading holds it (`no war room leads it: cut
    over`: nothing polls it, nothing rolls it back)."""
    if war_room is None or war_room.holds(tenant):
        return step
    owner = next((other for other in others if other.holds(tenant)), None)
    return f"{owner.title if owner is not None else NO_WAR_ROOM}: {step}"


def _step(
    tenant: Tenant,
    now: float,
    gates: GateSettings | None,
    watch: WatchSettings | None,
    checkpoint: Checkpoint | None,
    held: str,
) -> str:
    if tenant.lifecycle is Lifecycle.MIGRATED:
        return _after_cutover(tenant, now, watch or WatchSettings(), checkpoint)
    step = _next_step(tenant, now, gates)
    if held and tenant.lifecycle in BEFORE_CUTOVER and not step.startswith("fix"):
        return held
    return step


# Where a hold changes what comes next: the tenant has not moved (or has come back to AWS).
BEFORE_CUTOVER = frozenset(
    {Lifecycle.PENDING, Lifecycle.SYNCING, Lifecycle.VALIDATING, Lifecycle.READY, Lifecycle.ROLLED_BACK}
)


def _after_cutover(tenant: Tenant, now: float, watch: WatchSettings, checkpoint: Checkpoint | None) -> str:
    """A migrated tenant: data first, then its checkpoint, then the countdown to decommission."""
    drift = after_cutover_sync_problem(tenant)
    if drift:
        return f"STOP: {drift}: do not decommission"
    checkpoint = current(tenant, checkpoint)
    if checkpoint is not None and not checkpoint.passed:
        return f"fix: {checkpoint.text()}"
    left = tenant.lifecycle_since + watch.duration - now
    if left <= 0:
        return "decommission AWS"
    if left <= watch.warn_before:
        return f"rollback window closes in {format_duration(left)}"
    return f"decommission in {format_duration(left)}"


def _next_step(tenant: Tenant, now: float, gates: GateSettings | None = None) -> str:
    gates = gates or GateSettings()
    state = tenant.lifecycle
    sync_problem = _sync_problem(tenant)

    if state is Lifecycle.PENDING:
        return "start sync"
    if state is Lifecycle.SYNCING:
        if sync_problem:
            return sync_problem
        if tenant.sync_health is SyncHealth.INITIAL_SYNC:
            percent = f" {tenant.sync_percent:.0f}%" if tenant.sync_percent is not None else ""
            eta = f", ETA {format_duration(tenant.sync_eta_s)}" if tenant.sync_eta_s is not None else ""
            return f"wait: initial sync{percent}{eta}"
        if tenant.sync_health is SyncHealth.CONTINUOUS:
            return "validate"
        return "wait: sync starting"
    if state is Lifecycle.VALIDATING:
        passed, total = tenant.validation_passed, tenant.validation_total
        if total and passed is not None and passed < total:
            return f"fix: validation {passed}/{total}"
        # A validation job that runs says so itself (the job's step is shown for the tenants it holds).
        return "validate"
    if state is Lifecycle.READY:
        if sync_problem:
            return sync_problem
        down = _backends_down(tenant, gates)
        if down:
            return down
        if tenant.sync_lag_s is None or tenant.sync_lag_s > gates.max_sync_lag:
            return "final sync"
        return "cut over"
    if state is Lifecycle.CUTTING_OVER:
        return "watch: cutting over"
    if state is Lifecycle.MONITORING:
        if tenant.monitoring_until is not None:
            left = max(0.0, tenant.monitoring_until - now)
            return f"watch: monitoring {format_duration(left)} left" if left else "confirm: monitoring done"
        return "watch: monitoring"
    if state is Lifecycle.ROLLING_BACK:
        return "watch: rolling back"
    if state is Lifecycle.ROLLED_BACK:
        return "sync, then validate"
    if state is Lifecycle.FAILED:
        return "fix: needs attention"
    return "none"


def after_cutover_sync_problem(tenant: Tenant) -> str:
    """What makes a migrated tenant's data suspect: AWS and OCI no longer match, or sync stopped."""
    if tenant.sync_health is SyncHealth.ERROR or (tenant.checksum_mismatches or 0) > 0:
        count = tenant.checksum_mismatches or 0
        objects = f" ({count} object{'s' if count != 1 else ''})" if count else ""
        return f"checksum mismatch after cutover{objects}"
    if tenant.sync_health is SyncHealth.STALLED:
        return "sync stalled after cutover"
    return ""


def _sync_problem(tenant: Tenant) -> str:
    if tenant.sync_health is SyncHealth.ERROR:
        count = tenant.checksum_mismatches or 0
        return f"fix: {count} checksum mismatch{'es' if count != 1 else ''}"
    if tenant.sync_health is SyncHealth.STALLED:
        return "fix: sync stalled"
    return ""


def _backends_down(tenant: Tenant, gates: GateSettings) -> str:
    if tenant.backends_total is None or tenant.backends_healthy is None:
        return ""
    down = tenant.backends_total - tenant.backends_healthy
    if down > 0:
        return f"fix: {down} backend{'s' if down != 1 else ''} down"
    if tenant.backends_total < gates.min_backends:
        return f"fix: only {tenant.backends_total} backends, {gates.min_backends} needed"
    return ""
