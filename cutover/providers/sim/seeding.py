"""A migration night worth watching: the generated fleet placed along its lifecycle.

Earlier nights of wave 1 are done (decommissioned after 24 h, last night's batch
still migrated, two rolled back, one failed on a checksum mismatch); tonight's
batch is ready (continuous sync, validation 5/5 this afternoon, hydrated minutes
ago, 3/3 backends); tomorrow's batch is validating; more of wave 1 is syncing and
a few tenants of the later waves have begun their initial copy. Every placement
is an audit event saying the simulator made it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from cutover.model.lifecycle import Lifecycle
from cutover.model.routing import Routing
from cutover.model.tenant import Tenant
from cutover.providers.ports.health import VALIDATION_CHECKS
from cutover.providers.sim.dns import DEFAULT_TTL, initial_record
from cutover.providers.sim.fleet import RUNBOOK_EXAMPLE
from cutover.providers.sim.health import ambient_nodes_down
from cutover.providers.sim.model import BACKENDS, S_HYDRATE, uniform
from cutover.providers.sim.sync import SyncModel
from cutover.providers.sim.world import SimWorld, routing_to_json
from cutover.state.events import EventLog
from cutover.state.simworld_rows import DnsRecordRow, JobRow, SeededLifecycle
from cutover.state.tenants import TenantStore

L = Lifecycle
DAY = 86400.0
HOUR = 3600.0
_PATHS: dict[Lifecycle, tuple[Lifecycle, ...]] = {
    L.SYNCING: (L.SYNCING,),
    L.VALIDATING: (L.SYNCING, L.VALIDATING),
    L.READY: (L.SYNCING, L.VALIDATING, L.READY),
    L.MIGRATED: (L.SYNCING, L.VALIDATING, L.READY, L.CUTTING_OVER, L.MONITORING, L.MIGRATED),
    L.DECOMMISSIONED: (L.SYNCING, L.VALIDATING, L.READY, L.CUTTING_OVER, L.MONITORING, L.MIGRATED, L.DECOMMISSIONED),
    L.ROLLED_BACK: (L.SYNCING, L.VALIDATING, L.READY, L.CUTTING_OVER, L.MONITORING, L.ROLLING_BACK, L.ROLLED_BACK),
    L.FAILED: (L.SYNCING, L.VALIDATING, L.FAILED),
}
TONIGHT_REGIONS = ("us-east-1", "us-east-2")  # inside the 02:00-06:00 window at the world's start
WINDOW_ZONE = "America/New_York"  # the migration window's time zone (the settings' default)
WINDOW_OPENS = (2, 0)


def window_opened(now: float) -> float:
    """02:00 on `now`'s date in the window's time zone: when tonight's window opened (or opens)."""
    zone = ZoneInfo(WINDOW_ZONE)
    day = datetime.fromtimestamp(now, zone).date()
    return datetime(day.year, day.month, day.day, *WINDOW_OPENS, tzinfo=zone).timestamp()


@dataclass
class _Placement:
    tenant: Tenant
    state: Lifecycle
    since: float
    sync_started: float
    cutover_at: float | None = None
    rollback_at: float | None = None
    hydrated_at: float | None = None
    validated_at: float | None = None
    validation_passed: int | None = None


@dataclass(frozen=True)
class SeedSummary:
    placed: dict[str, int]  # lifecycle -> tenants
    tonight: tuple[str, ...]  # tonight's ready batch


def seed_migration_night(
    world: SimWorld, tenants: TenantStore, events: EventLog, now: float, batch: int = 25
) -> SeedSummary:
    fleet = tenants.find()
    rng = random.Random(f"night:{world.seed}")
    by_wave: dict[int, list[Tenant]] = {}
    for tenant in fleet:
        if tenant.lifecycle is L.PENDING:
            by_wave.setdefault(tenant.wave, []).append(tenant)
    placements = _place_wave_one(world, by_wave.get(1, []), rng, now, batch)
    for wave, share in ((2, 0.04), (3, 0.02), (4, 0.02)):
        members = by_wave.get(wave, [])
        count = min(len(members), max(1 if members else 0, round(len(members) * share)))
        for tenant in rng.sample(members, count):
            initial = world.params(tenant).initial_sync_s
            started = now - rng.uniform(0.2, 1.6) * min(initial, 2 * DAY)
            placements.append(_Placement(tenant, L.SYNCING, started, started))

    _write(world, tenants, events, placements, now)
    placed: dict[str, int] = {}
    for placement in placements:
        placed[placement.state.value] = placed.get(placement.state.value, 0) + 1
    tonight = tuple(p.tenant.tenant_id for p in placements if p.state is L.READY)
    return SeedSummary(placed, tonight)


