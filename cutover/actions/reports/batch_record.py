"""A batch's record as it is now: tenants rolled back after their group ended count as rolled back.

A group's own step records its outcome when its last tenant ends ("5 migrated").
A rollback that comes later (a trigger during or after the monitoring, or an
operator) does not change that step, nor the batch's target (it had succeeded):
read alone, they would say "5 migrated" of a tenant back on AWS. Here the record
says `group 1: 4 migrated, 1 rolled back later (rollback-3)`, and whether that
rollback stopped the line, and why or why not: a batch stops its line only for a
tenant rolled back while its group runs, and, through the night's rollback limit,
for the next group's admission.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from cutover.actions.engine.flows.jobs import OUTCOME_WORDS
from cutover.actions.plan.read_model import JobView
from cutover.model.jobs import JobKind, JobState, StepState, TargetState
from cutover.state.job_records import Step
from cutover.state.jobs import JobStore


@dataclass(frozen=True)
class LaterRollback:
    tenant_id: str
    group: int  # 1-based
    job_id: str  # the rollback's job
    at: float
    stopped_line: bool
    why: str  # why it did or did not stop the line, in words

    def describe(self) -> str:
        return f"{self.tenant_id} rolled back later by {self.job_id}: {self.why}"


def later_rollbacks(view: JobView, jobs: JobStore) -> dict[str, LaterRollback]:
    """The batch's tenants that succeeded and were rolled back by a later job."""
    job = view.job
    groups: list[list[str]] = job.params.get("groups") or []
    group_of = {tid: number for number, ids in enumerate(groups, start=1) for tid in ids}
    own = {step.name: step for step in view.steps_of(None)}
    found: dict[str, LaterRollback] = {}
    for target in view.targets:
        if target.state is not TargetState.SUCCEEDED or target.ended_at is None:
            continue
        rollbacks = [
            other
            for other in jobs.jobs_for_tenant(target.tenant_id)
            if other.kind == JobKind.ROLLBACK
            and other.created_at >= target.ended_at
            and other.state is not JobState.REFUSED
        ]
        if not rollbacks:
            continue
        rollback = min(rollbacks, key=lambda other: other.seq)
        group = group_of.get(target.tenant_id, 0)
        stopped, why = _did_it_stop_the_line(view, own, group, rollback.created_at)
        found[target.tenant_id] = LaterRollback(
            target.tenant_id, group, rollback.job_id, rollback.created_at, stopped, why
        )
    return found


def _did_it_stop_the_line(view: JobView, own: dict[str, Step], group: int, at: float) -> tuple[bool, str]:
    job = view.job
    if job.state is JobState.HELD and "max-rollbacks" in (job.held_reason or ""):
        return True, f"it took the night to its rollback limit: the line stopped ({job.held_reason})"
    if job.ended_at is not None and at >= job.ended_at:
        return False, "it came after the batch had ended: there was no line to stop"
    started = [
        number
        for number in range(group + 1, len(job.params.get("groups") or []) + 1)
        if (step := own.get(f"group {number}")) is not None and step.started_at is not None and step.started_at <= at
    ]
    if started:
        return False, f"it came after group {max(started)} had started: the line was not stopped"
    return False, (
        f"it came after group {group} had ended: the line was not stopped (a batch stops only for a rollback "
        "while the group runs, or at the night's rollback limit)"
    )


def group_result(view: JobView, number: int, later: dict[str, LaterRollback]) -> str:
    """ "4 migrated, 1 rolled back later (rollback-3)": the group's outcome as it is now."""
    groups: list[list[str]] = view.job.params.get("groups") or []
    ids = groups[number - 1] if number <= len(groups) else []
    states = {target.tenant_id: target.state for target in view.targets}
    counts = Counter(states.get(tid, TargetState.PENDING) for tid in ids if tid not in later)
    parts = [f"{counts[state]} {OUTCOME_WORDS.get(state, state.value)}" for state in TargetState if counts[state]]
    rolled = [later[tid].job_id for tid in ids if tid in later]
    if rolled:
        parts.append(f"{len(rolled)} rolled back later ({', '.join(rolled)})")
    step = next((s for s in view.steps_of(None) if s.name == f"group {number}"), None)
    if not rolled and step is not None and step.state is StepState.DONE and step.result:
        return step.result
    return ", ".join(parts)
