"""The engine's copy of the fleet (issue 17): read in full once, then brought up to date from the store's change
feed at each whole-fleet poll, reading only the rows that changed, in tenant_id order."""

from __future__ import annotations

import asyncio
import gc
import math
import weakref
from dataclasses import fields
from pathlib import Path

import pytest
from sim_helpers import Simulated, build_simulated

from cutover.actions.engine.drift import DRIFT_SOURCE
from cutover.actions.engine.engine_core import EngineCore
from cutover.actions.engine.gc_freeze import freeze_rebuilt
from cutover.actions.engine.kept_fleet import KeptFleet
from cutover.actions.engine.poll_schedule import YIELD_EVERY
from cutover.actions.engine.pollers import Pollers
from cutover.actions.engine.trigger_loop import TriggerLoop
from cutover.config.matrix import parse_matrix
from cutover.config.settings import Settings, SimulatorSettings
from cutover.model.clock import ManualClock
from cutover.model.lifecycle import Lifecycle, SyncHealth
from cutover.model.tenant import Tenant
from cutover.state.events import Event, EventLog
from cutover.state.identity import Actor
from cutover.state.samples import Sample, SampleStore
from cutover.state.store import Store
from cutover.state.tenants import READINGS, TenantStore


def _import(tenants: TenantStore, numbers: range) -> None:
    matrix = "Tenant ID,Size,SLA,DNS name\n" + "".join(f"T-{n:04d},2GB,Std,t{n}.example.com\n" for n in numbers)
    parsed = parse_matrix(matrix)
    tenants.apply_import(tenants.plan_import(parsed.tenants, "m.csv"), parsed.tenants, "x")


def _health(tenants: TenantStore, numbers: range, at: float, down: tuple[str, ...] = ()) -> None:
    """A whole-fleet health poll as another engine records it: 3/3 healthy (2/3 for `down`), at `at`."""
    tenants.observe_many(
        {
            f"T-{n:04d}": {
                "backends_healthy": 2 if f"T-{n:04d}" in down else 3,
                "backends_total": 3,
                "health_at": at,
            }
            for n in numbers
        }
    )


def _dns(tenants: TenantStore, numbers: range, at: float, moved: tuple[str, ...] = ()) -> None:
    """A whole-fleet DNS poll as another engine records it: every name on AWS (on OCI for `moved`), at `at`."""
    tenants.observe_many(
        {
            f"T-{n:04d}": {
                "dns_oci_share": 1.0 if f"T-{n:04d}" in moved else 0.0,
                "dns_routing": "oci" if f"T-{n:04d}" in moved else "aws",
                "dns_at": at,
            }
            for n in numbers
        }
    )


def _ids(fleet: KeptFleet) -> list[str]:
    return [tenant.tenant_id for tenant in fleet.tenants]


@pytest.mark.asyncio
async def test_the_first_read_takes_every_tenant_in_order_and_a_refresh_where_nothing_changed_reads_no_row(
    tenants: TenantStore,
) -> None:
    _import(tenants, range(1, 41))
    _health(tenants, range(1, 41), 1_800_000_000.0)
    fleet = KeptFleet(tenants, page=7)

    first = await fleet.refresh()
    assert [t.tenant_id for t in first] == [f"T-{n:04d}" for n in range(1, 41)]
    assert fleet.rows_read == 40

    _health(tenants, range(1, 41), 1_800_000_015.0)  # the same figures, only confirmed later
    again = await fleet.refresh()

    assert fleet.rows_read == 40  # not one row read again
    assert again is first  # the very same fleet, nothing rebuilt


@pytest.mark.asyncio
async def test_a_transition_and_a_figure_by_another_writer_are_seen_and_only_their_rows_are_read(
    tenants: TenantStore,
) -> None:
    _import(tenants, range(1, 41))
    _health(tenants, range(1, 41), 1_800_000_000.0)
    _dns(tenants, range(1, 41), 1_800_000_000.0)
    fleet = KeptFleet(tenants, page=7)
    before = {t.tenant_id: t for t in await fleet.refresh()}

    tenants.transition("T-0009", Lifecycle.SYNCING, why="another engine started its sync")
    _dns(tenants, range(1, 41), 1_800_000_015.0, moved=("T-0031",))
    _health(tenants, range(1, 41), 1_800_000_015.0, down=("T-0032",))  # a measured figure: not read again
    after = {t.tenant_id: t for t in await fleet.refresh()}

    assert fleet.rows_read == 40 + 2
    assert after["T-0009"].lifecycle is Lifecycle.SYNCING
    assert (after["T-0031"].dns_routing, after["T-0031"].dns_oci_share) == ("oci", 1.0)
    assert before["T-0009"].lifecycle is Lifecycle.PENDING  # a poll holding the last fleet sees it unchanged
    unchanged = set(after) - {"T-0009", "T-0031"}
    assert all(after[tenant_id] is before[tenant_id] for tenant_id in unchanged)  # kept, not rebuilt
    assert tenants.get("T-0032").backends_healthy == 2  # in the store, for whatever reads it there
    assert _ids(fleet) == sorted(after)


