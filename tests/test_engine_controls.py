"""Controls on a stopped line: a pause never hides the hold, a resume is never lost (even given while no
engine leads), and a resume the engine would undo at once is refused with the rule (break-glass passes)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner
from engine_helpers import Harness, inject

from cutover.actions.engine.engine import Engine
from cutover.actions.plan.plans import PlanRequest, ResumeRefused
from cutover.config.settings import SafetySettings, Settings
from cutover.console.cli import cli
from cutover.model.jobs import JobState
from cutover.model.lifecycle import Lifecycle
from cutover.state.identity import Actor

pytestmark = [pytest.mark.asyncio, pytest.mark.both_stores]

SPIKE = """
[[fault]]
kind = "error_spike"
tenants = ["T-0002"]
after_cutover = "2m"
error_rate = 0.2
"""


async def batch_with_a_stopped_line(h: Harness, tmp_path: Path) -> str:
    inject(h, tmp_path, SPIKE)
    plan = h.ops.plan(PlanRequest.batch([f"T-{n:04d}" for n in range(1, 11)], count=10, group_size=5))
    assert plan.ok, plan.problems
    job_id = h.ops.submit(plan, reason="night 3", confirmation=plan.confirm_phrase).job_id
    await h.until(lambda: h.jobs.get(job_id).state is JobState.HELD, what="the line stopping")
    assert h.jobs.get(job_id).held_reason.startswith("stop the line before group 2: T-0002 taken over by a rollback")
    return job_id


def events_after(h: Harness, seq: int, kind: str, job_id: str) -> list:
    return [e for e in h.session.events.find() if e.seq > seq and e.kind == kind and e.job_id == job_id]


@pytest.mark.slow  # over a second
async def test_pausing_a_held_batch_keeps_the_hold_and_its_reason_until_a_resume_acknowledges_it(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, ready=12)
    await h.start()
    try:
        job_id = await batch_with_a_stopped_line(h, tmp_path)
        h.ops.pause(job_id, reason="customer call")
        await h.until(lambda: h.jobs.get(job_id).paused_by == "alice", what="the pause applied")
        paused = h.jobs.get(job_id)
        assert paused.state is JobState.HELD and paused.paused
        assert paused.held_reason.startswith("stop the line before group 2: T-0002 taken over by a rollback")

        h.ops.resume(job_id, reason="T-0002 looked at; go on")
        await h.until(h.job_done(job_id), what="the batch ending")
        (applied,) = [e for e in h.session.events.find() if e.kind == "job.control.applied" and "resume" in e.what]
        assert applied.detail["acknowledged"] and "T-0002 taken over by a rollback" in applied.detail["acknowledged"][0]
        assert "acknowledges stop the line before group 2" in applied.what
        assert h.jobs.get(job_id).result == "9 migrated, 1 taken over by a rollback"
    finally:
        await h.stop()


@pytest.mark.slow  # over a second
async def test_a_resume_given_while_no_engine_leads_takes_effect_when_one_leads(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=12)
    await h.start()
    job_id = await batch_with_a_stopped_line(h, tmp_path)
    h.engine.request_stop()
    await h._task
    assert h.ops.leader() is None
    resumed = h.ops.resume(job_id, reason="T-0002 looked at while the engine was down")
    assert resumed.state is JobState.HELD and resumed.pending_controls == ("resume",)

    second = Engine(h.settings, actor=Actor("bob", "jump-2"), store=h.store, providers=h.providers, clock=h.clock)
    task = asyncio.create_task(second.run())
    try:
        await h.until(h.job_done(job_id), what="the batch ending under the next engine")
        assert h.jobs.get(job_id).result == "9 migrated, 1 taken over by a rollback"
        assert events_after(h, resumed_seq(h, job_id), "job.held", job_id) == []  # never held again for it
        assert {h.tenants.get(f"T-{n:04d}").lifecycle for n in range(6, 11)} == {Lifecycle.MIGRATED}
    finally:
        second.request_stop()
        await task
        h.store.close()


def resumed_seq(h: Harness, job_id: str) -> int:
    return max(e.seq for e in h.session.events.find() if e.kind == "job.control" and e.job_id == job_id)


@pytest.mark.slow  # over a second
async def test_a_resume_past_the_rollback_limit_is_refused_with_the_rule_and_break_glass_lets_it_through(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, ready=12, settings=Settings(safety=SafetySettings(max_rollbacks_per_night=1)))
    await h.start()
    try:
        job_id = await batch_with_a_stopped_line(h, tmp_path)
        with pytest.raises(ResumeRefused) as refused:
            h.ops.resume(job_id, reason="go on")
        assert "would be held again at once: max-rollbacks-per-night: 1 rollback tonight (T-0002); the limit is 1" in (
            str(refused.value)
        )
        assert h.jobs.get(job_id).pending_controls == ()  # nothing recorded

        result = CliRunner().invoke(
            cli,
            ["resume", job_id, "--reason", "go on"],
            env={**h.store_env, "CUTOVER_SAFETY__MAX_ROLLBACKS_PER_NIGHT": "1"},
        )
        assert result.exit_code == 3, result.output
        assert "max-rollbacks-per-night" in result.output and "--break-glass" in result.output

        h.ops.resume(job_id, reason="go on", overrides={"max-rollbacks-per-night": "the customer signed off"})
        overrides = [e for e in h.session.events.find() if e.kind == "break-glass" and e.job_id == job_id]
        assert [e.detail["rule"] for e in overrides] == ["max-rollbacks-per-night"]
        assert overrides[0].why == "the customer signed off"
        await h.until(h.job_done(job_id), what="the batch ending")
        assert h.jobs.get(job_id).result == "9 migrated, 1 taken over by a rollback"
    finally:
        await h.stop()


@pytest.mark.slow  # over a second
async def test_a_pause_and_an_abort_given_while_no_engine_leads_take_effect_when_one_leads(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=12)
    await h.start()
    plan = h.ops.plan(PlanRequest.batch([f"T-{n:04d}" for n in range(1, 11)], count=10, group_size=5))
    job_id = h.ops.submit(plan, reason="night 3", confirmation=plan.confirm_phrase).job_id
    await h.until(lambda: h.jobs.step(job_id, None, "group 1").started_at is not None, what="group 1 starting")
    h.engine.request_stop()
    await h._task
    assert h.ops.leader() is None
    paused = h.ops.pause(job_id, reason="customer call, engine down")
    assert paused.pending_controls == ("pause",)  # recorded, not lost

    second = Engine(h.settings, actor=Actor("bob", "jump-2"), store=h.store, providers=h.providers, clock=h.clock)
    task = asyncio.create_task(second.run())
    try:
        await h.until(lambda: h.jobs.get(job_id).paused, what="the pause applied by the next engine")
        assert h.jobs.get(job_id).paused_by == "alice"
        later = h.clock.now()
        await h.until(lambda: h.clock.now() > later + 3600, what="an hour paused")
        assert h.jobs.steps(job_id)[1].started_at is None  # group 2 never started while paused
    finally:
        second.request_stop()
        await task

    aborted = h.ops.abort(job_id, reason="stop for tonight, engine down again")
    assert "abort" in aborted.pending_controls
    third = Engine(h.settings, actor=Actor("carol", "jump-3"), store=h.store, providers=h.providers, clock=h.clock)
    task = asyncio.create_task(third.run())
    try:
        await h.until(h.job_done(job_id), what="the abort applied by the next engine")
        assert h.jobs.get(job_id).state is JobState.ABORTED
        assert {h.tenants.get(f"T-{n:04d}").lifecycle for n in range(6, 11)} == {Lifecycle.READY}
    finally:
        third.request_stop()
        await task
        h.store.close()
