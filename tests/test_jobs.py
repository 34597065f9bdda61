"""Durable jobs, steps, idempotency keys, tenant locks and the engine lease, through the real store file."""

from __future__ import annotations

import pytest

from cutover.model.clock import ManualClock
from cutover.model.jobs import Control, JobState, StepState, TargetState
from cutover.state.chain import verify_chain
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.job_records import JobError, LeaseLost, LockConflict, NewTarget
from cutover.state.jobs import JobStore
from cutover.state.leases import LeaseStore
from cutover.state.location import open_store
from cutover.state.store import Store

pytestmark = pytest.mark.both_stores


CUTOVER_STEPS = ("final_sync", "verify", "gate", "dns_change", "dns_insync", "traffic", "monitoring")


@pytest.fixture
def jobs(store: Store, events: EventLog) -> JobStore:
    return JobStore(store, events)


def targets(*tenant_ids: str, steps: tuple[str, ...] = CUTOVER_STEPS) -> list[NewTarget]:
    return [NewTarget(tenant_id, steps) for tenant_id in tenant_ids]


def test_a_job_is_written_whole_before_anything_happens(store_location: str, jobs: JobStore) -> None:
    job, created = jobs.submit("flip", targets("T-0001", "T-0002"), reason="wave 1, night 3", params={"monitor": 600})
    assert created and job.job_id == "flip-1" and job.state is JobState.QUEUED
    assert job.targets == ("T-0001", "T-0002") and job.operator == "alice" and job.reason == "wave 1, night 3"

    # Another connection (another console) sees all of it.
    with open_store(store_location) as other:
        seen = JobStore(other, EventLog(other, Actor("bob", "jump-1"))).get("flip-1")
        assert seen.params == {"monitor": 600}
        steps = JobStore(other, EventLog(other, Actor("bob", "jump-1"))).steps("flip-1", "T-0002")
        assert [step.name for step in steps] == list(CUTOVER_STEPS)
        assert all(step.state is StepState.PENDING for step in steps)
    (event,) = [e for e in jobs.events.find(job_id="flip-1")]
    assert event.kind == "job.queued" and event.why == "wave 1, night 3"


def test_the_same_idempotency_key_gives_back_the_same_job(jobs: JobStore) -> None:
    first, created = jobs.submit("flip", targets("T-0001"), reason="r", idempotency_key="console-7f3a")
    again, created_again = jobs.submit("flip", targets("T-0001"), reason="r", idempotency_key="console-7f3a")
    assert created and not created_again and again.job_id == first.job_id
    assert len(jobs.find()) == 1


def test_a_held_tenant_is_refused_naming_the_holder_and_its_job(jobs: JobStore) -> None:
    jobs.submit("batch", targets("T-0001", "T-0002"), reason="night 3", operator="alice")
    with pytest.raises(LockConflict) as refused:
        jobs.submit("flip", targets("T-0003", "T-0002"), reason="hotfix", operator="bob")
    assert str(refused.value) == "T-0002 is held by batch-1 (batch by alice, queued)"
    # All or nothing: T-0003 was not locked, no job was written.
    assert [job.job_id for job in jobs.find()] == ["batch-1"]
    assert [holder.tenant_id for holder in jobs.lock_holders()] == ["T-0001", "T-0002"]


def test_ending_a_job_releases_its_locks(jobs: JobStore) -> None:
    jobs.submit("flip", targets("T-0001"), reason="r")
    jobs.claim("flip-1", "engine-a")
    jobs.set_state("flip-1", JobState.SUCCEEDED, result="migrated")
    job, created = jobs.submit("rollback", targets("T-0001", steps=("dns_change",)), reason="r")
    assert created and jobs.holds(job.job_id, "T-0001")


def test_a_rollback_takes_a_tenant_from_the_job_holding_it(jobs: JobStore) -> None:
    jobs.submit("batch", targets("T-0001", "T-0002"), reason="night 3")
    jobs.claim("batch-1", "engine-a")
    rollback, created = jobs.submit("rollback", targets("T-0002", steps=("dns_change",)), reason="5 % errors")
    assert created and jobs.holds(rollback.job_id, "T-0002") and jobs.holds("batch-1", "T-0001")
    taken = jobs.target("batch-1", "T-0002")
    assert taken.state is TargetState.PREEMPTED and taken.summary == f"taken over by {rollback.job_id}"
    # The batch cannot write over it afterwards.
    assert jobs.update_target("batch-1", "T-0002", TargetState.SUCCEEDED).state is TargetState.PREEMPTED
    # A second rollback of the same tenant is refused: one rollback at a time.
    with pytest.raises(LockConflict, match=f"T-0002 is held by {rollback.job_id} \\(rollback"):
        jobs.submit("rollback", targets("T-0002", steps=("dns_change",)), reason="again")


