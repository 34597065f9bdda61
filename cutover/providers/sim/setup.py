"""Opening the simulated world in a store, creating it the first time.

A store without tenants gets a generated fleet (through the ordinary matrix
import) and a migration night in progress. A store that already has tenants (an
imported matrix) keeps them: the world fills in what the matrix left blank
(targets, zones, baselines, through the same import path, audited) and starts
each tenant where its lifecycle says it is. Creation is one transaction: two
processes opening a new store at once get one world.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from cutover.config.tenant_spec import MATRIX_FIELDS, TenantSpec
from cutover.model.clock import Clock
from cutover.model.lifecycle import Lifecycle
from cutover.model.tenant import Tenant
from cutover.providers.sim.clock import WorldClock
from cutover.providers.sim.model import stable_key
from cutover.providers.sim.world import SimWorld
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.simworld import SimWorldStore
from cutover.state.simworld_rows import JobRow, WorldRow
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

if TYPE_CHECKING:
    from cutover.providers.sim.seeding import SeedSummary

# The fleet generator, the night's seeding and the DNS model are imported only to create a world: opening
# one that exists (every start but the first; the console's first paint waits for it) does without them.

# 02:05 in the migration window's time zone: five minutes inside the 02:00-06:00 window, so a new
# user's first cutover (`make run`, mark three, cut over) is not refused for the time of night.
WORLD_OPENS_AT = (2, 5)
SIMULATOR = "simulator"


@dataclass(frozen=True)
class WorldOptions:
    tenants: int = 2500
    seed: int = 7
    speed: float = 1.0
    ambient_faults: bool = True  # occasional node losses, as a real fleet has
    seed_night: bool = True  # place a generated fleet along a migration night
    batch: int = 25  # tonight's ready batch


@dataclass(frozen=True)
class OpenedWorld:
    world: SimWorld
    clock: Clock
    created: bool
    fleet: str  # "generated" or "imported"
    seeded: SeedSummary | None


def default_start(wall: float) -> float:
    """02:05 tonight in the window's time zone, on the wall clock's date there."""
    from cutover.providers.sim.seeding import WINDOW_ZONE

    zone = ZoneInfo(WINDOW_ZONE)
    today = datetime.fromtimestamp(wall, zone).date()
    opens = datetime(today.year, today.month, today.day, *WORLD_OPENS_AT, tzinfo=zone)
    return opens.timestamp()


def open_world(
    store: Store,
    options: WorldOptions | None = None,
    *,
    clock: Clock | None = None,
    actor: Actor | None = None,
    wall: Callable[[], float] = time.time,
    load: bool = True,
) -> OpenedWorld:
    """The store's world, created first if it has none. Without a clock, the world's own
    clock (shared through the store) is returned; with one (a test's ManualClock), that one.
    `load=False`: the world's records and jobs are not read yet (its first `refresh` reads them):
    the console's process, whose engine builds its own world, does not wait for them."""
    options = options or WorldOptions()
    actor = actor or Actor(operator=SIMULATOR, host="cutover")
    worlds = SimWorldStore(store)
    created, seeded = False, None
    with store.write():
        if not worlds.has_world():
            from cutover.providers.sim.dns import initial_record
            from cutover.providers.sim.fleet import generate_fleet
            from cutover.providers.sim.seeding import seed_migration_night

            has_tenants = TenantStore(store, EventLog(store, actor)).count() > 0
            fleet = "imported" if has_tenants else "generated"
            now_wall = wall()
            start = clock.now() if clock is not None else default_start(now_wall)
            worlds.create_world(
                WorldRow(
                    seed=options.seed,
                    created_at=start,
                    fleet=fleet,
                    ambient_faults=options.ambient_faults,
                    anchor_world=start,
                    anchor_wall=now_wall,
                    speed=options.speed,
                    alive_wall=None,
                    generation=0,
                    scenario="",
                )
            )
            world_clock = clock or WorldClock(store, wall)
            events = EventLog(store, actor, world_clock)
            tenants = TenantStore(store, events)
            world = SimWorld(store, world_clock)
            if fleet == "generated":
                _import(tenants, generate_fleet(options.tenants, options.seed), f"{SIMULATOR} (seed {options.seed})")
            else:
                _fill_blanks(tenants, options.seed)
            _start_tenants(world, tenants.find(), start, fleet == "generated" and options.seed_night)
            if fleet == "generated" and options.seed_night:
                seeded = seed_migration_night(world, tenants, events, start, options.batch)
            world.db.add_records(initial_record(t, start) for t in tenants.find() if t.aws_target)
            created = True
    world_clock = clock or WorldClock(store, wall)
    world = SimWorld(store, world_clock)
    if load:
        world.refresh()
    return OpenedWorld(world, world_clock, created, worlds.world().fleet, seeded)


def _import(tenants: TenantStore, specs: list[TenantSpec], source: str) -> None:
    plan = tenants.plan_import(specs, source)
    digest = hashlib.sha256(repr(specs).encode()).hexdigest()
    tenants.apply_import(plan, specs, digest)


def _fill_blanks(tenants: TenantStore, seed: int) -> None:
    """Give imported tenants what the simulator needs and the matrix left blank."""
    specs = []
    for tenant in tenants.find():
        values = {name: getattr(tenant, name) for name in MATRIX_FIELDS}
        spec = TenantSpec(**values)
        key = stable_key(seed, "targets", tenant.tenant_id)
        blanks = {
            "aws_target": f"52.{key & 255}.{(key >> 8) & 255}.{(key >> 16) % 254 + 1}",
            "oci_target": f"129.213.{(key >> 24) & 255}.{(key >> 32) % 254 + 1}",
            "hosted_zone": tenant.dns_name.split(".", 1)[-1],
            "aws_bucket": f"{tenant.tenant_id.lower()}-data-aws",
            "oci_bucket": f"{tenant.tenant_id.lower()}-data-oci",
        }
        filled: dict[str, Any] = {name: value for name, value in blanks.items() if not values[name]}
        if filled:
            specs.append(replace(spec, **filled))
        else:
            specs.append(spec)
    plan = tenants.plan_import(specs, f"{SIMULATOR}: blanks the matrix left")
    if not plan.is_noop:
        tenants.apply_import(plan, specs, hashlib.sha256(repr(specs).encode()).hexdigest())


def _start_tenants(world: SimWorld, fleet: list[Tenant], now: float, generated: bool) -> None:
    """Jobs that match where each tenant of an imported store already is: a sync running
    since its lifecycle says, and the hydration the store last observed."""
    if generated:
        return
    jobs = []
    for tenant in fleet:
        if tenant.lifecycle in (Lifecycle.PENDING, Lifecycle.FAILED):
            continue
        initial = world.params(tenant).initial_sync_s
        if tenant.lifecycle is Lifecycle.SYNCING:
            started = tenant.lifecycle_since
        else:
            started = min(tenant.lifecycle_since, now) - initial - timedelta(hours=1).total_seconds()
        jobs.append(JobRow(f"sync-{tenant.tenant_id}-1", tenant.tenant_id, "continuous", started, None, True))
        if tenant.hydrated_at is not None and tenant.hydrated_at <= now:
            duration = 300.0
            jobs.append(
                JobRow(
                    f"hydrate-{tenant.tenant_id}-1",
                    tenant.tenant_id,
                    "hydrate",
                    tenant.hydrated_at - duration,
                    duration,
                    True,
                )
            )
    world.db.add_jobs(jobs)