def _place_wave_one(
    world: SimWorld, wave: list[Tenant], rng: random.Random, now: float, batch: int
) -> list[_Placement]:
    total = len(wave)
    if not total:
        return []
    undersized = {t.tenant_id for t in wave if world.params(t).undersized}
    healthy = [t for t in wave if t.tenant_id not in undersized]

    # Tonight: ready tenants in the window's time zone, the runbook's example first.
    in_window = [t for t in healthy if t.region in TONIGHT_REGIONS]
    in_window.sort(key=lambda t: (t.tenant_id != RUNBOOK_EXAMPLE, t.tenant_id))
    tonight = in_window[: min(batch, max(1, round(total * 0.08)))]
    taken = {t.tenant_id for t in tonight}

    rest_healthy = [t for t in healthy if t.tenant_id not in taken]
    rng.shuffle(rest_healthy)
    rest_undersized = sorted((t for t in wave if t.tenant_id in undersized), key=lambda t: t.tenant_id)
    rng.shuffle(rest_undersized)

    def take(pool: list[Tenant], count: int) -> list[Tenant]:
        chosen = pool[:count]
        del pool[:count]
        return chosen

    last_night = take(rest_healthy, min(batch, round(total * 0.05)))
    decommissioned = take(rest_healthy, round(total * 0.40))
    # Rolled back last night because their clusters turned out undersized (the runbook's story).
    rolled_count = 2 if total >= 100 else (1 if total >= 30 else 0)
    rolled = take(rest_undersized, rolled_count) or take(rest_healthy, rolled_count)
    failed = take(rest_healthy, 1 if total >= 40 else 0)
    tomorrow = take(rest_healthy, min(batch, round(total * 0.05)))
    tomorrow += take(rest_undersized, max(0, min(2, len(rest_undersized))))
    syncing = take(rest_healthy, round(total * 0.10))

    placements: list[_Placement] = []
    today_2am = window_opened(now)

    for index, tenant in enumerate(tonight):
        validated = now - rng.uniform(6 * HOUR, 20 * HOUR)
        placements.append(
            _Placement(
                tenant,
                L.READY,
                since=validated + rng.uniform(60, 900),
                sync_started=now - rng.uniform(3 * DAY, 4 * DAY),
                hydrated_at=now - rng.uniform(5 * 60, 20 * 60) - index * 5,
                validated_at=validated,
                validation_passed=len(VALIDATION_CHECKS),
            )
        )

    def migrated_on(tenant: Tenant, nights_ago: int, position: int, state: Lifecycle) -> _Placement:
        cutover = today_2am - nights_ago * DAY + (position // 5) * 15 * 60 + rng.uniform(0, 120)
        since = cutover + 10 * 60 if state is L.MIGRATED else cutover + DAY + rng.uniform(0, 4 * HOUR)
        return _Placement(
            tenant,
            state,
            since=since,
            sync_started=cutover - rng.uniform(3 * DAY, 4 * DAY),
            cutover_at=cutover,
            hydrated_at=cutover - rng.uniform(10 * 60, 25 * 60),
            validated_at=cutover - rng.uniform(10 * HOUR, 26 * HOUR),
            validation_passed=len(VALIDATION_CHECKS),
        )

    for index, tenant in enumerate(last_night):
        placements.append(migrated_on(tenant, 1, index, L.MIGRATED))
    for index, tenant in enumerate(decommissioned):
        night = 2 + index // max(1, batch)
        placements.append(migrated_on(tenant, night, index % max(1, batch), L.DECOMMISSIONED))
    for index, tenant in enumerate(rolled):
        placement = migrated_on(tenant, 1, len(last_night) + index, L.ROLLED_BACK)
        assert placement.cutover_at is not None  # migrated_on always places the cutover
        placement.rollback_at = placement.cutover_at + rng.uniform(8 * 60, 14 * 60)
        placement.since = placement.rollback_at + rng.uniform(180, 400)
        placements.append(placement)
    for tenant in failed:
        started = now - rng.uniform(2 * DAY, 3 * DAY)
        placements.append(
            _Placement(tenant, L.FAILED, since=now - rng.uniform(2 * HOUR, 8 * HOUR), sync_started=started)
        )
    for tenant in tomorrow:
        slow = tenant.tenant_id in undersized
        placements.append(
            _Placement(
                tenant,
                L.VALIDATING,
                since=now - rng.uniform(1 * HOUR, 3 * HOUR),
                sync_started=now - rng.uniform(2 * DAY, 3 * DAY),
                validated_at=now - rng.uniform(20 * 60, 60 * 60) if slow else None,
                validation_passed=len(VALIDATION_CHECKS) - 1 if slow else None,
            )
        )
    for tenant in syncing:
        initial = world.params(tenant).initial_sync_s
        started = now - rng.uniform(0.3, 4.0) * initial
        placements.append(_Placement(tenant, L.SYNCING, since=started, sync_started=started))
    return placements


def _write(
    world: SimWorld, tenants: TenantStore, events: EventLog, placements: Sequence[_Placement], now: float
) -> None:
    jobs: list[JobRow] = []
    records: list[DnsRecordRow] = []
    failed: list[str] = []
    for p in placements:
        tid = p.tenant.tenant_id
        params = world.params(p.tenant)
        jobs.append(JobRow(f"sync-{tid}-1", tid, "continuous", p.sync_started, None, True))
        if p.hydrated_at is not None:
            duration = uniform(params.key, S_HYDRATE, 180.0, 480.0)
            jobs.append(JobRow(f"hydrate-{tid}-1", tid, "hydrate", p.hydrated_at - duration, duration, True))
        if p.cutover_at is not None:
            start = p.cutover_at - 5 * 60
            jobs.append(JobRow(f"final-{tid}-1", tid, "final", start, params.final_sync_s, True))
            on_oci = Routing.simple(p.tenant.oci_target, DEFAULT_TTL)
            if p.rollback_at is None:
                records.append(_record(p.tenant, on_oci, 2, p.cutover_at, 0.0))
            else:
                back = Routing.simple(p.tenant.aws_target, DEFAULT_TTL)
                records.append(_record(p.tenant, back, 3, p.rollback_at, 1.0))
        else:
            records.append(initial_record(p.tenant, now))
        if p.state is L.FAILED:
            failed.append(tid)

    world.db.add_jobs(jobs)
    world.db.add_records(records)
    if failed:
        world.db.add_faults(
            [
                {
                    "kind": "checksum_mismatch",
                    "targets": failed,
                    "start_at": now - 6 * HOUR,
                    "after_cutover_s": None,
                    "duration_s": None,
                    "params": {"objects": 3},
                    "source": "simulator seed",
                    "label": "checksum mismatches found in validation (seeded)",
                    "added_at": now - 6 * HOUR,
                }
            ]
        )
    world.db.seed_lifecycles(
        events,
        [SeededLifecycle(p.tenant.tenant_id, _PATHS[p.state], p.since) for p in placements],
        why=f"seeded by the simulator: a migration night in progress (seed {world.seed})",
    )
    world.refresh()
    tenants.observe_many(_observations(world, placements, now))


TTL_LOWERED_AGO = 2 * 24 * HOUR
SEEDED_TTL_BEFORE = 3600


def _record(tenant: Tenant, routing: Routing, version: int, changed_at: float, before_oci: float) -> DnsRecordRow:
    return DnsRecordRow(
        tenant_id=tenant.tenant_id,
        zone=tenant.hosted_zone,
        name=tenant.dns_name,
        routing=routing_to_json(routing),
        version=version,
        changed_at=changed_at,
        visible_at=changed_at,
        before_oci=before_oci,
        before_lost=0.0,
        before_ttl=DEFAULT_TTL,
    )


def _observations(world: SimWorld, placements: Sequence[_Placement], now: float) -> dict[str, dict[str, Any]]:
    """What a first poll would have recorded, so the store reads true before the engine runs."""
    model = SyncModel(world, now)
    observed: dict[str, dict[str, Any]] = {}
    for p in placements:
        tid = p.tenant.tenant_id
        params = world.params(p.tenant)
        sync = model.state(p.tenant, params, world.jobs_of(tid))
        record = world.record(tid)
        down = ambient_nodes_down(params, now) if world.ambient_faults else 0
        fields: dict[str, Any] = {
            "sync_health": sync.health,
            "sync_percent": sync.percent,
            "sync_eta_s": sync.eta_s,
            "sync_lag_s": sync.lag_s,
            "pending_objects": sync.pending_objects,
            "pending_bytes": sync.pending_bytes,
            "checksum_mismatches": sync.mismatches,
            "last_pass_at": sync.last_pass_at,
            "backends_healthy": BACKENDS - (1 if down else 0),
            "backends_total": BACKENDS,
            "health_at": now,
            "observed_at": now,
        }
        if p.validated_at is not None:
            fields |= {
                "validation_passed": p.validation_passed,
                "validation_total": len(VALIDATION_CHECKS),
                "validated_at": p.validated_at,
            }
        if p.hydrated_at is not None:
            fields["hydrated_at"] = p.hydrated_at
        if record is not None:
            fields |= {
                "dns_oci_share": record.routing.oci_share(p.tenant.aws_target, p.tenant.oci_target),
                "dns_routing": record.routing.describe(),
                "dns_at": now,
                # The night's preparation lowered every TTL from an hour to the low one two days ago.
                "dns_ttl": record.routing.ttl,
                "dns_ttl_since": now - TTL_LOWERED_AGO,
                "dns_ttl_before": SEEDED_TTL_BEFORE,
                "dns_ttl_safe_at": now - TTL_LOWERED_AGO + SEEDED_TTL_BEFORE,
            }
        observed[tid] = fields
    return observed