@pytest.mark.asyncio
async def test_the_copy_holds_each_tenants_row_and_none_of_its_readings(tenants: TenantStore) -> None:
    """A kept tenant's readings would be old (the copy does not follow them): it holds None, "not read", never a
    value that looks like a measurement; everything else is as the store has it."""
    _import(tenants, range(1, 41))
    _health(tenants, range(1, 41), 1_800_000_000.0)
    _dns(tenants, range(1, 41), 1_800_000_000.0, moved=("T-0031",))
    fleet = KeptFleet(tenants, page=7)

    kept = {t.tenant_id: t for t in await fleet.refresh()}
    tenants.transition("T-0009", Lifecycle.SYNCING, why="caught up, not read in full")
    caught_up = {t.tenant_id: t for t in await fleet.refresh()}

    for copy in (kept["T-0031"], caught_up["T-0009"]):
        stored = tenants.get(copy.tenant_id)
        assert (stored.backends_healthy, stored.health_at, stored.dns_at) == (3, 1_800_000_000.0, 1_800_000_000.0)
        assert all(getattr(copy, name) is None for name in READINGS)
        others = [field.name for field in fields(Tenant) if field.name not in READINGS]
        assert [getattr(copy, name) for name in others] == [getattr(stored, name) for name in others]
    assert (kept["T-0031"].dns_routing, caught_up["T-0009"].lifecycle) == ("oci", Lifecycle.SYNCING)


@pytest.mark.asyncio
async def test_tenants_imported_later_take_their_place_in_tenant_id_order(tenants: TenantStore) -> None:
    _import(tenants, range(2, 41, 2))
    fleet = KeptFleet(tenants, page=7)
    assert len(await fleet.refresh()) == 20

    _import(tenants, range(1, 42, 2))  # the odd ones, in between and one past the end

    await fleet.refresh()
    assert _ids(fleet) == [f"T-{n:04d}" for n in range(1, 42)]
    assert fleet.rows_read == 20 + 21
    tenants.transition("T-0041", Lifecycle.SYNCING, why="a new tenant moves on")
    await fleet.refresh()
    assert next(t for t in fleet.tenants if t.tenant_id == "T-0041").lifecycle is Lifecycle.SYNCING
    assert len(fleet.tenants) == 41


@pytest.mark.asyncio
async def test_a_row_changed_while_the_first_read_goes_through_the_pages_is_read_again(
    tenants: TenantStore,
) -> None:
    _import(tenants, range(1, 41))
    fleet = KeptFleet(tenants, page=10)
    reading = asyncio.create_task(fleet.refresh())
    await asyncio.sleep(0)  # the read has taken its first page (T-0001..T-0010) and lets the loop run
    assert not reading.done()
    tenants.transition("T-0003", Lifecycle.SYNCING, why="changed behind the read")
    await reading
    assert fleet.tenants[2].lifecycle is Lifecycle.PENDING  # read before the change

    await fleet.refresh()

    assert fleet.tenants[2].tenant_id == "T-0003"
    assert fleet.tenants[2].lifecycle is Lifecycle.SYNCING


@pytest.mark.asyncio
async def test_a_catch_up_after_every_row_changed_reads_them_a_page_at_a_time_and_matches_a_fresh_read(
    tenants: TenantStore,
) -> None:
    _import(tenants, range(1, 41))
    fleet = KeptFleet(tenants, page=7)
    await fleet.refresh()
    _dns(tenants, range(1, 41), 1_800_000_000.0, moved=("T-0012", "T-0040"))  # a new engine's first poll

    seen_mid_way: list[int] = []

    async def other_task() -> None:  # the job runner, a rollback: they run while the copy is rebuilt
        seen_mid_way.append(fleet.rows_read)

    catching_up = asyncio.create_task(fleet.refresh())
    await asyncio.sleep(0)  # the catch-up has read its first page and lets the loop run
    assert not catching_up.done()
    await other_task()
    await catching_up

    assert seen_mid_way == [40] and fleet.rows_read == 40 + 40  # counted once the last page is in
    fresh = await KeptFleet(tenants, page=7).refresh()
    assert fleet.tenants == fresh  # every field of every tenant, in tenant_id order
    assert [t.dns_routing for t in fleet.tenants if t.tenant_id in ("T-0012", "T-0040")] == ["oci", "oci"]


