"""The simulated world: one world per store, the same for the same seed, shared by
every process and connection that opens the store, on a clock they share."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from cutover.actions.wiring.composition import build_providers
from cutover.config.settings import Settings, SimulatorSettings
from cutover.model.clock import IDLE_AFTER, ManualClock
from cutover.model.lifecycle import Lifecycle, SyncHealth
from cutover.model.routing import DnsChange, Routing
from cutover.providers.sim import WorldClock, WorldOptions, open_world
from cutover.providers.sim.clock import HEARTBEAT_EVERY
from cutover.state.chain import verify_chain
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

ACTOR = Actor("alice", "jump-1")


def tenants_of(store: Store, clock) -> TenantStore:
    return TenantStore(store, EventLog(store, ACTOR, clock))


async def fleet_view(store: Store, clock) -> dict:
    """Everything the providers say about the fleet, as plain data."""
    built = build_providers(Settings(simulator=SimulatorSettings(tenants=120, seed=5)), store, clock, actor=ACTOR)
    fleet = tenants_of(store, clock).find()
    p = built.providers
    snapshot = await p.metrics.snapshot(fleet)
    sync = await p.sync.status(fleet)
    backends = await p.health.backends(fleet)
    routing = await p.dns.read_routing(fleet)
    return {
        "tenants": [(t.tenant_id, t.wave, t.size_bytes, t.lifecycle.value, t.aws_target) for t in fleet],
        "metrics": [
            (m.aws.requests if m.aws else None, m.oci.requests if m.oci else None, m.error_rate, m.p95_ms)
            for m in (snapshot.tenant(t.tenant_id) for t in fleet)
        ],
        "sync": [(s.health, s.percent, s.lag_s, s.pending_objects) for s in sync.values()],
        "backends": [(b.healthy, b.total) for b in backends.values()],
        "routing": [r.routing for r in routing.values()],
    }


def new_world(path: Path, seed: int = 5, tenants: int = 120) -> tuple[Store, ManualClock]:
    store = Store(path)
    clock = ManualClock()
    open_world(store, WorldOptions(tenants=tenants, seed=seed), clock=clock, actor=ACTOR)
    return store, clock


def test_the_same_seed_gives_the_same_world(tmp_path: Path) -> None:
    one, clock_one = new_world(tmp_path / "one.db")
    two, clock_two = new_world(tmp_path / "two.db")
    for advance in (0, 3600, 5 * 3600):
        clock_one.advance(advance)
        clock_two.advance(advance)
        assert asyncio.run(fleet_view(one, clock_one)) == asyncio.run(fleet_view(two, clock_two))
    other, clock_other = new_world(tmp_path / "other.db", seed=6)
    assert asyncio.run(fleet_view(other, clock_other))["tenants"] != asyncio.run(fleet_view(one, clock_one))["tenants"]


def test_how_often_the_world_is_looked_at_does_not_change_it(tmp_path: Path) -> None:
    watched, clock_w = new_world(tmp_path / "watched.db")
    left, clock_l = new_world(tmp_path / "left.db")
    for _ in range(12):
        clock_w.advance(300)
        asyncio.run(fleet_view(watched, clock_w))
    clock_l.advance(3600)
    assert asyncio.run(fleet_view(watched, clock_w)) == asyncio.run(fleet_view(left, clock_l))


def test_the_generated_fleet_has_the_runbook_wave_mix_and_a_night_in_progress(simulated) -> None:
    fleet = simulated.fleet()
    waves = Counter(t.wave for t in fleet)
    assert waves == {1: 90, 2: 150, 3: 45, 4: 15}
    sizes = {w: [t.size_bytes for t in fleet if t.wave == w] for w in waves}
    assert max(sizes[1]) < 10e9 <= min(sizes[2]) and max(sizes[2]) < 100e9 <= min(sizes[3])
    assert max(sizes[3]) <= 1e12 < min(sizes[4])
    assert all(t.aws_target.startswith("52.") and t.oci_target.startswith("129.213.") for t in fleet)
    assert len({t.hosted_zone for t in fleet}) >= 3
    states = Counter(t.lifecycle for t in fleet)
    assert states[Lifecycle.READY] == 7 and states[Lifecycle.DECOMMISSIONED] > 0 and states[Lifecycle.PENDING] > 0
    seeded = [e for e in simulated.tenants.events.find() if e.kind == "sim.seeded"]
    assert len(seeded) == sum(n for s, n in states.items() if s is not Lifecycle.PENDING)
    assert all("seeded by the simulator" in e.why for e in seeded)
    assert verify_chain(simulated.store).ok


@pytest.mark.asyncio
async def test_an_imported_matrix_keeps_its_tenants_and_where_they_are(
    store: Store, clock: ManualClock, tenants, runbook_matrix
) -> None:
    from cutover.actions.plan.importing import import_matrix

    import_matrix(tenants, runbook_matrix)
    ready = tenants.find()[0].tenant_id
    for state in (Lifecycle.SYNCING, Lifecycle.VALIDATING, Lifecycle.READY):
        tenants.transition(ready, state, why="test setup")
    tenants.observe(ready, hydrated_at=clock.now() - 600)
    before = {t.tenant_id: t for t in tenants.find()}
    opened = open_world(store, WorldOptions(tenants=2500), clock=clock, actor=ACTOR)
    after = {t.tenant_id: t for t in tenants.find()}
    assert opened.fleet == "imported" and set(after) == set(before)
    assert all(t.aws_target and t.oci_target and t.hosted_zone for t in after.values()), "blanks filled in"
    assert all(after[tid].lifecycle == before[tid].lifecycle for tid in before)
    providers = build_providers(Settings(), store, clock, actor=ACTOR).providers
    sync = await providers.sync.status(list(after.values()))
    assert sync[ready].health is SyncHealth.CONTINUOUS
    assert all(s.health is SyncHealth.NOT_STARTED for tid, s in sync.items() if tid != ready)
    health = (await providers.health.backends([after[ready]]))[ready]
    assert (health.healthy, health.hydrated_at) == (3, clock.now() - 600)


def test_what_an_imported_matrix_left_blank_is_filled_in_and_audited(
    store: Store, clock: ManualClock, tenants, tmp_path: Path
) -> None:
    from cutover.actions.plan.importing import import_matrix

    matrix = tmp_path / "bare.csv"
    matrix.write_text("Tenant ID,Size,SLA,DNS name\nT-1,2GB,Std,t1.acme.example\nT-2,50GB,Prem,t2.acme.example\n")
    import_matrix(tenants, matrix)
    open_world(store, WorldOptions(), clock=clock, actor=ACTOR)
    filled = tenants.find()
    assert all(t.aws_target.startswith("52.") and t.oci_target.startswith("129.213.") for t in filled)
    assert {t.hosted_zone for t in filled} == {"acme.example"}
    assert len({t.oci_target for t in filled}) == 2
    updates = [e for e in tenants.events.find() if e.kind == "tenant.updated"]
    assert {e.tenant_id for e in updates} == {"T-1", "T-2"} and "simulator" in updates[0].what


@pytest.mark.asyncio
async def test_two_connections_to_one_store_see_one_world(tmp_path: Path) -> None:
    path = tmp_path / "cutover.db"
    clock = ManualClock()
    first = Store(path)
    open_world(first, WorldOptions(tenants=60, seed=3), clock=clock, actor=ACTOR)
    second = Store(path)
    a = build_providers(Settings(), first, clock, actor=ACTOR).providers
    b = build_providers(Settings(), second, clock, actor=ACTOR).providers
    tenant = tenants_of(first, clock).find()[0]
    record = (await a.dns.read_routing([tenant]))[tenant.tenant_id]
    await a.dns.apply(record.zone, [DnsChange(tenant.tenant_id, record, Routing.simple(tenant.oci_target, 60))])
    await a.sync.start_continuous(tenant)
    clock.advance(400)
    seen_by_b = (await b.dns.read_routing([tenant]))[tenant.tenant_id]
    assert seen_by_b.routing.target == tenant.oci_target
    assert (await b.metrics.snapshot([tenant])).tenant(tenant.tenant_id).oci_share == 1.0
    assert (await b.sync.status([tenant]))[tenant.tenant_id] == (await a.sync.status([tenant]))[tenant.tenant_id]


_OTHER_PROCESS = """
import asyncio, json, sys
from cutover.actions.wiring.composition import build_providers
from cutover.config.settings import Settings
from cutover.model.routing import DnsChange, Routing
from cutover.model.clock import ManualClock
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

