"""Crashes: the engine process killed (SIGKILL) at each step of a cutover and started again ends with
exactly one DNS change per tenant and a consistent store; an engine that stalls right after its DNS
change loses its lease and its successor reconciles instead of changing DNS again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from engine_helpers import Harness, cutover, store_at, war_room
from process_helpers import query
from waiting import eventually

from cutover.actions.plan.plans import PlanRequest
from cutover.config.settings import EngineSettings, Settings
from cutover.model.jobs import CUTOVER_STEPS, JobState, StepState
from cutover.model.lifecycle import Lifecycle
from cutover.state.chain import verify_chain
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.jobs import JobStore
from cutover.state.location import open_store
from cutover.state.tenants import TenantStore

pytestmark = pytest.mark.both_stores


TENANTS = ("T-0001", "T-0002")


def _step_started(path: str, step: str) -> bool:
    rows = query(path, "SELECT started_at FROM job_steps WHERE tenant_id = 'T-0001' AND name = ?", step)
    row = rows[0] if rows else None
    return bool(row and row[0] is not None)


@pytest.mark.slow  # a real process killed (SIGKILL)
@pytest.mark.parametrize("step", CUTOVER_STEPS)
def test_killed_at_each_step_and_started_again_one_dns_change_per_tenant(
    tmp_path: Path, step: str, store_backend: str
) -> None:
    env = war_room(tmp_path, ready=3) | {"CUTOVER_ENGINE__LEASE_TTL": "1", "CUTOVER_ENGINE__HEARTBEAT": "0.25"}
    path = store_at(env)
    with open_store(path) as store:  # an old hydration, so the hydrate step has work to do
        TenantStore(store, EventLog(store, Actor("setup", "jump-1"))).observe("T-0001", hydrated_at=0.0)
    flip = subprocess.Popen(
        [sys.executable, "-m", "cutover", "flip", *TENANTS, "--reason", "crash drill", "--yes"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def started() -> bool:
            if _step_started(path, step):
                return True
            if flip.poll() is not None:
                pytest.fail(f"the flip ended before {step} started")  # no use waiting on
            return False

        eventually(started, timeout=60, interval=0.001, what=f"{step} starting")
        os.kill(flip.pid, signal.SIGKILL)
    finally:
        flip.wait(10)
    assert flip.returncode == -signal.SIGKILL

    resumed = cutover(env, "engine", "--until-idle")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr

    with open_store(path) as store:
        jobs = JobStore(store, EventLog(store, Actor("check", "jump-1")))
        (job,) = jobs.find()
        assert job.state is JobState.SUCCEEDED, (job.result, [(t.tenant_id, t.summary) for t in jobs.targets("flip-1")])
        tenants = TenantStore(store, EventLog(store, Actor("check", "jump-1")))
        for tenant_id in TENANTS:
            assert tenants.get(tenant_id).lifecycle is Lifecycle.MIGRATED
            changes = store.db.execute(
                "SELECT count(*) FROM sim_dns_changes WHERE tenant_id = ?", [tenant_id]
            ).fetchone()[0]
            assert changes == 1, f"{tenant_id}: {changes} DNS changes"
            steps = jobs.steps("flip-1", tenant_id)
            assert all(s.state in (StepState.DONE, StepState.SKIPPED) and s.ended_at for s in steps)
        assert jobs.lock_holders() == []
        assert verify_chain(store).ok
        kinds = [row[0] for row in store.db.execute("SELECT kind FROM events")]
        assert "engine.takeover" in kinds and "job.resumed" in kinds


@pytest.mark.slow  # over a second
@pytest.mark.asyncio
async def test_an_engine_stalled_right_after_its_dns_change_loses_the_lease_and_no_change_repeats(
    tmp_path: Path,
) -> None:
    """The worst moment: the DNS change is made, the engine freezes (GC pause, VM stall) before it records it.

    Its wall clock jumps past the lease's expiry at that instant; its next write is fenced off. A second
    engine takes the lease, finds the step running with the record already on OCI: done, no second change.
    """
    fast_leases = Settings(engine=EngineSettings(lease_ttl=1.0, heartbeat=0.2))
    h = Harness(tmp_path, ready=2, settings=fast_leases)
    jumped = []

    def stalled_wall() -> float:
        if not jumped and h.world.db.count_changes() > 0:
            jumped.append(time.time())
        return time.time() + (3600 if jumped else 0)

    from cutover.actions.engine.engine import Engine

    h.engine = Engine(h.settings, actor=h.actor, store=h.store, providers=h.providers, clock=h.clock, wall=stalled_wall)
    h.ops.on_submit = h.engine.wake
    await h.start()
    job = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="stall drill")
    await h.until(lambda: bool(jumped) and not h.engine.leading, what="the stalled engine losing its lease")
    step = h.jobs.step(job.job_id, "T-0001", "dns_change")
    assert step.state is StepState.RUNNING and "change_id" not in step.detail  # the change was never recorded
    h.engine.request_stop()

    second = Engine(h.settings, actor=Actor("bob", "jump-2"), store=h.store, providers=h.providers, clock=h.clock)
    import asyncio

    task = asyncio.create_task(second.run())
    try:
        await h.until(h.job_done(job.job_id), what="the successor finishing the flip")
        step = h.jobs.step(job.job_id, "T-0001", "dns_change")
        assert step.state is StepState.DONE and "applied before the restart" in step.result
        assert len(h.dns_changes("T-0001")) == 1
        assert h.jobs.get(job.job_id).state is JobState.SUCCEEDED
    finally:
        second.request_stop()
        await task
        await h.stop()