@pytest.mark.asyncio
async def test_the_engine_is_told_once_a_quarter_of_the_fleet_has_been_built_anew_not_for_every_refresh(
    tenants: TenantStore,
) -> None:
    _import(tenants, range(1, 41))
    fleet = KeptFleet(tenants, page=7, rebuilt_at_least=8)
    told: list[int] = []
    fleet.on_rebuilt = told.append

    await fleet.refresh()
    assert told == [14, 14, 12]  # the first read: as it goes, at least 8 at a time (two pages of 7)

    for n in range(1, 6):  # 5 tenants rebuilt: under a quarter of 40
        tenants.transition(f"T-{n:04d}", Lifecycle.SYNCING, why="test")
    await fleet.refresh()
    assert told == [14, 14, 12]
    for n in range(6, 11):  # 5 more: 10 since the last time, a quarter of 40
        tenants.transition(f"T-{n:04d}", Lifecycle.SYNCING, why="test")
    await fleet.refresh()
    assert told == [14, 14, 12, 5]
    await fleet.refresh()  # nothing changed
    assert told == [14, 14, 12, 5]


@pytest.mark.asyncio
async def test_a_frozen_tenant_replaced_by_a_newer_copy_is_freed(tenants: TenantStore) -> None:
    """The engine freezes the copy of the fleet out of the collector's way (gc_freeze.py): a tenant rebuilt later
    must not stay in memory for good."""
    _import(tenants, range(1, 41))
    fleet = KeptFleet(tenants, page=7, rebuilt_at_least=1)
    fleet.on_rebuilt = lambda built: freeze_rebuilt("test", built)
    await fleet.refresh()
    assert gc.get_freeze_count() > 0
    old = weakref.ref(fleet.tenants[8])

    tenants.transition("T-0009", Lifecycle.SYNCING, why="test")
    await fleet.refresh()

    assert fleet.tenants[8].lifecycle is Lifecycle.SYNCING
    assert old() is None  # freed by reference counting, frozen or not


@pytest.mark.asyncio
async def test_a_catch_up_lets_each_pages_old_tenants_go_as_it_lands_and_a_held_list_stays_as_it_was(
    tenants: TenantStore,
) -> None:
    """After a new engine's first polls every row has changed: the old and the new copy of the whole fleet alive
    together until the last page was 87 MB more at 50,000. Each page's old tenants go as the page lands (unless a
    poll still holds a list with them, which stays as it was)."""
    _import(tenants, range(1, 41))
    fleet = KeptFleet(tenants, page=7)
    held = await fleet.refresh()  # as a poll holds its list while it runs
    await fleet.refresh()
    first_old, last_old = weakref.ref(held[0]), weakref.ref(held[39])
    for n in range(1, 41):  # every row changes, T-0001 first
        tenants.transition(f"T-{n:04d}", Lifecycle.SYNCING, why="test")

    del held
    catching_up = asyncio.create_task(fleet.refresh())
    await asyncio.sleep(0)  # the catch-up has landed its first page and lets the loop run

    assert first_old() is None  # freed with its page
    assert last_old() is not None  # its page has not landed yet
    assert fleet.tenants[0].lifecycle is Lifecycle.SYNCING and fleet.tenants[39].lifecycle is Lifecycle.PENDING
    await catching_up
    assert last_old() is None
    assert [t.lifecycle for t in fleet.tenants] == [Lifecycle.SYNCING] * 40

    kept = await fleet.refresh()
    tenants.transition("T-0002", Lifecycle.VALIDATING, why="test")
    await fleet.refresh()
    assert kept[1].lifecycle is Lifecycle.SYNCING  # a list handed out is never changed
    assert fleet.tenants[1].lifecycle is Lifecycle.VALIDATING


