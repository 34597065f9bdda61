"""The weighted ramp on the simulated fleet: stages, holds, criteria; pause, resume, skip; abort is a rollback."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_asyncio
from engine_helpers import Harness, inject

from cutover.actions.plan.plans import PlanRequest
from cutover.config.settings import Settings, TriggerSettings
from cutover.model.jobs import JobState, StepState, TargetState
from cutover.model.lifecycle import Lifecycle

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def h(tmp_path: Path):
    # Small tenants: 10 % of their traffic is a few dozen requests a minute; judge stages on that.
    harness = Harness(tmp_path, ready=3, settings=Settings(triggers=TriggerSettings(min_requests=10)))
    await harness.start()
    yield harness
    await harness.stop()


def routing_history(h: Harness, tenant_id: str) -> list[str]:
    return [change.to_routing for change in h.dns_changes(tenant_id)]


async def test_a_ramp_goes_through_every_stage_one_atomic_change_each(h: Harness) -> None:
    plan = h.ops.plan(PlanRequest.ramp(["T-0001"], stages=(10, 50, 100), hold=600))
    assert plan.ok, plan.problems
    assert plan.targets[0].change.after == "aws=52.1.0.1 w90 + oci=129.213.0.1 w10 (TTL 60)"
    job = h.ops.submit(plan, reason="careful tenant")
    await h.until(h.job_done(job.job_id), what="the ramp ending")
    job = h.jobs.get(job.job_id)
    assert job.state is JobState.SUCCEEDED, h.jobs.targets(job.job_id)
    assert h.tenants.get("T-0001").lifecycle is Lifecycle.MIGRATED
    steps = {s.name: s for s in h.jobs.steps(job.job_id, "T-0001")}
    assert [name for name in steps if name.startswith(("dns", "hold"))] == [
        "dns 10 %",
        "hold 10 %",
        "dns 50 %",
        "hold 50 %",
        "dns 100 %",
    ]
    assert steps["hold 10 %"].detail["held_s"] >= 600 and steps["hold 50 %"].detail["held_s"] >= 600
    # Simple -> weighted pair, pair -> pair, pair -> simple OCI: three changes, no more.
    history = h.dns_changes("T-0001")
    assert len(history) == 3
    assert [h.world.db.changes(change_id=c.change_id)[0].tenant_id for c in history] == ["T-0001"] * 3
    target = h.jobs.target(job.job_id, "T-0001")
    assert target.summary.startswith("ramped 10/50/100 % over 20m")


@pytest.mark.slow  # over a second
async def test_pause_stops_the_hold_clock_and_skip_ends_a_hold(h: Harness) -> None:
    job = h.ops.submit(h.ops.plan(PlanRequest.ramp(["T-0001"], stages=(25, 100), hold=1800)), reason="r")
    await h.until(
        lambda: (
            h.jobs.step(job.job_id, "T-0001", "hold 25 %").state is StepState.RUNNING
            and h.jobs.step(job.job_id, "T-0001", "hold 25 %").detail.get("held_s", 0) > 300
        ),
        what="five minutes of hold",
    )
    h.ops.pause(job.job_id, reason="customer on the phone")
    await h.until(lambda: h.jobs.get(job.job_id).state is JobState.PAUSED, what="paused")
    held = h.jobs.step(job.job_id, "T-0001", "hold 25 %").detail["held_s"]
    paused_at = h.clock.now()
    await h.until(lambda: h.clock.now() > paused_at + 3600, what="an hour paused")
    assert h.jobs.step(job.job_id, "T-0001", "hold 25 %").detail["held_s"] == pytest.approx(held, abs=10)
    assert h.tenants.get("T-0001").lifecycle is Lifecycle.CUTTING_OVER  # still at 25 %, triggers armed
    h.ops.resume(job.job_id, reason="customer happy")
    h.ops.skip(job.job_id, reason="no need to wait the full half hour")
    await h.until(lambda: h.jobs.step(job.job_id, "T-0001", "dns 100 %").state is StepState.DONE, what="100 %")
    hold = h.jobs.step(job.job_id, "T-0001", "hold 25 %")
    assert hold.detail.get("skipped") and hold.detail["held_s"] < 1800
    await h.until(h.job_done(job.job_id), what="the ramp ending")
    assert h.jobs.get(job.job_id).state is JobState.SUCCEEDED


async def test_abort_of_a_ramp_is_a_rollback(h: Harness) -> None:
    job = h.ops.submit(h.ops.plan(PlanRequest.ramp(["T-0001"], stages=(10, 50, 100), hold=1800)), reason="r")
    await h.until(
        lambda: (
            h.jobs.step(job.job_id, "T-0001", "dns 50 %").state is StepState.DONE
            or h.jobs.step(job.job_id, "T-0001", "hold 10 %").detail.get("held_s", 0) > 600
        ),
        what="ten minutes at 10 %",
    )
    h.ops.abort(job.job_id, reason="vendor says no")
    await h.until(lambda: h.tenants.get("T-0001").lifecycle is Lifecycle.ROLLED_BACK, what="the rollback")
    await h.until(h.job_done(job.job_id), what="the ramp ending")
    assert h.jobs.get(job.job_id).state is JobState.ABORTED
    assert h.jobs.target(job.job_id, "T-0001").state is TargetState.PREEMPTED
    (rollback,) = h.jobs.find(kind="rollback")
    await h.until(h.job_done(rollback.job_id), what="the rollback job ending")
    assert h.jobs.get(rollback.job_id).state is JobState.SUCCEEDED and rollback.operator == "alice"
    history = h.dns_changes("T-0001")
    assert len(history) == 2 and history[-1].to_routing.count("52.1.0.1") == 1  # the pair, then back to AWS


async def test_a_stage_breaching_its_criteria_pauses_the_ramp_for_a_human(h: Harness, tmp_path: Path) -> None:
    inject(
        h,
        tmp_path,
        """