path, tenant_id, at = sys.argv[1], sys.argv[2], float(sys.argv[3])
store = Store(path)
clock = ManualClock(at)
providers = build_providers(Settings(), store, clock).providers
tenant = TenantStore(store, EventLog(store, Actor("bob", "jump-2"), clock)).get(tenant_id)

async def main():
    record = (await providers.dns.read_routing([tenant]))[tenant_id]
    await providers.dns.apply(record.zone, [DnsChange(tenant_id, record, Routing.simple(tenant.oci_target, 60))])
    clock.advance(600)
    snapshot = await providers.metrics.snapshot([tenant])
    print(json.dumps({"oci_share": snapshot.tenant(tenant_id).oci_share}))

asyncio.run(main())
"""


@pytest.mark.slow  # another process
@pytest.mark.asyncio
async def test_a_change_made_by_another_process_moves_the_traffic_this_one_sees(tmp_path: Path) -> None:
    path = tmp_path / "cutover.db"
    store, clock = new_world(path, tenants=60)
    providers = build_providers(Settings(), store, clock, actor=ACTOR).providers
    tenant = next(t for t in tenants_of(store, clock).find() if t.lifecycle is Lifecycle.READY)
    done = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, str(path), tenant.tenant_id, str(clock.now())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["oci_share"] == 1.0
    clock.advance(600)
    assert (await providers.metrics.snapshot([tenant])).tenant(tenant.tenant_id).oci_share == 1.0


class FakeWall:
    def __init__(self, start: float = 1_000_000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_the_world_clock_is_shared_through_the_store_and_speed_changes_do_not_jump(tmp_path: Path) -> None:
    path = tmp_path / "cutover.db"
    wall = FakeWall()
    store = Store(path)
    opened = open_world(store, WorldOptions(tenants=20, speed=10), wall=wall)
    one = opened.clock
    two = WorldClock(Store(path), wall)
    start = one.now()
    assert isinstance(one, WorldClock) and two.now() == start
    wall.now += 5
    assert one.now() == start, "nobody drives the world: it stands still"
    one.keep_alive()
    wall.now += 1
    assert one.now() == pytest.approx(start + 10) and two.now() == pytest.approx(start + 10)
    one.set_speed(60)
    wall.now += 1
    assert two.now() == pytest.approx(start + 70)
    one.set_speed(0)
    wall.now += HEARTBEAT_EVERY
    one.keep_alive()
    assert two.now() == pytest.approx(start + 70), "speed 0 pauses"


def test_the_world_stands_still_while_nobody_runs_it_and_resumes_where_it_stopped(tmp_path: Path) -> None:
    wall = FakeWall()
    store = Store(tmp_path / "cutover.db")
    clock = open_world(store, WorldOptions(tenants=20, speed=60), wall=wall).clock
    start = clock.now()
    clock.keep_alive()
    wall.now += 2
    assert clock.now() == pytest.approx(start + 120)
    wall.now += 8 * 3600  # the demo was stopped overnight, right after its last heartbeat
    stopped = start + IDLE_AFTER * 60
    assert clock.now() == pytest.approx(stopped)
    later = WorldClock(Store(tmp_path / "cutover.db"), wall)
    later.keep_alive()
    wall.now += 1
    assert later.now() == pytest.approx(stopped + 60)


def test_a_world_driven_without_a_break_keeps_its_speed_for_a_minute(tmp_path: Path) -> None:
    """A driving process's heartbeats keep the world running: a re-anchor that kept the anchor once reset the
    heartbeat to it, so the world froze IDLE_AFTER after the anchor and lost that time at every restart
    (50 world seconds for 60 wall seconds at speed 1)."""
    wall = FakeWall()
    store = Store(tmp_path / "cutover.db")
    clock = open_world(store, WorldOptions(tenants=20, speed=1), wall=wall).clock
    start = clock.now()
    for _ in range(30):
        clock.keep_alive()
        wall.now += HEARTBEAT_EVERY
    assert clock.now() == pytest.approx(start + 30 * HEARTBEAT_EVERY)


@pytest.mark.asyncio
async def test_the_configured_scenario_is_loaded_once_by_whoever_opens_the_world(tmp_path: Path) -> None:
    scenario = Path(__file__).parent.parent / "scenarios" / "rough-night.toml"
    settings = Settings(simulator=SimulatorSettings(tenants=120, scenario=scenario))
    store, clock = new_world(tmp_path / "cutover.db")
    first = build_providers(settings, store, clock, actor=ACTOR)
    second = build_providers(settings, Store(tmp_path / "cutover.db"), clock, actor=ACTOR)
    assert first.world is not None and second.world is not None
    second.world.refresh()
    labels = [f.label for f in second.world.faults() if f.source.startswith("scenario rough-night.toml")]
    assert len(labels) == 8 and "Route 53 throttling every call for 3 minutes" in labels


def test_one_world_serves_several_threads_at_once(simulated) -> None:
    """The console asks from worker threads while its engine thread changes the world."""
    import threading

    fleet = simulated.fleet()
    ready = simulated.in_state("ready")
    p = simulated.providers
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(40):
                asyncio.run(p.metrics.snapshot(fleet))
                asyncio.run(p.sync.status(fleet))
        except BaseException as error:
            errors.append(error)

    def writer() -> None:
        try:
            for tenant in ready:
                record = asyncio.run(p.dns.read_routing([tenant]))[tenant.tenant_id]
                change = DnsChange(tenant.tenant_id, record, Routing.simple(tenant.oci_target, 60))
                asyncio.run(p.dns.apply(record.zone, [change]))
                asyncio.run(p.sync.start_final_sync(tenant))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=reader), threading.Thread(target=reader), threading.Thread(target=writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(simulated.world.db.changes()) == len(ready)


def test_the_world_keeps_each_tenants_parameters_as_nothing_the_garbage_collector_walks(simulated) -> None:
    """At 50,000 tenants the world's cache of per-tenant parameters, filled by the engine's first metrics poll after
    its start-up freeze, was 100,000 tracked objects that a full collection during that poll walked. Kept as plain
    tuples of plain values, CPython stops tracking them; asked for, they come back named and the same."""
    import gc

    from cutover.providers.sim.model import TenantParams

    fleet = simulated.fleet()
    world = simulated.providers.metrics.world
    asyncio.run(simulated.providers.metrics.snapshot(fleet))
    asyncio.run(simulated.providers.sync.status(fleet))
    gc.collect()  # the values of each tenant's (version, values) stop being tracked in the first collection,
    gc.collect()  # the pair in the next (a young one, long before it could reach the oldest generation)
    cached = world.cached_params
    assert len(cached) == len(fleet)
    assert not any(gc.is_tracked(entry) for entry in cached.values())
    for tenant in fleet[:20]:
        assert world.params(tenant) == TenantParams.derive(world.seed, tenant)
        assert world.params(tenant).peak_rpm == TenantParams.derive(world.seed, tenant).peak_rpm


def test_a_tenant_asked_about_alone_is_told_what_the_whole_fleet_read_tells_of_it(make_simulated) -> None:
    """The console's detail of one tenant and the engine's whole-fleet polls ask the same providers: on a rough
    night (faults on some tenants, on every tenant, ambient node losses), each tenant's metrics, sync, backends and
    DNS record read alone are what the whole-fleet read says of it."""
    from cutover.model.routing import DnsName
    from cutover.providers.sim.scenario import inject_scenario, shipped_scenarios

    simulated = make_simulated(size=120, ambient_faults=True)
    p = simulated.providers
    inject_scenario(simulated.world, shipped_scenarios()["rough-night"], simulated.fleet(), simulated.clock.now())
    for advance in (0, 22 * 60, 40 * 60):  # before the faults, during a node loss and sync stalls, silent OCI metrics
        simulated.clock.advance(advance)
        fleet = simulated.fleet()
        snapshot = asyncio.run(p.metrics.snapshot(fleet))
        sync = asyncio.run(p.sync.status(fleet))
        backends = asyncio.run(p.health.backends(fleet))
        records = asyncio.run(p.dns.read_routing(fleet))
        for tenant in fleet:
            tid = tenant.tenant_id
            alone = asyncio.run(p.metrics.snapshot([tenant]))
            assert (alone.tenant(tid), alone.figures(tid)) == (snapshot.tenant(tid), snapshot.figures(tid))
            assert asyncio.run(p.sync.status([tenant])) == {tid: sync[tid]}
            assert asyncio.run(p.health.backends([tenant])) == {tid: backends[tid]}
            assert asyncio.run(p.dns.read_routing([tenant])) == {tid: records[tid]}
            name = DnsName(tid, records[tid].name, records[tid].zone)
            assert asyncio.run(p.dns.read_names([name]))[(tid, name.name)] == records[tid]