@pytest.mark.asyncio
async def test_a_whole_fleet_metrics_poll_holds_no_more_samples_than_one_transaction_writes(tmp_path: Path) -> None:
    """The samples of a whole-fleet poll wait to be written as plain tuples, which the garbage collector stops
    tracking; only the transaction being written has its Samples. At 50,000 tenants the poll held 86,000 Samples
    at once, which a full collection during the engine's first poll walked (gc_freeze.py)."""
    sim = build_simulated(Store(tmp_path / "cutover.db"), ManualClock(), Actor("alice", "jump-1"), size=1_200)
    pollers = _pollers(sim)
    written: list[int] = []  # Samples per transaction
    alive: list[int] = []  # Samples alive (tracked) as each transaction is written
    add_coarse = pollers.core.samples.add_coarse

    def samples_alive() -> int:
        return sum(1 for o in gc.get_objects() if isinstance(o, Sample))

    def counting(samples: list[Sample], resolution: float) -> int:
        written.append(len(samples))
        alive.append(samples_alive())
        return add_coarse(samples, resolution)

    pollers.core.samples.add_coarse = counting  # type: ignore[method-assign]
    gc.collect()
    before = samples_alive()  # other tests' (a pytest process)
    await pollers.poll_metrics()

    assert sum(written) > 2 * 2 * YIELD_EVERY  # several transactions' worth: both sides of most of the fleet
    assert max(written) == 2 * YIELD_EVERY
    assert max(alive) - before <= 2 * YIELD_EVERY  # not the whole poll's
    assert SampleStore(sim.store).rows() > 0


def _pollers(sim: Simulated) -> Pollers:
    settings = Settings(simulator=SimulatorSettings(tenants=len(sim.fleet()), seed=7))
    events = EventLog(sim.store, Actor("engine", "jump-1"), sim.clock)
    core = EngineCore(settings, sim.store, events, sim.providers, sim.clock, "engine-1", lambda db: None)
    return Pollers(core, TriggerLoop(core))


def _drift_alerts(sim: Simulated, tenant_id: str) -> list[Event]:
    events = EventLog(sim.store, Actor("test", "jump-1"), sim.clock)
    return [
        e
        for e in events.find()
        if e.kind == "alert" and e.detail.get("source") == DRIFT_SOURCE and e.tenant_id == tenant_id
    ]


@pytest.mark.asyncio
async def test_a_tenant_migrated_by_another_writer_is_judged_by_the_next_whole_fleet_dns_poll(
    simulated: Simulated,
) -> None:
    pollers = _pollers(simulated)
    tenant_id = simulated.in_state("ready")[0].tenant_id
    read_at = simulated.tenants.revision()
    await pollers.poll_dns()  # the whole fleet, read once: the tenant ready, its record on AWS, no drift
    assert _drift_alerts(simulated, tenant_id) == []
    first_read = pollers.kept.rows_read
    assert first_read == len(simulated.fleet())

    # Another process records the tenant as migrated (its record left on AWS): DNS now disagrees with the store.
    for state in (Lifecycle.CUTTING_OVER, Lifecycle.MONITORING, Lifecycle.MIGRATED):
        simulated.tenants.transition(tenant_id, state, why="recorded by hand")
    simulated.clock.advance(pollers.engine.fleet_interval)
    changed = len(simulated.tenants.changed_since(read_at).rows)  # the tenant, and the first poll's DNS figures
    read_at = simulated.tenants.revision()
    await pollers.poll_dns()

    (alert,) = _drift_alerts(simulated, tenant_id)
    assert f"{tenant_id} is migrated in the store, so all its traffic should go to OCI" in alert.what
    assert pollers.kept.rows_read - first_read == changed  # the rows that changed since the first read, no more

    second_read = pollers.kept.rows_read
    simulated.clock.advance(pollers.engine.fleet_interval)
    changed = len(simulated.tenants.changed_since(read_at).rows)
    await pollers.poll_dns()  # the same records again: few rows changed
    assert pollers.kept.rows_read - second_read == changed < len(simulated.fleet()) // 10


@pytest.mark.asyncio
async def test_whole_fleet_polls_reread_only_the_rows_whose_steady_figures_moved(simulated: Simulated) -> None:
    """Every whole-fleet metrics poll gives nearly every tenant new live figures; the next poll cycle reads
    again only the tenants whose lifecycle, matrix or other figures changed (here: the syncing ones)."""
    pollers = _pollers(simulated)
    polls = (pollers.poll_metrics, pollers.poll_dns, pollers.poll_sync, pollers.poll_health)
    for _ in range(2):  # the first reads and writes of everything
        for poll in polls:
            await poll()
        simulated.clock.advance(pollers.engine.fleet_interval)
    refreshed_at = simulated.tenants.revision()  # what the next poll's refresh brings the copy up to
    for poll in polls:
        await poll()
    simulated.clock.advance(pollers.engine.fleet_interval)
    steady, every = (len(simulated.tenants.changed_since(refreshed_at, steady=s).rows) for s in (True, False))
    read = pollers.kept.rows_read

    await pollers.poll_metrics()

    assert every > len(simulated.fleet()) * 0.9  # the metrics poll moved nearly every row
    assert pollers.kept.rows_read - read == steady < len(simulated.fleet()) // 3


