"""One engine per war room: two engines on one store, exactly one leads; when it dies the other takes
over and resumes its jobs; a stopped engine hands the lease over at once and stops within two seconds."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from engine_helpers import Harness, cutover, store_at, war_room
from waiting import eventually

from cutover.actions.engine.engine import Engine
from cutover.actions.plan.plans import PlanRequest
from cutover.config.settings import EngineSettings, Settings
from cutover.model.jobs import JobState
from cutover.state.chain import verify_chain
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.jobs import JobStore
from cutover.state.leases import LeaseStore
from cutover.state.location import open_store

pytestmark = pytest.mark.both_stores


def _leader_pid(path: str) -> int | None:
    with open_store(path) as store:
        lease = LeaseStore(store).leader()
    return lease.holder_info.get("pid") if lease else None


def _wait(condition, what: str, timeout: float = 30.0) -> None:
    eventually(condition, what=what, timeout=timeout)


def _standby(path: str) -> str:
    """Who asked for the lease while another engine held it ('' if nobody did)."""
    with open_store(path) as store:
        lease = LeaseStore(store).leader()
    return lease.standby(within=60) if lease else ""


@pytest.mark.slow  # two engine processes, one killed
def test_two_engine_processes_one_leads_and_the_other_takes_over_and_resumes(tmp_path: Path) -> None:
    env = war_room(tmp_path, ready=10) | {"CUTOVER_ENGINE__LEASE_TTL": "1", "CUTOVER_ENGINE__HEARTBEAT": "0.25"}
    path = store_at(env)
    command = [sys.executable, "-m", "cutover", "engine"]
    engines = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)
    ]
    batch = None
    try:
        _wait(lambda: _leader_pid(path) is not None, "an engine leading")
        _wait(lambda: _standby(path), "the other engine asking for the lease")  # both have tried to take it
        first = _leader_pid(path)
        assert first in {e.pid for e in engines}
        with open_store(path) as store:
            leads = [row[0] for row in store.db.execute("SELECT kind FROM events WHERE kind LIKE 'engine.%'")]
        assert leads == ["engine.lead"]  # exactly one took the lease

        # A batch submitted from a third shell is run by the leader, not by the command.
        batch = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cutover",
                "batch",
                "--wave",
                "1",
                "--count",
                "10",
                "--group",
                "5",
                "--every",
                "15m",
                "--reason",
                "takeover drill",
                "--yes",
                "--json",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

        def group_one_started() -> bool:
            with open_store(path) as store:
                steps = (
                    JobStore(store, EventLog(store, Actor("t", "t"))).steps("batch-1")
                    if store.db.execute("SELECT count(*) FROM jobs").fetchone()[0]
                    else []
                )
            return bool(steps) and steps[0].started_at is not None

        _wait(group_one_started, "the batch's first group starting")
        os.kill(first, signal.SIGKILL)
        _wait(lambda: _leader_pid(path) not in (None, first), "the other engine taking over")
        out, err = batch.communicate(timeout=120)
        assert batch.returncode == 0, out + err
        document = json.loads(out)
        assert document["job"]["state"] == "succeeded" and document["job"]["result"] == "10 migrated"
        # Whoever took over (the other engine, or the batch command if it saw no leader first) resumed it.
        with open_store(path) as store:
            kinds = [row[0] for row in store.db.execute("SELECT kind FROM events")]
            assert kinds.count("engine.takeover") == 1 and "job.resumed" in kinds
            per_tenant = dict(store.db.execute("SELECT tenant_id, count(*) FROM sim_dns_changes GROUP BY 1"))
            assert set(per_tenant.values()) == {1} and len(per_tenant) == 10
            assert verify_chain(store).ok, "the audit chain holds across the kill and the takeover"
    finally:
        for process in [*engines, *([batch] if batch else [])]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in engines:
            process.wait(10)


@pytest.mark.slow  # over a second
@pytest.mark.asyncio
async def test_two_engines_in_one_process_one_leads_and_a_clean_stop_hands_over_at_once(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=6, settings=Settings(engine=EngineSettings(lease_ttl=15.0, heartbeat=0.2)))
    await h.start()
    other = Engine(h.settings, actor=Actor("bob", "jump-2"), store=h.store, providers=h.providers, clock=h.clock)
    task = asyncio.create_task(other.run())
    try:
        await h.until(lambda: other.status().state == "following", what="the second engine following")
        assert h.engine.leading and not other.leading
        assert "alice@jump-1" in other.status().leader
        job = h.ops.submit(
            h.ops.plan(PlanRequest.batch(wave=1, count=6, group_size=3)), reason="r", confirmation="batch 6"
        )
        await h.until(lambda: h.jobs.steps(job.job_id)[0].started_at is not None, what="group 1 starting")
        h.engine.request_stop()  # a console closing: the lease is handed over, not left to expire (15 s)
        await h._task
        await h.until(lambda: other.leading, what="the second engine leading")
        await h.until(h.job_done(job.job_id), what="the batch ending under the new leader")
        assert h.jobs.get(job.job_id).state is JobState.SUCCEEDED
        assert h.jobs.get(job.job_id).runner == other.holder
    finally:
        other.request_stop()
        await task
        h.store.close()


def test_an_engine_in_its_own_thread_stops_within_two_seconds(tmp_path: Path) -> None:
    env = war_room(tmp_path, ready=3)
    from cutover.config.loader import load_config

    settings = load_config(environ=env).settings
    engine = Engine(settings, actor=Actor("alice", "jump-1"))
    engine.start_in_thread()
    _wait(lambda: engine.leading, "the engine leading")
    started = time.monotonic()
    assert engine.stop(timeout=2.0)
    assert time.monotonic() - started < 2.0
    assert engine.status().state == "stopped"
    with open_store(store_at(env)) as store:
        assert LeaseStore(store).leader() is None  # handed over, not left to expire
    assert cutover(env, "jobs").stdout.startswith("engine: none leads")
