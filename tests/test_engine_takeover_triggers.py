"""A trigger's breaching streak survives an engine takeover: two engines on one store file, a driven clock.

The leader dies four minutes into a > 1 % error streak (5 minutes sustained rolls back); the engine
that takes over carries the streak on from the store, so the rollback comes at five minutes, not
at the takeover plus five.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from engine_helpers import Harness, inject

from cutover.actions.engine.engine import Engine
from cutover.actions.plan.plans import PlanRequest
from cutover.config.settings import EngineSettings, Settings
from cutover.model.lifecycle import Lifecycle
from cutover.state.facts import TriggerStatusStore
from cutover.state.identity import Actor
from cutover.state.leases import LeaseStore

pytestmark = [pytest.mark.asyncio, pytest.mark.both_stores]

RULE = "error-rate-sustained"


@pytest.mark.slow  # over a second
async def test_the_engine_taking_over_continues_a_four_minute_error_streak(tmp_path: Path, monkeypatch) -> None:
    h = Harness(tmp_path, ready=3, settings=Settings(engine=EngineSettings(lease_ttl=1.0, heartbeat=0.2)))
    died: list[float] = []

    def wall() -> float:  # the first engine's wall clock: it freezes (a dead VM) once `died` is set
        return time.time() + (3600 if died else 0)

    h.engine = Engine(h.settings, actor=h.actor, store=h.store, providers=h.providers, clock=h.clock, wall=wall)
    # A dead process hands nothing over: its lease is left to expire, as after a SIGKILL.
    release = LeaseStore.release
    monkeypatch.setattr(
        LeaseStore,
        "release",
        lambda leases, holder, *a, **k: (
            False if died and holder == h.engine.holder else release(leases, holder, *a, **k)
        ),
    )
    h.ops.on_submit = h.engine.wake
    await h.start()
    second = Engine(h.settings, actor=Actor("bob", "jump-2"), store=h.store, providers=h.providers, clock=h.clock)
    second_task: asyncio.Task | None = None
    try:
        h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="night 3")
        await h.until(lambda: h.tenants.get("T-0001").lifecycle is Lifecycle.MONITORING, what="monitoring")
        inject(h, tmp_path, '[[fault]]\nkind = "error_spike"\ntenants = ["T-0001"]\nerror_rate = 0.02\n')

        def status():
            return next((s for s in TriggerStatusStore(h.store).for_tenant("T-0001") if s.rule == RULE), None)

        def four_minutes_in() -> bool:
            s = status()
            return s is not None and s.breaching_since is not None and s.evaluated_at - s.breaching_since >= 240

        await h.until(four_minutes_in, limit=600, what="a four-minute error streak")
        since = status().breaching_since
        assert h.jobs.find(kind="rollback") == []

        died.append(h.clock.now())  # the leader dies: no heartbeat, no hand-over
        await h.until(lambda: not h.engine.leading, what="the first engine losing its lease")
        h.engine.request_stop()
        await h._task
        h.clock.advance(20)  # the world goes on while nobody leads (the lease expires, the successor starts)
        second_task = asyncio.create_task(second.run())
        await h.until(lambda: second.leading, what="the second engine taking over")
        await h.until(lambda: bool(h.jobs.find(kind="rollback")), limit=600, what="the automatic rollback")

        (rollback,) = h.jobs.find(kind="rollback")
        assert rollback.operator == f"trigger:{RULE}"
        assert rollback.idempotency_key == f"trigger:T-0001:{RULE}:{since}"  # the same streak, carried on
        decided = rollback.params["decided_at"]
        assert since + 300 <= decided <= since + 300 + 30, (since, decided)  # not the takeover plus 5 minutes
        kinds = [e.kind for e in h.session.events.find()]
        assert "engine.takeover" in kinds
    finally:
        second.request_stop()
        if second_task is not None:
            await second_task
        h.store.close()