def _as_stored(value: object) -> object:
    """A value as the store keeps it: NaN and infinity are no figure."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


@pytest.mark.asyncio
async def test_each_tenants_sync_and_health_figures_are_stored_as_its_provider_answered(simulated: Simulated) -> None:
    """The sync and health polls hand the store each tenant's values in the order of their names: every figure
    lands in its own column (read back by name), for every tenant of the fleet."""
    pollers = _pollers(simulated)
    await pollers.poll_sync()
    await pollers.poll_health()
    fleet = simulated.fleet()
    statuses = await simulated.providers.sync.status(fleet)
    found = await simulated.providers.health.backends(fleet)
    assert len(statuses) == len(found) == len(fleet)
    hydrated = 0
    for tenant in fleet:
        stored, status, health = (
            simulated.tenants.get(tenant.tenant_id),
            statuses[tenant.tenant_id],
            found[tenant.tenant_id],
        )
        assert stored.sync_health is SyncHealth(status.health)
        assert (
            stored.sync_percent,
            stored.sync_eta_s,
            stored.sync_lag_s,
            stored.pending_objects,
            stored.pending_bytes,
            stored.checksum_mismatches,
            stored.last_pass_at,
            stored.observed_at,
        ) == tuple(
            _as_stored(value)
            for value in (
                status.percent,
                status.eta_s,
                status.lag_s,
                status.pending_objects,
                status.pending_bytes,
                status.checksum_mismatches,
                status.last_pass_at,
                status.measured_at,
            )
        ), tenant.tenant_id
        assert (stored.backends_healthy, stored.backends_total, stored.health_at) == (
            health.healthy,
            health.total,
            health.measured_at,
        )
        if health.hydrated_at is not None:
            assert stored.hydrated_at == health.hydrated_at
            hydrated += 1
    assert hydrated > 0  # the tenants reporting a hydration, handed apart, are stored too


@pytest.mark.asyncio
async def test_each_tenants_dns_and_live_figures_are_stored_as_read_and_a_moved_ttl_keeps_its_history(
    simulated: Simulated,
) -> None:
    """The DNS and metrics polls hand the store most tenants' values as rows: every tenant's record as read and
    its figures as the snapshot gives them land in their columns; a tenant whose TTL differs from the one stored
    (set by hand to 3,600 s here) has its TTL history recorded too, with the TTL it had before."""
    pollers = _pollers(simulated)
    await pollers.poll_dns()
    moved = simulated.fleet()[5].tenant_id
    simulated.tenants.observe(moved, dns_ttl=3600, dns_ttl_since=simulated.clock.now() - 86_400)
    simulated.clock.advance(pollers.engine.fleet_interval)

    await pollers.poll_dns()
    await pollers.poll_metrics()

    fleet = simulated.fleet()
    records = await simulated.providers.dns.read_routing(fleet)
    snapshot = await simulated.providers.metrics.snapshot(fleet)
    assert len(records) == len(fleet)
    with_figures = 0
    for tenant in fleet:
        record = records[tenant.tenant_id]
        assert (tenant.dns_oci_share, tenant.dns_routing, tenant.dns_at) == (
            record.routing.oci_share(tenant.aws_target, tenant.oci_target),
            record.describe(),
            record.measured_at,
        ), tenant.tenant_id
        figures = snapshot.figures(tenant.tenant_id)
        if figures is not None:
            assert (tenant.observed_oci_share, tenant.requests, tenant.error_rate, tenant.p95_ms) == (
                figures.oci_share,
                figures.requests,
                figures.error_rate,
                figures.p95_ms,
            ), tenant.tenant_id
            assert tenant.metrics_at == figures.measured_at
            with_figures += 1
    assert with_figures > len(fleet) // 2
    history = simulated.tenant(moved)
    assert (history.dns_ttl, history.dns_ttl_before) == (records[moved].routing.ttl, 3600)
    assert history.dns_ttl_since == records[moved].measured_at
    assert history.dns_ttl_safe_at >= records[moved].measured_at + 3600  # an hour's answers may still be cached
