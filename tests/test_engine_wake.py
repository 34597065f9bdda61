"""A job submitted by a console on another host is taken by the leading engine at once on PostgreSQL (LISTEN/NOTIFY
wakes its job runner), not at the runner's next look at the store."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from engine_helpers import Harness

from cutover.actions.engine import runner
from cutover.actions.plan.operations import Operations
from cutover.actions.plan.plans import PlanRequest
from cutover.actions.wiring.session import Session
from cutover.config.loader import LoadedConfig
from cutover.config.settings import EngineSettings, Settings
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.location import open_store
from cutover.state.tenants import TenantStore

pytestmark = [pytest.mark.slow, pytest.mark.both_stores, pytest.mark.asyncio]  # slow: an engine leading a store


async def test_a_job_from_another_host_is_taken_at_once_on_postgresql(
    tmp_path: Path, store_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "STORE_POLL", 30.0)  # the runner's own look at the store: far away
    h = Harness(tmp_path, ready=2, settings=Settings(engine=EngineSettings(lease_ttl=15.0, heartbeat=0.2)))
    await h.start()
    other_host = open_store(h.location)  # a console on another jump host: its own connection to the store
    try:
        actor = Actor("bob", "jump-2")
        events = EventLog(other_host, actor, h.clock)
        session = Session(
            LoadedConfig(h.settings, None), other_host, actor, h.clock, events, TenantStore(other_host, events)
        )
        ops = Operations(session, providers=h.providers)  # no on_submit: nothing in this process tells the engine
        await h.until(lambda: h.jobs.active() == [], what="the engine settled")
        submitted = time.monotonic()
        job = ops.submit(ops.plan(PlanRequest.flip(["T-0001"])), reason="from another host")
        if store_backend == "sqlite":
            assert other_host.change_listener() is None  # no signal across processes: the runner's look finds it
            return
        await h.until(lambda: h.jobs.get(job.job_id).runner == h.engine.holder, limit=60, what="the engine taking it")
        assert time.monotonic() - submitted < 5.0  # well under a second on an idle machine; 30 s without the wake
    finally:
        other_host.close()
        await h.stop()
