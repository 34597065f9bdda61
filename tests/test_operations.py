"""The operations facade the console calls: plan, dry run, submit, control, approve; read-only refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import import_runbook, make_ready, write_fleet

from cutover.actions.plan.operations import Operations
from cutover.actions.plan.plans import BadRequest, NeedsConfirmation, PlanRequest, ReadOnly, Refused
from cutover.actions.wiring.session import Session
from cutover.config.loader import load_config
from cutover.model.clock import ManualClock
from cutover.model.jobs import JobState, StepState
from cutover.model.lifecycle import Lifecycle
from cutover.state.chain import verify_chain


@pytest.fixture
def session(tmp_path: Path, clock: ManualClock):
    config = load_config(
        environ={"CUTOVER_STATE__PATH": str(tmp_path / "war-room.db"), "CUTOVER_OPERATOR__NAME": "alice"}
    )
    opened = Session.open(config, clock=clock)
    import_runbook(opened.tenants, write_fleet(tmp_path / "fleet.csv", 40, enterprise=(40,)))
    for number in range(1, 41):
        if number not in (7, 8):
            make_ready(opened.tenants, f"T-{number:04d}", clock.now())
    make_ready(opened.tenants, "T-0007", clock.now(), backends_healthy=2)  # not eligible: a backend is down
    yield opened
    opened.close()


@pytest.fixture
def ops(session: Session) -> Operations:
    return Operations(session)


def test_a_flip_plan_shows_the_frozen_targets_and_the_dns_change(ops: Operations) -> None:
    plan = ops.plan(PlanRequest.flip(["T-0001"]))
    assert plan.ok and plan.tenant_ids == ("T-0001",) and plan.confirm_phrase == "T-0001"
    (change_set,) = plan.change_sets
    (line,) = change_set.lines
    assert (line.zone, line.name, line.after) == ("Z1ZONEA", "tenant1.example.com", "129.213.0.1 (TTL 60)")
    assert plan.params["monitor"] == 600 and plan.params["traffic_done_share"] == 0.99


def test_a_flip_the_gate_blocks_is_refused_naming_the_check(ops: Operations) -> None:
    plan = ops.plan(PlanRequest.flip(["T-0007"]))
    assert plan.problems == ("T-0007: gate blocked by backends: fail, 2/3 healthy",)
    with pytest.raises(Refused, match="backends: fail, 2/3 healthy"):
        ops.submit(plan, reason="night 3")
    assert ops.jobs.find() == []


def test_submit_writes_the_job_with_its_steps_and_waits_for_the_engine(ops: Operations, session: Session) -> None:
    plan = ops.plan(PlanRequest.flip(["T-0001", "T-0002"]))
    with pytest.raises(NeedsConfirmation, match="type 'flip 2' to confirm"):
        ops.submit(plan, reason="night 3")
    job = ops.submit(plan, reason="night 3", confirmation="flip 2")
    assert job.state is JobState.QUEUED and job.targets == ("T-0001", "T-0002") and job.operator == "alice"
    steps = ops.jobs.steps(job.job_id, "T-0002")
    assert [s.name for s in steps] == [
        "hydrate",
        "final_sync",
        "verify",
        "gate",
        "dns_change",
        "dns_insync",
        "traffic",
        "monitoring",
    ]
    assert {s.state for s in steps} == {StepState.PENDING}
    # The tenants are now held by this job: another plan names the holder.
    again = ops.plan(PlanRequest.flip(["T-0002"]))
    assert again.problems == ("T-0002 is held by flip-1 (flip by alice, queued)",)


def test_the_same_confirmation_submitted_twice_is_one_job(ops: Operations) -> None:
    plan = ops.plan(PlanRequest.flip(["T-0001"]))
    first = ops.submit(plan, reason="r", idempotency_key="dialog-42")
    second = ops.submit(plan, reason="r", idempotency_key="dialog-42")
    assert first.job_id == second.job_id and len(ops.jobs.find()) == 1


def test_a_plan_that_changed_since_it_was_shown_is_refused(ops: Operations, session: Session) -> None:
    plan = ops.plan(PlanRequest.batch(wave=1, count=5, group_size=5))
    session.tenants.observe("T-0002", backends_healthy=1)
    with pytest.raises(Refused, match="the plan changed since it was shown"):
        ops.submit(plan, reason="night 3", confirmation="batch 5")


def test_a_safety_refusal_names_the_rule_and_numbers_and_break_glass_is_audited(
    ops: Operations, session: Session
) -> None:
    plan = ops.plan(PlanRequest.flip([f"T-{n:04d}" for n in range(1, 7)]))
    assert plan.problems == (
        "max-cutting-over: 6 tenants would be cutting over at once (0 now + 6 in this change); the limit is 5; "
        "instead: at most 5 tenants now, or --break-glass max-cutting-over=REASON",
    )
    with pytest.raises(BadRequest, match="no safety rule named max-cutover"):
        ops.plan(plan.request.with_overrides({"max-cutover": "typo"}))
    broken = ops.plan(plan.request.with_overrides({"max-cutting-over": "six small tenants, vendor window"}))
    assert broken.ok
    job = ops.submit(broken, reason="night 3", confirmation="flip 6")
    (glass,) = [e for e in session.events.find(job_id=job.job_id) if e.kind == "break-glass"]
    assert glass.operator == "alice" and glass.why == "six small tenants, vendor window"
    assert glass.detail["numbers"] == {"now": 0, "adding": 6, "projected": 6, "limit": 5}
    assert verify_chain(session.store).ok


def test_a_batch_plan_lists_groups_and_every_exclusion_with_its_reason(ops: Operations, session: Session) -> None:
    session.tenants.transition("T-0003", Lifecycle.CUTTING_OVER, why="test")
    session.tenants.transition("T-0003", Lifecycle.MONITORING, why="test")
    plan = ops.plan(PlanRequest.batch(wave=1, count=25, group_size=5))
    assert plan.ok, plan.problems
    assert len(plan.tenant_ids) == 25 and [len(group) for group in plan.groups] == [5, 5, 5, 5, 5]
    excluded = {e.tenant_id: e.reason for e in plan.excluded}
    assert excluded["T-0003"] == "monitoring, not ready"
    assert excluded["T-0007"] == "gate: backends: fail, 2/3 healthy"
    assert excluded["T-0008"] == "pending, not ready"
    assert excluded["T-0029"] == "beyond tonight's count of 25"
    assert plan.confirm_phrase == "batch 25"
    assert plan.params["groups"][0] == ["T-0001", "T-0002", "T-0004", "T-0005", "T-0006"]


def test_a_batch_checks_each_group_against_the_window_at_its_start(ops: Operations, clock: ManualClock) -> None:
    clock.advance(2 * 3600 + 30 * 60)  # 05:30 in New York: the window closes at 06:00
    for number in range(1, 11):
        make_ready(ops.session.tenants, f"T-{number:04d}", clock.now())
    plan = ops.plan(PlanRequest.batch([f"T-{n:04d}" for n in range(1, 11) if n != 7 and n != 8], group_size=2))
    (refusal,) = plan.safety.blocking
    assert refusal.rule == "migration-window"
    assert refusal.tenant_ids == ("T-0005", "T-0006", "T-0009", "T-0010")


def test_rollback_plans_one_change_set_per_zone_and_never_refuses_on_safety(ops: Operations, session: Session) -> None:
    for number in (1, 2, 3):
        session.tenants.transition(f"T-{number:04d}", Lifecycle.CUTTING_OVER, why="test")
        session.tenants.transition(f"T-{number:04d}", Lifecycle.MONITORING, why="test")
    plan = ops.plan(PlanRequest.rollback(all_in_flight=True))
    assert plan.ok and plan.tenant_ids == ("T-0001", "T-0002", "T-0003")
    assert [(c.zone, [line.tenant_id for line in c.lines]) for c in plan.change_sets] == [
        ("Z1ZONEA", ["T-0001", "T-0003"]),
        ("Z2ZONEB", ["T-0002"]),
    ]
    nothing = ops.plan(PlanRequest.rollback(["T-0004"]))
    assert nothing.problems == ("T-0004 is ready: nothing to roll back (its traffic is on AWS)",)


def test_a_rollback_takes_over_from_the_job_holding_the_tenant(ops: Operations, session: Session) -> None:
    flip = ops.submit(ops.plan(PlanRequest.flip(["T-0001"])), reason="r")
    session.tenants.transition("T-0001", Lifecycle.CUTTING_OVER, why="test")
    plan = ops.plan(PlanRequest.rollback(["T-0001"]))
    assert plan.ok and plan.targets[0].note == f"takes it over from {flip.job_id} (flip)"
    rollback = ops.submit(plan, reason="customer reports errors")
    assert ops.jobs.holds(rollback.job_id, "T-0001")
    again = ops.plan(PlanRequest.rollback(["T-0001"]))
    assert again.problems == (f"T-0001 is already rolling back ({rollback.job_id})",)


@pytest.mark.asyncio
async def test_a_dry_run_changes_nothing_and_records_a_rehearsal(ops: Operations, session: Session) -> None:
    plan = ops.plan(PlanRequest.flip(["T-0040"]))
    assert [line.split(":")[0] for line in plan.problems] == ["enterprise-rehearsal", "enterprise-approval"]
    rehearsal = await ops.dry_run(plan, reason="rehearsal before the enterprise night")
    assert ops.jobs.find() == [] and session.tenants.get("T-0040").lifecycle is Lifecycle.READY
    assert rehearsal.change_sets[0].lines[0].after == "129.213.0.40 (TTL 60)"
    (event,) = [e for e in session.events.find(tenant_id="T-0040") if e.kind == "rehearsal"]
    assert event.detail["kind"] == "flip" and event.why == "rehearsal before the enterprise night"
    assert [p.split(":")[0] for p in ops.plan(PlanRequest.flip(["T-0040"])).problems] == ["enterprise-approval"]


def test_approval_by_a_second_operator(ops: Operations, tmp_path: Path, clock: ManualClock) -> None:
    config = load_config(
        environ={"CUTOVER_STATE__PATH": str(tmp_path / "war-room.db"), "CUTOVER_OPERATOR__NAME": "bob"}
    )
    with_bob = Session.open(config, clock=clock)
    try:
        Operations(with_bob).approve(["T-0040"], reason="reviewed the runbook with alice")
    finally:
        with_bob.close()
    problems = ops.plan(PlanRequest.flip(["T-0040"])).problems
    assert [p.split(":")[0] for p in problems] == ["enterprise-rehearsal"]


def test_pause_resume_abort_are_requests_with_reasons(ops: Operations) -> None:
    job = ops.submit(ops.plan(PlanRequest.batch(wave=1, count=5)), reason="night 3", confirmation="batch 5")
    with pytest.raises(BadRequest, match="give a reason"):
        ops.pause(job.job_id, reason=" ")
    assert ops.pause(job.job_id, reason="customer call").control == "pause"
    ops.jobs.take_controls(job.job_id)
    aborted = ops.abort(job.job_id, reason="wrong wave")
    assert aborted.state is JobState.ABORTED  # it never started: aborted on the spot
    assert ops.jobs.lock_holders() == []


def test_read_only_refuses_every_action(session: Session) -> None:
    ops = Operations(session, read_only=True)
    plan = ops.plan(PlanRequest.flip(["T-0001"]))
    assert plan.ok  # looking is allowed
    with pytest.raises(ReadOnly, match="this console is read-only: it cannot flip T-0001"):
        ops.submit(plan, reason="r")
    with pytest.raises(ReadOnly):
        ops.approve(["T-0040"], reason="r")
    assert ops.jobs.find() == []


def test_a_batch_by_count_alone_takes_the_next_ready_tenants(ops: Operations) -> None:
    plan = ops.plan(PlanRequest.batch(count=7, group_size=5))
    assert plan.ok and len(plan.tenant_ids) == 7 and [len(g) for g in plan.groups] == [5, 2]
    assert "T-0007" not in plan.tenant_ids  # a backend down: not eligible
    with pytest.raises(BadRequest, match="choose the batch"):
        ops.plan(PlanRequest.batch())


def test_a_batch_behind_a_flip_waits_for_room_and_a_group_that_never_fits_is_refused_with_advice(
    ops: Operations, session: Session
) -> None:
    ops.submit(ops.plan(PlanRequest.flip(["T-0030"])), reason="r")
    session.tenants.transition("T-0030", Lifecycle.CUTTING_OVER, why="test")
    plan = ops.plan(PlanRequest.batch(wave=1, count=10, group_size=5))
    assert plan.ok, plan.problems
    assert plan.params["waits"] == [
        "group 1 waits for room (max-cutting-over: 6 tenants would be cutting over at once (1 now + 5 in this "
        "change); the limit is 5; in flight: flip-1 (1 tenant))"
    ]
    too_big = ops.plan(PlanRequest.batch(wave=1, count=12, group_size=6))
    assert too_big.problems == (
        "max-cutting-over: 7 tenants would be cutting over at once (1 now + 6 in this change); the limit is 5; "
        "instead: a group of at most 5 (--group 5), or wait for flip-1 (1 tenant) to move on, "
        "or --break-glass max-cutting-over=REASON",
    )
    flips = ops.plan(PlanRequest.flip([f"T-{n:04d}" for n in range(1, 6)]))
    assert flips.problems == (
        "max-cutting-over: 6 tenants would be cutting over at once (1 now + 5 in this change); the limit is 5; "
        "instead: at most 4 tenants now, or wait for flip-1 (1 tenant) to move on, "
        "or --break-glass max-cutting-over=REASON",
    )


def test_a_batch_plan_counts_its_exclusions_by_reason_with_a_few_names(ops: Operations, session: Session) -> None:
    for number in range(9, 20):
        session.tenants.transition(f"T-{number:04d}", Lifecycle.CUTTING_OVER, why="test")
        session.tenants.transition(f"T-{number:04d}", Lifecycle.MONITORING, why="test")
    plan = ops.plan(PlanRequest.batch(wave=1, count=10, group_size=5))
    assert plan.exclusion_summary() == [
        "17 beyond tonight's count of 10: T-0024, T-0025, T-0026 and 14 more",
        "11 monitoring, not ready: T-0009, T-0010, T-0011 and 8 more",
        "T-0007: gate: backends: fail, 2/3 healthy",
        "T-0008: pending, not ready",
    ]