[[fault]]
kind = "error_spike"
tenants = ["T-0001"]
after_cutover = "1m"
error_rate = 0.06
""",
    )
    job = h.ops.submit(h.ops.plan(PlanRequest.ramp(["T-0001"], stages=(50, 100), hold=1800)), reason="r")
    await h.until(lambda: h.jobs.get(job.job_id).state is JobState.HELD, what="the ramp holding")
    held = h.jobs.get(job.job_id)
    assert "ramp paused at 50 %: OCI error rate" in held.held_reason and "> 0.50 %" in held.held_reason
    assert h.jobs.step(job.job_id, "T-0001", "dns 100 %").state is StepState.PENDING  # not promoted


@pytest.mark.slow  # over a second
async def test_too_little_traffic_on_oci_stops_the_hold_clock_and_says_so(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=2)  # the default: 50 requests in a period to judge anything
    await h.start()
    try:
        job = h.ops.submit(h.ops.plan(PlanRequest.ramp(["T-0001"], stages=(10, 100), hold=600)), reason="r")
        await h.until(lambda: h.jobs.get(job.job_id).state is JobState.HELD, what="the ramp holding")
        started = h.clock.now()
        await h.until(lambda: h.clock.now() > started + 3600, what="an hour")
        hold = h.jobs.step(job.job_id, "T-0001", "hold 10 %")
        assert hold.state is StepState.RUNNING and hold.detail["held_s"] < 600  # never a silent pass
        assert "needed to judge the stage" in h.jobs.get(job.job_id).held_reason
        h.ops.skip(job.job_id, reason="small tenant: judged by hand")
        await h.until(h.job_done(job.job_id), what="the ramp ending")
        assert h.jobs.get(job.job_id).state is JobState.SUCCEEDED
    finally:
        await h.stop()


def stage_steps(h: Harness, job_id: str) -> list[tuple[str, str]]:
    return [
        (s.name, s.state.value) for s in h.jobs.steps(job_id, "T-0001") if s.name.startswith(("dns", "back", "hold"))
    ]


async def at_hold(h: Harness, job_id: str, name: str, seconds_: float) -> None:
    def holding() -> bool:
        step = h.jobs.step(job_id, "T-0001", name)
        return step.state is StepState.RUNNING and step.detail.get("held_s", 0) > seconds_

    await h.until(holding, what=f"{seconds_:.0f} s into {name}")


@pytest.mark.slow  # over a second
async def test_step_back_goes_down_one_stage_waits_there_paused_and_ramps_up_again_on_resume(h: Harness) -> None:
    job = h.ops.submit(h.ops.plan(PlanRequest.ramp(["T-0001"], stages=(10, 50, 100), hold=600)), reason="r")
    await at_hold(h, job.job_id, "hold 50 %", 120)
    h.ops.step_back(job.job_id, reason="p95 creeping up at 50 %")
    await h.until(lambda: h.jobs.get(job.job_id).state is JobState.PAUSED, what="the ramp paused at 10 %")
    paused = h.jobs.get(job.job_id)
    assert paused.paused_by == "alice"
    assert stage_steps(h, job.job_id)[:8] == [
        ("dns 10 %", "done"),
        ("hold 10 %", "done"),
        ("dns 50 %", "done"),
        ("hold 50 %", "done"),
        ("back 10 % #2", "done"),
        ("hold 10 % #2", "running"),
        ("dns 50 % #2", "pending"),
        ("hold 50 % #2", "pending"),
    ]
    assert "stepped back to 10 % by alice" in h.jobs.step(job.job_id, "T-0001", "hold 50 %").result
    history = routing_history(h, "T-0001")
    assert len(history) == 3 and history[-1] == history[0]  # 10 %, 50 %, and back to the 10 % pair
    assert h.tenants.get("T-0001").dns_oci_share == pytest.approx(0.10)
    assert h.tenants.get("T-0001").lifecycle is Lifecycle.CUTTING_OVER  # still ramping, triggers armed

    stepped_at = h.clock.now()
    await h.until(lambda: h.clock.now() > stepped_at + 3600, what="an hour waiting at 10 %")
    assert len(routing_history(h, "T-0001")) == 3  # no ramp up without a person saying so
    assert h.jobs.step(job.job_id, "T-0001", "hold 10 % #2").detail["held_s"] < 60

    h.ops.resume(job.job_id, reason="cause found: a cold cache")
    await h.until(h.job_done(job.job_id), what="the ramp ending")
    assert h.jobs.get(job.job_id).state is JobState.SUCCEEDED
    assert h.jobs.step(job.job_id, "T-0001", "hold 10 % #2").detail["held_s"] >= 600  # the full hold again
    assert len(routing_history(h, "T-0001")) == 5  # up to 50 % again, then 100 %: one change each
    assert h.tenants.get("T-0001").lifecycle is Lifecycle.MIGRATED
    (event,) = [e for e in h.session.events.find(kinds=("ramp.step_back",))]
    assert "from 50 % to 10 %" in event.what


async def test_step_back_is_refused_with_the_reason_at_the_first_stage_and_nothing_is_recorded(h: Harness) -> None:
    from cutover.actions.plan.plans import Refused

    job = h.ops.submit(h.ops.plan(PlanRequest.ramp(["T-0001"], stages=(10, 50, 100), hold=600)), reason="r")
    await at_hold(h, job.job_id, "hold 10 %", 60)
    with pytest.raises(Refused, match=r"T-0001 is at its first stage \(10 %\): below it is AWS alone, a rollback"):
        h.ops.step_back(job.job_id, reason="r")
    assert h.jobs.get(job.job_id).pending_controls == ()
    await h.until(h.job_done(job.job_id), what="the ramp ending")
    with pytest.raises(Exception, match="has already ended"):
        h.ops.step_back(job.job_id, reason="r")


async def test_step_back_while_held_at_a_breach_goes_down_instead_of_waiting(h: Harness, tmp_path: Path) -> None:
    inject(
        h,
        tmp_path,
        """
