"""Several war rooms on one store: each owns a part of the fleet (regions, waves), its engine leads and acts on
that part only, and two war rooms whose parts overlap never lead at once: two can never both change a tenant."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from engine_helpers import Harness

from cutover.actions.engine.engine import Engine
from cutover.actions.plan.operations import Operations
from cutover.actions.plan.plans import PlanRequest, Refused
from cutover.actions.wiring.session import Session
from cutover.config.loader import LoadedConfig
from cutover.config.settings import EngineSettings, Settings
from cutover.config.war_room import WarRoom
from cutover.model.jobs import JobKind, JobState
from cutover.model.lifecycle import Lifecycle
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.leases import LeaseStore
from cutover.state.tenants import TenantStore

ENGINE = EngineSettings(lease_ttl=15.0, heartbeat=0.2)
# Two regions in one time zone, so tonight's migration window is open for both.
EAST = {"name": "virginia", "regions": ["us-east-1"]}
WEST = {"name": "ohio", "regions": ["us-east-2"]}


def test_parts_of_the_fleet_overlap_when_some_tenant_could_be_in_both() -> None:
    east, west = WarRoom("east", frozenset({"us-east-1"})), WarRoom("west", frozenset({"eu-frankfurt-1"}))
    early = WarRoom("early", waves=frozenset({1, 2}))
    assert not east.overlaps(west)
    assert east.overlaps(early) and west.overlaps(early)  # wave 1 of either region is early's too
    late = WarRoom("late", waves=frozenset({3}))
    assert late.overlaps(east) and not late.overlaps(early)
    assert WarRoom().overlaps(east)  # the store's one, unnamed war room is the whole fleet
    assert WarRoom().describe() == "the whole-fleet war room (the whole fleet)"
    assert (east.lease, WarRoom().lease) == ("engine:east", "engine")


def test_a_part_of_the_fleet_needs_a_named_war_room() -> None:
    with pytest.raises(ValueError, match=r"set war_room\.name"):
        Settings(war_room={"regions": ["us-east-1"]})
    with pytest.raises(ValueError, match="up to 32 lowercase letters, digits and dashes"):
        Settings(war_room={"name": "EMEA!"})
    with pytest.raises(ValueError, match="waves are numbered from 1"):
        Settings(war_room={"name": "early", "waves": [0]})
    with pytest.raises(ValueError, match="an empty region"):
        Settings(war_room={"name": "emea", "regions": [" "]})


def test_a_region_is_matched_as_the_migration_window_reads_it() -> None:
    """A matrix that writes `US-East-1 ` and a configuration that writes `us-east-1` mean one region."""
    from cutover.config.tenant_spec import MatrixFields

    room = Settings(war_room={"name": "virginia", "regions": [" US-East-1"]}).war_room.room()
    tenant = MatrixFields(
        tenant_id="T-1", size_bytes=1, tier="Std", dns_name="t.example.com", wave=1, region="us-east-1 "
    )
    assert room.holds(tenant)


def _war_room(h: Harness, room: dict, operator: str) -> tuple[Engine, Operations]:
    """Another war room's engine and actions on the harness's store (its jump host, in effect)."""
    settings = h.settings.model_copy(update={"war_room": Settings(war_room=room).war_room})
    actor = Actor(operator, f"jump-{operator}")
    events = EventLog(h.store, actor, h.clock)
    session = Session(LoadedConfig(settings, None), h.store, actor, h.clock, events, TenantStore(h.store, events))
    engine = Engine(settings, actor=actor, store=h.store, providers=h.providers, clock=h.clock)
    return engine, Operations(session, providers=h.providers, on_submit=engine.wake)


@pytest.mark.slow  # engines leading a store for seconds
@pytest.mark.both_stores  # several war rooms on one store is what PostgreSQL is for
@pytest.mark.asyncio
async def test_two_war_rooms_lead_their_own_parts_and_never_act_on_the_others(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=6, settings=Settings(engine=ENGINE, war_room=EAST))
    with h.store.write() as db:  # three of the six are in Ohio: the other war room's
        db.execute("UPDATE tenants SET region = 'us-east-2' WHERE tenant_id IN ('T-0004', 'T-0005', 'T-0006')")
    await h.start()
    west, west_ops = _war_room(h, WEST, "bob")
    whole, _ = _war_room(h, {}, "carol")  # a war room still configured for the whole fleet
    early, _ = _war_room(h, {"name": "early", "waves": [1]}, "dave")  # overlaps both
    tasks = [asyncio.create_task(engine.run()) for engine in (west, whole, early)]
    try:
        await h.until(lambda: west.leading, what="the west war room's engine leading beside the east's")
        await h.until(lambda: whole.status().overlapping and early.status().overlapping, what="the others refused")
        assert h.engine.leading and not whole.leading and not early.leading
        assert whole.status().overlapping == "war room virginia leads an overlapping part"
        leading = {lease.name for lease in LeaseStore(h.store).engines_leading()}
        assert leading == {"engine:virginia", "engine:ohio"}

        # Each war room plans only its own part: a batch by count takes its own three.
        east_job = h.ops.submit(
            h.ops.plan(PlanRequest.batch(count=6, group_size=3)), reason="r", confirmation="batch 3"
        )
        west_plan = west_ops.plan(PlanRequest.batch(count=6, group_size=3))
        assert west_plan.tenant_ids == ("T-0004", "T-0005", "T-0006")
        # A tenant of the other part, named, is refused with whose it is; a control of the other's job too.
        refused = h.ops.plan(PlanRequest(kind=JobKind.FLIP, tenant_ids=("T-0004",)))
        assert not refused.ok
        assert "T-0004 is outside war room virginia (regions us-east-1)" in "; ".join(refused.problems)
        with pytest.raises(Refused, match="outside war room ohio"):
            west_ops.pause(east_job.job_id, reason="not ours")
        west_job = west_ops.submit(west_plan, reason="r", confirmation="batch 3")

        await h.until(h.job_done(east_job.job_id), what="the east batch ending")
        await h.until(h.job_done(west_job.job_id), what="the west batch ending")
        assert h.jobs.get(east_job.job_id).state is JobState.SUCCEEDED
        assert h.jobs.get(west_job.job_id).state is JobState.SUCCEEDED
        assert h.jobs.get(east_job.job_id).runner == h.engine.holder
        assert h.jobs.get(west_job.job_id).runner == west.holder
        for number in range(1, 7):
            tenant_id = f"T-{number:04d}"
            assert h.tenants.get(tenant_id).lifecycle in (Lifecycle.MONITORING, Lifecycle.MIGRATED)
            assert len(h.dns_changes(tenant_id)) == 1  # one DNS change each, by its own war room
        # Each page goes out once, from the war room whose job it is, not once per leading engine.
        for job in (east_job, west_job):
            await h.until(
                lambda job=job: any(
                    n.job_id == job.job_id and "succeeded" in n.text for n in h.world.db.notifications()
                ),
                what=f"{job.job_id}'s last page",
            )
        texts = [(n.job_id, n.tenant_id, n.text) for n in h.world.db.notifications() if n.job_id]
        assert texts and len(texts) == len(set(texts)), texts
    finally:
        for engine in (west, whole, early):
            engine.request_stop()
        await asyncio.gather(*tasks)
        await h.stop()


@pytest.mark.slow  # engines leading a store for seconds
@pytest.mark.both_stores  # several war rooms on one store is what PostgreSQL is for
@pytest.mark.asyncio
async def test_the_whole_fleet_war_room_waits_while_a_named_one_leads_and_leads_when_it_stops(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=3, settings=Settings(engine=ENGINE, war_room=EAST))
    await h.start()
    whole, whole_ops = _war_room(h, {}, "carol")
    task = asyncio.create_task(whole.run())
    try:
        await h.until(lambda: bool(whole.status().overlapping), what="the whole-fleet engine refused")
        assert whole.status().state == "following" and not whole.leading
        assert whole_ops.leader() is None  # what `cutover jobs` says of it: none leads, and who keeps it out
        (keeps_out,) = whole_ops.overlapping_leaders()
        assert keeps_out.startswith("war room virginia (regions us-east-1) leads (alice@jump-1")
        h.engine.request_stop()  # the east war room's engine hands its lease over
        await h._task
        h._task = None
        await h.until(lambda: whole.leading, what="the whole-fleet engine leading once east stopped")
        assert whole.status().overlapping == ""
    finally:
        whole.request_stop()
        await task
        h.store.close()


def test_jobs_names_the_war_room_whose_engine_it_reports_and_a_bad_part_is_named(tmp_path: Path) -> None:
    from engine_helpers import cutover, war_room

    env = war_room(tmp_path, ready=2)
    config = tmp_path / "cutover.toml"
    config.write_text('[war_room]\nname = "ohio"\nregions = ["us-east-2"]\n')
    ran = cutover(env | {"CUTOVER_CONFIG": str(config)}, "jobs")
    assert ran.stdout.startswith("engine of war room ohio (regions us-east-2): none leads"), ran.stdout + ran.stderr
    config.write_text('[war_room]\nregions = ["us-east-2"]\n')
    ran = cutover(env | {"CUTOVER_CONFIG": str(config)}, "jobs")
    assert ran.returncode == 2 and "set war_room.name" in ran.stderr and "Traceback" not in ran.stderr


@pytest.mark.slow  # two processes
def test_a_flip_whose_war_room_cannot_lead_says_why_it_waits(tmp_path: Path) -> None:
    """Submitted in a war room whose engine an overlapping war room keeps out, and of a tenant the other does not
    drive: the command says why it waits (its engine leads, and runs it, once the other stops), not nothing."""
    import signal
    import subprocess
    import sys
    import threading

    from engine_helpers import store_at, war_room
    from process_helpers import query
    from waiting import eventually

    from cutover.state.location import open_store

    env = war_room(tmp_path, ready=3)
    with open_store(store_at(env)) as store, store.write() as db:
        db.execute("UPDATE tenants SET region = 'us-east-2' WHERE tenant_id = 'T-0002'")
    (tmp_path / "virginia.toml").write_text('[war_room]\nname = "virginia"\nregions = ["us-east-1"]\n')
    (tmp_path / "early.toml").write_text('[war_room]\nname = "early"\nwaves = [1]\n')
    virginia = env | {"CUTOVER_CONFIG": str(tmp_path / "virginia.toml")}
    early = env | {"CUTOVER_CONFIG": str(tmp_path / "early.toml")}
    command = [sys.executable, "-m", "cutover"]
    leader = subprocess.Popen([*command, "engine"], env=virginia, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    flip = None
    try:
        eventually(lambda: query(store_at(env), "SELECT name FROM leases WHERE name = 'engine:virginia'"), timeout=30)
        flip = subprocess.Popen(
            [*command, "flip", "T-0002", "--reason", "early wave", "--yes"],
            env=early,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        said = ""
        assert flip.stdout is not None
        watchdog = threading.Timer(60, flip.kill)  # never a test that hangs: the output ends, the test fails
        watchdog.start()
        for line in flip.stdout:
            said += line
            if "waits" in line:
                break
        assert (
            "waits: this war room's engine cannot lead while war room virginia leads an overlapping part; "
            "it leads (and runs it) once that engine stops" in said
        ), said
        watchdog.cancel()
    finally:
        for process in (flip, leader):
            if process is not None:
                process.send_signal(signal.SIGTERM)
                process.wait(20)


@pytest.mark.slow  # an engine leading a store
@pytest.mark.both_stores
@pytest.mark.asyncio
async def test_one_war_rooms_engine_leaves_the_others_tenant_in_flight_alone(tmp_path: Path) -> None:
    """What one engine does to whole tables must not reach another war room's tenant in flight: compaction (it
    folds the whole samples table) keeps its fine samples, its rollback evidence; the trigger loop taking over the
    streaks recorded in the store neither takes nor clears its breaching streak."""
    from cutover.state.facts import TriggerStatus, TriggerStatusStore
    from cutover.state.samples import Sample, SampleStore

    h = Harness(tmp_path, ready=2, settings=Settings(engine=ENGINE, war_room=EAST))
    with h.store.write() as db:
        db.execute("UPDATE tenants SET region = 'us-east-2' WHERE tenant_id = 'T-0002'")  # the Ohio war room's
    h.tenants.transition("T-0002", Lifecycle.CUTTING_OVER, why="Ohio's flight")
    h.tenants.transition("T-0002", Lifecycle.MONITORING, why="Ohio's flight")
    h.clock.advance(3 * 3600)  # monitored for longer than the samples' retention (2 h)
    now = h.clock.now()
    measured = [now - 3600 + 60 * minute for minute in range(40)]
    SampleStore(h.store).add([Sample("T-0002", "oci", at, 100.0, 0.0, 80.0, "oci-monitoring") for at in measured])
    streak = TriggerStatus("T-0002", "error-rate-sustained", "fail", 0.02, now - 120, now, "2 % for 2 min", now - 5)
    TriggerStatusStore(h.store).record([streak])

    def fine_rows() -> int:
        return int(h.store.db.execute("SELECT count(*) FROM metric_samples WHERE tenant_id = 'T-0002'").fetchone()[0])

    await h.start()
    try:
        await h.until(lambda: h.clock.now() >= now + 120, what="the engine's first metrics polls and compaction")
        assert h.tenants.get("T-0002").lifecycle is Lifecycle.MONITORING  # not Virginia's to judge
        assert fine_rows() == len(measured)
        assert [status for status in TriggerStatusStore(h.store).all() if status.tenant_id == "T-0002"] == [streak]
    finally:
        await h.stop()