def test_steps_record_times_results_and_request_ids(jobs: JobStore, clock: ManualClock) -> None:
    jobs.submit("flip", targets("T-0001"), reason="r")
    step = jobs.step("flip-1", "T-0001", "dns_change")
    step = jobs.start_step(step, {"expected": "52.1.2.1 (TTL 60)"})
    clock.advance(3)
    step = jobs.note_step(step, request_ids=["/change/C123"], detail={"zone": "Z1"})
    clock.advance(2)
    done = jobs.finish_step(step, StepState.DONE, "pointed at OCI", request_ids=["/change/C123"])
    assert done.state is StepState.DONE and done.duration_s == 5 and done.request_ids == ("/change/C123",)
    assert done.detail == {"expected": "52.1.2.1 (TTL 60)", "zone": "Z1"}
    # A resumed step keeps its first start time.
    again = jobs.start_step(done)
    assert again.started_at == done.started_at


def test_operator_controls_are_requests_the_engine_takes(jobs: JobStore) -> None:
    jobs.submit("batch", targets("T-0001"), reason="r")
    # A queued job nobody runs yet is aborted on the spot.
    assert jobs.request("batch-1", Control.ABORT, operator="bob", why="wrong wave").state is JobState.ABORTED
    assert jobs.lock_holders() == []

    jobs.submit("batch", targets("T-0001"), reason="r")
    jobs.claim("batch-2", "engine-a")
    assert jobs.request("batch-2", Control.PAUSE, operator="bob", why="customer call").control == "pause"
    jobs.request("batch-2", Control.RESUME, operator="carol", why="call over")
    assert jobs.get("batch-2").pending_controls == ("pause", "resume")
    assert jobs.take_controls("batch-2") == [(Control.PAUSE, "carol"), (Control.RESUME, "carol")]
    assert jobs.take_controls("batch-2") == []
    with pytest.raises(JobError, match="only a ramp has stages to skip"):
        jobs.request("batch-2", Control.SKIP, operator="bob", why="x")
    jobs.set_state("batch-2", JobState.SUCCEEDED)
    with pytest.raises(JobError, match="already ended \\(succeeded\\)"):
        jobs.request("batch-2", Control.PAUSE, operator="bob", why="x")


def test_every_job_state_change_is_an_audit_event(jobs: JobStore, store: Store) -> None:
    jobs.submit("flip", targets("T-0001"), reason="r")
    jobs.claim("flip-1", "engine-a")
    jobs.set_state("flip-1", JobState.HELD, held_reason="traffic did not move")
    jobs.set_state("flip-1", JobState.RUNNING, why="resumed by bob")
    jobs.set_state("flip-1", JobState.SUCCEEDED, result="migrated")
    kinds = [event.kind for event in jobs.events.find(job_id="flip-1")]
    assert kinds == ["job.queued", "job.running", "job.held", "job.running", "job.succeeded"]
    assert verify_chain(store).ok


def test_one_lease_holder_and_takeover_after_expiry(store: Store) -> None:
    wall = [1000.0]
    leases = LeaseStore(store, wall=lambda: wall[0])
    ours, _ = leases.acquire("engine-a", {"operator": "alice", "host": "jump-1", "pid": 11}, ttl=15)
    assert ours is not None and ours.epoch == 1
    theirs, holder = leases.acquire("engine-b", {"operator": "bob"}, ttl=15)
    assert theirs is None and holder is not None and holder.holder == "engine-a"
    assert holder.describe(1000.0) == "alice@jump-1 (pid 11), heartbeat 0 s ago"

    wall[0] += 10
    assert leases.heartbeat("engine-a", 1, ttl=15) is not None
    wall[0] += 16  # engine-a stopped renewing
    assert leases.leader() is None
    theirs, previous = leases.acquire("engine-b", {"operator": "bob"}, ttl=15)
    assert theirs is not None and theirs.epoch == 2 and previous is not None and previous.holder == "engine-a"
    # The old holder finds out at its next heartbeat, and its writes are fenced off.
    assert leases.heartbeat("engine-a", 1, ttl=15) is None
    jobs = JobStore(store, EventLog(store, Actor("alice", "jump-1")), fence=leases.fence("engine-a", 1))
    with pytest.raises(LeaseLost, match="passed to another engine"):
        jobs.claim("flip-1", "engine-a")


def test_release_hands_the_lease_over_at_once(store: Store) -> None:
    wall = [1000.0]
    leases = LeaseStore(store, wall=lambda: wall[0])
    ours, _ = leases.acquire("engine-a", {}, ttl=15)
    assert ours is not None and leases.release("engine-a", ours.epoch)
    theirs, _ = leases.acquire("engine-b", {}, ttl=15)
    assert theirs is not None and theirs.holder == "engine-b"
