"""Durable jobs: every action is written here before anything happens.

A job is a kind (flip, ramp, rollback, batch), the frozen set of target tenants,
who asked and why, an idempotency key, and its steps. Each target tenant has an
outcome row (`job_targets`) and an ordered list of steps (`job_steps`) whose
start, end, result and the provider's request ids are recorded as they happen,
so a new engine can resume a job from its last completed step.

Tenant locks (state/job_locks.py) are taken in the same transaction that writes
the job. The records (Job, JobTarget, Step, ...) are in state/job_records.py, the
reads in state/job_queries.py; this module writes.

Every job state change is an audit event of kind `job.<state>`; the notifier
tails them (see `cursors`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlite_utils

from cutover.model.clock import Clock
from cutover.model.jobs import ACTIVE, TARGET_DONE, TERMINAL, Control, JobKind, JobState, StepState, TargetState
from cutover.state import job_locks
from cutover.state.events import EventLog
from cutover.state.job_queries import JobQueries
from cutover.state.job_records import Job, JobError, JobTarget, NewTarget, Step
from cutover.state.store import Store


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


class JobStore(JobQueries):
    """Jobs, their targets and steps, and tenant locks: the writes (the reads are JobQueries').

    `fence` (set by the engine that leads) runs inside every write the engine
    makes while running jobs and raises LeaseLost once the lease has passed to
    another engine, so a stalled ex-leader can never overwrite its successor.
    """

    def __init__(self, store: Store, events: EventLog, fence: Callable[[sqlite_utils.Database], None] | None = None):
        super().__init__(store)
        self.events = events
        self.fence = fence

    @property
    def clock(self) -> Clock:
        return self.events.clock

    # --- submitting ------------------------------------------------------------------

    def submit(
        self,
        kind: JobKind,
        targets: Sequence[NewTarget],
        *,
        reason: str,
        params: Mapping[str, Any] | None = None,
        job_steps: Sequence[str] = (),
        idempotency_key: str | None = None,
        operator: str | None = None,
        parent_job_id: str | None = None,
        audit: Mapping[str, Any] | None = None,
    ) -> tuple[Job, bool]:
        """Write a job, its targets, steps and locks in one transaction.

        Returns (job, created). With an idempotency key that was used before, the
        earlier job comes back unchanged and created is False. Raises LockConflict
        (nothing written) when another job holds one of the tenants.
        """
        key = idempotency_key or uuid.uuid4().hex
        operator = operator or self.events.actor.operator
        tenant_ids = [target.tenant_id for target in targets]
        if len(set(tenant_ids)) != len(tenant_ids):
            raise JobError("a tenant is listed twice; list each tenant once")
        with self.store.write() as db:
            existing = next(db.query("SELECT * FROM jobs WHERE idempotency_key = ?", [key]), None)
            if existing is not None:
                return Job.from_row(existing), False
            preempted = job_locks.check(db, kind, tenant_ids)
            seq = int(db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs").fetchone()[0])
            job_id = f"{kind}-{seq}"
            now = self.clock.now()
            db.table("jobs").insert(
                {
                    "job_id": job_id,
                    "seq": seq,
                    "kind": kind,
                    "state": JobState.QUEUED.value,
                    "targets": _dumps(tenant_ids),
                    "params": _dumps(dict(params or {})),
                    "operator": operator,
                    "reason": reason,
                    "idempotency_key": key,
                    "parent_job_id": parent_job_id,
                    "dry_run": 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            db.table("job_targets").insert_all(
                {
                    "job_id": job_id,
                    "tenant_id": target.tenant_id,
                    "position": position,
                    "group_no": target.group_no,
                    "state": TargetState.PENDING.value,
                }
                for position, target in enumerate(targets)
            )
            planned = [(None, list(job_steps))] + [(target.tenant_id, list(target.steps)) for target in targets]
            steps = [
                {"job_id": job_id, "tenant_id": tenant_id, "position": position, "name": name, "state": "pending"}
                for tenant_id, names in planned
                for position, name in enumerate(names)
            ]
            if steps:
                db.table("job_steps").insert_all(steps)
            for holder in preempted:
                job_locks.preempt(db, self.events, holder, job_id, now)
            job_locks.take(db, job_id, tenant_ids, now)
            self.events.append(
                "job.queued",
                f"{kind} of {_count(tenant_ids)} submitted",
                job_id=job_id,
                why=reason,
                state_after=JobState.QUEUED.value,
                detail={"kind": kind, "targets": tenant_ids, "operator": operator, **dict(audit or {})},
            )
            return self.get(job_id), True

    # --- the engine running a job ------------------------------------------------------

    def claim(self, job_id: str, runner: str) -> Job | None:
        """Take a queued job to run, or an active one left by a previous engine. None if it has ended."""
        with self.store.write() as db:
            self._fence(db)
            job = self.get(job_id)
            if job.is_terminal:
                return None
            now = self.clock.now()
            if job.state is JobState.QUEUED:
                db.execute(
                    "UPDATE jobs SET state = ?, started_at = ?, updated_at = ?, runner = ? WHERE job_id = ?",
                    [JobState.RUNNING.value, now, now, runner, job_id],
                )
                self._state_event(job, JobState.RUNNING, f"started by {runner}")
            elif job.runner != runner:
                db.execute("UPDATE jobs SET runner = ?, updated_at = ? WHERE job_id = ?", [runner, now, job_id])
                self.events.append(
                    "job.resumed",
                    f"{job.job_id} resumed by {runner}",
                    job_id=job_id,
                    state_before=job.state.value,
                    state_after=job.state.value,
                    detail={"previous_runner": job.runner},
                )
            return self.get(job_id)

    def set_state(
        self,
        job_id: str,
        state: JobState,
        *,
        why: str = "",
        result: str | None = None,
        error: str | None = None,
        held_reason: str | None = None,
        paused_by: str | None = None,
    ) -> Job:
        """Move a job to `state` (an event of kind job.<state>); ending it releases its locks."""
        with self.store.write() as db:
            self._fence(db)
            job = self.get(job_id)
            if job.is_terminal:
                return job
            now = self.clock.now()
            values: dict[str, Any] = {"state": state.value, "updated_at": now}
            if result is not None:
                values["result"] = result
            if error is not None:
                values["error"] = error
            if held_reason is not None or state in (JobState.RUNNING, *TERMINAL):
                values["held_reason"] = held_reason or ""
            if paused_by is not None or state in TERMINAL:
                values["paused_by"] = paused_by or ""
            if state in TERMINAL:
                values["ended_at"] = now
                values["control"] = ""
                job_locks.release_all(db, job_id)
            assignments = ", ".join(f"{name} = ?" for name in values)
            db.execute(f"UPDATE jobs SET {assignments} WHERE job_id = ?", [*values.values(), job_id])
            if state is not job.state:
                self._state_event(job, state, why or held_reason or result or error or "")
            return self.get(job_id)

    def _state_event(self, job: Job, state: JobState, why: str) -> None:
        self.events.append(
            f"job.{state.value}",
            f"{job.job_id}: {job.state.value} -> {state.value}",
            job_id=job.job_id,
            why=why,
            state_before=job.state.value,
            state_after=state.value,
            detail={"kind": job.kind, "targets": len(job.targets), "operator": job.operator},
        )

    def request(self, job_id: str, control: Control, *, operator: str, why: str) -> Job:
        """An operator's request (pause, resume, skip, abort), for the engine to carry out.

        A queued job nobody has started yet is aborted here and now.
        """
        control = Control(control)
        with self.store.write() as db:
            job = self.get(job_id)
            if job.is_terminal:
                raise JobError(f"{job_id} has already ended ({job.state.value}); nothing to {control.value}")
            allowed = {
                Control.PAUSE: {JobState.QUEUED, JobState.RUNNING, JobState.HELD},
                Control.RESUME: {JobState.PAUSED, JobState.HELD, JobState.QUEUED},
                Control.SKIP: {JobState.RUNNING, JobState.PAUSED, JobState.HELD},
                Control.STEP_BACK: {JobState.RUNNING, JobState.PAUSED, JobState.HELD},
                Control.ABORT: ACTIVE,
            }[control]
            pause_pending = control is Control.RESUME and "pause" in job.pending_controls
            if job.state not in allowed and not pause_pending:
                raise JobError(f"{job_id} is {job.state.value}: it cannot {control.value} now")
            if control in (Control.SKIP, Control.STEP_BACK) and job.kind != JobKind.RAMP:
                verb = "skip" if control is Control.SKIP else "step back"
                raise JobError(f"{job_id} is a {job.kind}: only a ramp has stages to {verb}")
            if control is Control.ABORT and job.state is JobState.QUEUED:
                self.events.append(
                    "job.control",
                    f"{job_id}: abort requested",
                    job_id=job_id,
                    why=why,
                    detail={"control": control.value, "operator": operator},
                )
                return self.set_state(job_id, JobState.ABORTED, why=why, result="aborted before it started")
            now = self.clock.now()
            db.execute(
                "UPDATE jobs SET control = CASE WHEN control = '' THEN ? ELSE control || ',' || ? END, "
                "control_by = ?, updated_at = ? WHERE job_id = ?",
                [control.value, control.value, operator, now, job_id],
            )
            self.events.append(
                "job.control",
                f"{job_id}: {control.value} requested",
                job_id=job_id,
                why=why,
                detail={"control": control.value, "operator": operator},
            )
            return self.get(job_id)

    def take_controls(self, job_id: str) -> list[tuple[Control, str]]:
        """The pending operator requests, oldest first, cleared as they are taken."""
        with self.store.write() as db:
            self._fence(db)
            row = db.execute("SELECT control, control_by FROM jobs WHERE job_id = ?", [job_id]).fetchone()
            if row is None or not row[0]:
                return []
            db.execute("UPDATE jobs SET control = '' WHERE job_id = ?", [job_id])
            return [(Control(value), row[1]) for value in row[0].split(",") if value]

    def update_params(self, job_id: str, **changes: Any) -> Job:
        with self.store.write() as db:
            self._fence(db)
            params = {**self.get(job_id).params, **changes}
            db.execute("UPDATE jobs SET params = ? WHERE job_id = ?", [_dumps(params), job_id])
            return self.get(job_id)

    # --- targets and steps --------------------------------------------------------------

    def update_target(
        self,
        job_id: str,
        tenant_id: str,
        state: TargetState,
        *,
        summary: str | None = None,
        detail: Mapping[str, Any] | None = None,
        release: bool = False,
    ) -> JobTarget:
        """Record a tenant's outcome in the job; `release` frees its lock (the job is done with it)."""
        with self.store.write() as db:
            self._fence(db)
            current = self.target(job_id, tenant_id)
            if current.state is TargetState.PREEMPTED:
                return current
            now = self.clock.now()
            values: dict[str, Any] = {"state": state.value}
            if state is TargetState.RUNNING and current.started_at is None:
                values["started_at"] = now
            if state in TARGET_DONE:
                values["ended_at"] = now
            if summary is not None:
                values["summary"] = summary
            if detail is not None:
                values["detail"] = _dumps({**current.detail, **detail})
            assignments = ", ".join(f"{name} = ?" for name in values)
            db.execute(
                f"UPDATE job_targets SET {assignments} WHERE job_id = ? AND tenant_id = ?",
                [*values.values(), job_id, tenant_id],
            )
            if release:
                job_locks.release(db, job_id, tenant_id)
            if state in TARGET_DONE and current.state not in TARGET_DONE:
                self.events.append(
                    "job.target",
                    f"{tenant_id}: {state.value}" + (f": {summary}" if summary else ""),
                    tenant_id=tenant_id,
                    job_id=job_id,
                    state_before=current.state.value,
                    state_after=state.value,
                    detail=dict(detail or {}),
                )
            return self.target(job_id, tenant_id)

    def start_step(self, step: Step, detail: Mapping[str, Any] | None = None) -> Step:
        """Mark a step running (keeping its first start time across resumes)."""
        with self.store.write() as db:
            self._fence(db)
            current = self.get_step(step.step_id)
            started = current.started_at if current.started_at is not None else self.clock.now()
            merged = {**current.detail, **dict(detail or {})}
            db.execute(
                "UPDATE job_steps SET state = ?, started_at = ?, detail = ? WHERE step_id = ?",
                [StepState.RUNNING.value, started, _dumps(merged), step.step_id],
            )
            return self.get_step(step.step_id)

    def note_step(
        self, step: Step, *, detail: Mapping[str, Any] | None = None, request_ids: Sequence[str] = ()
    ) -> Step:
        """Record progress inside a running step (a remote job's id, a change id) before waiting on it."""
        with self.store.write() as db:
            self._fence(db)
            current = self.get_step(step.step_id)
            merged = {**current.detail, **dict(detail or {})}
            ids = list(dict.fromkeys([*current.request_ids, *request_ids]))
            db.execute(
                "UPDATE job_steps SET detail = ?, request_ids = ? WHERE step_id = ?",
                [_dumps(merged), _dumps(ids), step.step_id],
            )
            return self.get_step(step.step_id)

    def finish_step(
        self,
        step: Step,
        state: StepState,
        result: str,
        *,
        detail: Mapping[str, Any] | None = None,
        request_ids: Sequence[str] = (),
    ) -> Step:
        with self.store.write() as db:
            self._fence(db)
            current = self.get_step(step.step_id)
            if current.state is StepState.SUPERSEDED:
                return current  # the flow noticed the takeover after it happened: the step stays closed
            now = self.clock.now()
            merged = {**current.detail, **dict(detail or {})}
            ids = list(dict.fromkeys([*current.request_ids, *request_ids]))
            db.execute(
                "UPDATE job_steps SET state = ?, started_at = COALESCE(started_at, ?), ended_at = ?, result = ?, "
                "detail = ?, request_ids = ? WHERE step_id = ?",
                [state.value, now, now, result, _dumps(merged), _dumps(ids), step.step_id],
            )
            return self.get_step(step.step_id)

    def finish_step_inserting(
        self,
        step: Step,
        result: str,
        inserted: Sequence[tuple[str, Mapping[str, Any]]],
        *,
        detail: Mapping[str, Any] | None = None,
    ) -> list[Step]:
        """End `step` (done) and plan new steps right after it, in one write: a ramp's step back
        re-plans its stages, and a crash between the two would leave a plan nobody made."""
        with self.store.write() as db:
            self._fence(db)
            self.finish_step(step, StepState.DONE, result, detail=detail)
            where = "job_id = ? AND tenant_id IS ?"
            # Two moves, as position is unique: out of the way (negative), then back shifted.
            db.execute(
                f"UPDATE job_steps SET position = -position - ? WHERE {where} AND position > ?",
                [len(inserted), step.job_id, step.tenant_id, step.position],
            )
            db.execute(
                f"UPDATE job_steps SET position = -position WHERE {where} AND position < 0",
                [step.job_id, step.tenant_id],
            )
            db.table("job_steps").insert_all(
                {
                    "job_id": step.job_id,
                    "tenant_id": step.tenant_id,
                    "position": step.position + offset,
                    "name": name,
                    "state": StepState.PENDING.value,
                    "detail": _dumps(dict(extra)),
                }
                for offset, (name, extra) in enumerate(inserted, start=1)
            )
        return self.steps(step.job_id, step.tenant_id)

    def _fence(self, db: sqlite_utils.Database) -> None:
        if self.fence is not None:
            self.fence(db)


def _count(tenant_ids: Sequence[str]) -> str:
    if len(tenant_ids) == 1:
        return tenant_ids[0]
    return f"{len(tenant_ids)} tenants"