[[fault]]
kind = "error_spike"
tenants = ["T-0001"]
after_cutover = "15m"
error_rate = 0.06
""",
    )
    job = h.ops.submit(h.ops.plan(PlanRequest.ramp(["T-0001"], stages=(10, 50, 100), hold=600)), reason="r")
    await h.until(
        lambda: "ramp paused at 50 %: OCI error rate" in h.jobs.get(job.job_id).held_reason,
        what="the ramp held at a breach at 50 %",
    )
    h.ops.step_back(job.job_id, reason="back to 10 % while we look")
    await h.until(lambda: ("back 10 % #2", "done") in stage_steps(h, job.job_id), what="the step back")
    assert h.tenants.get("T-0001").dns_oci_share == pytest.approx(0.10)
    assert "ramp paused at 50 %" not in h.jobs.get(job.job_id).held_reason


async def test_a_step_back_given_while_no_engine_leads_is_carried_out_by_the_next_engine(tmp_path: Path) -> None:
    import asyncio

    from cutover.actions.engine.engine import Engine
    from cutover.state.identity import Actor

    h = Harness(tmp_path, ready=3, settings=Settings(triggers=TriggerSettings(min_requests=10)))
    await h.start()
    job = h.ops.submit(h.ops.plan(PlanRequest.ramp(["T-0001"], stages=(10, 50, 100), hold=600)), reason="r")
    await at_hold(h, job.job_id, "hold 50 %", 60)
    h.engine.request_stop()
    await h._task
    assert h.ops.leader() is None
    assert h.ops.step_back(job.job_id, reason="engine down").pending_controls == ("step_back",)
    second = Engine(h.settings, actor=Actor("bob", "jump-2"), store=h.store, providers=h.providers, clock=h.clock)
    task = asyncio.create_task(second.run())
    try:
        await h.until(lambda: h.jobs.get(job.job_id).state is JobState.PAUSED, what="the step back carried out")
        assert h.tenants.get("T-0001").dns_oci_share == pytest.approx(0.10)
        assert len(routing_history(h, "T-0001")) == 3
    finally:
        second.request_stop()
        await task
        h.store.close()


async def test_cutover_step_back_from_a_shell_is_refused_with_the_reason_or_requested(h: Harness) -> None:
    from click.testing import CliRunner

    from cutover.console.cli import cli

    def step_back() -> tuple[int, str]:
        env = {**h.store_env, "CUTOVER_OPERATOR__NAME": "bob"}
        done = CliRunner().invoke(cli, ["step-back", job.job_id, "--reason", "latency"], env=env)
        return done.exit_code, done.output

    job = h.ops.submit(h.ops.plan(PlanRequest.ramp(["T-0001"], stages=(10, 50, 100), hold=600)), reason="r")
    await at_hold(h, job.job_id, "hold 10 %", 60)
    code, output = step_back()
    assert code == 3 and "T-0001 is at its first stage (10 %): below it is AWS alone, a rollback (r)" in output
    await at_hold(h, job.job_id, "hold 50 %", 60)
    code, output = step_back()
    assert code == 0 and f"step back requested for {job.job_id}" in output, output
    h.engine.wake()  # what the leading engine's look at the store does within half a second of wall time
    await h.until(lambda: h.jobs.get(job.job_id).state is JobState.PAUSED, what="the step back carried out")
    assert h.jobs.get(job.job_id).paused_by == "bob" and h.tenants.get("T-0001").dns_oci_share == pytest.approx(0.1)
