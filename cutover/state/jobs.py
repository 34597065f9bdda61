"""Durable jobs: every action is written here before anything happens.

A job is a kind (flip, ramp, rollback, batch), the frozen set of target tenants,
who asked and why, an idempotency key, and its steps. Each target tenant has an
outcome row (`job_targets`) and an ordered list of steps (`job_steps`) whose
start, end, result and the provider's request ids are recorded as they happen,
so a new engine can resume a job from its last completed step.

Tenant locks are taken in the same transaction that writes the job: a job that
touches a tenant held by another job is refused, naming the holder. The one
exception is rollback, which is always possible: a rollback takes the lock from
the job holding it (that job stops working on the tenant) unless another
rollback already holds it.

Every job state change is an audit event of kind `job.<state>`; the notifier
tails them (see `cursors`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlite_utils

from cutover.model.clock import Clock
from cutover.model.jobs import PREEMPTING_KINDS, JobKind
from cutover.model.lifecycle import DomainError
from cutover.state.events import EventLog
from cutover.state.store import Store


class JobState(StrEnum):
    QUEUED = "queued"  # in the store, waiting for the engine that leads
    RUNNING = "running"
    PAUSED = "paused"  # by an operator: no new step that changes DNS starts; triggers stay armed
    HELD = "held"  # stopped the line: waits for a human (held_reason says why)
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # something went wrong or a tenant was rolled back (see the targets)
    ABORTED = "aborted"
    REFUSED = "refused"  # a gate or a safety rule refused it before anything changed


TERMINAL = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.ABORTED, JobState.REFUSED})
ACTIVE = frozenset(JobState) - TERMINAL


class TargetState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"  # its change was undone (by a trigger, an operator or an aborted ramp)
    REFUSED = "refused"  # the gate or a safety rule refused it; nothing changed
    ABORTED = "aborted"  # stopped before its DNS change; nothing changed
    PREEMPTED = "preempted"  # a rollback job took the tenant over


TARGET_DONE = frozenset(TargetState) - {TargetState.PENDING, TargetState.RUNNING}


class StepState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    SUPERSEDED = "superseded"  # another job (a rollback) took the tenant over before this step ended


class Control(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    SKIP = "skip"  # a ramp: go to the next stage now
    STEP_BACK = "step_back"  # a ramp: go back to the stage below and wait there for a resume
    ABORT = "abort"


# Which kinds of job may take a tenant's lock from another job.


class JobError(DomainError):
    pass


class UnknownJob(JobError):
    def __init__(self, job_id: str):
        super().__init__(f"{job_id}: no such job (cutover jobs lists them)")
        self.job_id = job_id


@dataclass(frozen=True)
class LockHolder:
    tenant_id: str
    job_id: str
    kind: str
    operator: str
    state: str
    since: float

    def why(self) -> str:
        """Why its tenant cannot be taken: `is held by flip-3 (flip by alice, running)`."""
        return f"is held by {self.job_id} ({self.kind} by {self.operator}, {self.state})"

    def describe(self) -> str:
        return f"{self.tenant_id} {self.why()}"


class LockConflict(JobError):
    """A job touches tenants another job holds. Nothing was written."""

    def __init__(self, holders: Sequence[LockHolder]):
        self.holders = tuple(holders)
        super().__init__("; ".join(holder.describe() for holder in holders))


class LeaseLost(JobError):
    """This engine no longer holds the lease: it must stop writing at once."""


@dataclass(frozen=True)
class Job:
    job_id: str
    seq: int
    kind: str
    state: JobState
    targets: tuple[str, ...]
    params: dict[str, Any]
    operator: str
    reason: str
    idempotency_key: str
    parent_job_id: str | None
    dry_run: bool
    created_at: float
    started_at: float | None
    ended_at: float | None
    result: str
    error: str
    control: str
    control_by: str
    held_reason: str
    updated_at: float | None
    runner: str
    pending_controls: tuple[str, ...] = ()
    paused_by: str = ""  # who paused it, while it is paused (a held job may be paused too)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Job:
        return cls(
            **{
                **row,
                "state": JobState(row["state"]),
                "targets": tuple(json.loads(row["targets"])),
                "params": json.loads(row["params"] or "{}"),
                "dry_run": bool(row["dry_run"]),
                # The column queues requests ("resume,skip"); `control` is the latest, `pending_controls` all.
                "control": (row["control"] or "").split(",")[-1],
                "pending_controls": tuple(filter(None, (row["control"] or "").split(","))),
            }
        )

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL

    @property
    def paused(self) -> bool:
        """Paused by an operator: in state paused, or held and paused (the hold's reason stays in view)."""
        return self.state is JobState.PAUSED or bool(self.paused_by)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.job_id,
            "kind": self.kind,
            "state": self.state.value,
            "targets": list(self.targets),
            "params": self.params,
            "operator": self.operator,
            "reason": self.reason,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "result": self.result,
            "error": self.error,
            "held_reason": self.held_reason,
            "paused_by": self.paused_by,
            "control": self.control,
            "runner": self.runner,
        }


@dataclass(frozen=True)
class JobTarget:
    job_id: str
    tenant_id: str
    position: int
    group_no: int
    state: TargetState
    started_at: float | None
    ended_at: float | None
    summary: str
    detail: dict[str, Any]

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> JobTarget:
        return cls(**{**row, "state": TargetState(row["state"]), "detail": json.loads(row["detail"] or "{}")})

    @property
    def is_done(self) -> bool:
        return self.state in TARGET_DONE


@dataclass(frozen=True)
class Step:
    step_id: int
    job_id: str
    tenant_id: str | None
    position: int
    name: str
    state: StepState
    started_at: float | None
    ended_at: float | None
    result: str
    request_ids: tuple[str, ...]
    detail: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Step:
        return cls(
            **{
                **row,
                "state": StepState(row["state"]),
                "request_ids": tuple(json.loads(row["request_ids"] or "[]")),
                "detail": json.loads(row["detail"] or "{}"),
            }
        )

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at

    @property
    def is_finished(self) -> bool:
        return self.state in (StepState.DONE, StepState.SKIPPED, StepState.FAILED, StepState.SUPERSEDED)


@dataclass(frozen=True)
class NewTarget:
    """A tenant a new job will touch, with the steps planned for it."""

    tenant_id: str
    steps: tuple[str, ...]
    group_no: int = 0


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


class JobStore:
    """Jobs, their targets and steps, and tenant locks.

    `fence` (set by the engine that leads) runs inside every write the engine
    makes while running jobs and raises LeaseLost once the lease has passed to
    another engine, so a stalled ex-leader can never overwrite its successor.
    """

    def __init__(self, store: Store, events: EventLog, fence: Callable[[sqlite_utils.Database], None] | None = None):
        self.store = store
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
            preempted = self._check_locks(db, kind, tenant_ids)
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
                self._preempt(db, holder, job_id)
            if tenant_ids:
                db.table("tenant_locks").insert_all(
                    ({"tenant_id": tenant_id, "job_id": job_id, "acquired_at": now} for tenant_id in tenant_ids),
                    replace=True,
                )
            self.events.append(
                "job.queued",
                f"{kind} of {_count(tenant_ids)} submitted",
                job_id=job_id,
                why=reason,
                state_after=JobState.QUEUED.value,
                detail={"kind": kind, "targets": tenant_ids, "operator": operator, **dict(audit or {})},
            )
            return self.get(job_id), True

    def _check_locks(self, db: sqlite_utils.Database, kind: str, tenant_ids: Sequence[str]) -> list[LockHolder]:
        """The holders a rollback takes over; raises LockConflict for any other held tenant."""
        if not tenant_ids:
            return []
        holders = self._holders(db, tenant_ids)
        conflicts, preempted = [], []
        for holder in holders:
            if kind in PREEMPTING_KINDS and holder.kind not in PREEMPTING_KINDS:
                preempted.append(holder)
            else:
                conflicts.append(holder)
        if conflicts:
            raise LockConflict(conflicts)
        return preempted

    def _holders(self, db: sqlite_utils.Database, tenant_ids: Sequence[str]) -> list[LockHolder]:
        marks = ", ".join("?" * len(tenant_ids))
        rows = db.query(
            "SELECT l.tenant_id, l.job_id, l.acquired_at, j.kind, j.operator, j.state FROM tenant_locks l "
            f"JOIN jobs j ON j.job_id = l.job_id WHERE l.tenant_id IN ({marks}) ORDER BY l.tenant_id",
            list(tenant_ids),
        )
        return [
            LockHolder(row["tenant_id"], row["job_id"], row["kind"], row["operator"], row["state"], row["acquired_at"])
            for row in rows
            if JobState(row["state"]) not in TERMINAL
        ]

    def _preempt(self, db: sqlite_utils.Database, holder: LockHolder, by_job: str) -> None:
        now = self.clock.now()
        db.execute(
            "UPDATE job_targets SET state = ?, ended_at = ?, summary = ? "
            "WHERE job_id = ? AND tenant_id = ? AND state IN ('pending', 'running')",
            [TargetState.PREEMPTED.value, now, f"taken over by {by_job}", holder.job_id, holder.tenant_id],
        )
        # Its steps end here too: none is left "running" in a job that no longer holds the tenant.
        db.execute(
            "UPDATE job_steps SET state = ?, ended_at = ?, result = ? "
            "WHERE job_id = ? AND tenant_id = ? AND state IN ('pending', 'running')",
            [StepState.SUPERSEDED.value, now, f"taken over by {by_job}", holder.job_id, holder.tenant_id],
        )
        self.events.append(
            "job.preempted",
            f"{holder.tenant_id} taken over from {holder.job_id} by {by_job}",
            tenant_id=holder.tenant_id,
            job_id=holder.job_id,
            detail={"by": by_job},
        )

    # --- reading ---------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        row = next(self.store.db.query("SELECT * FROM jobs WHERE job_id = ?", [job_id]), None)
        if row is None:
            raise UnknownJob(job_id)
        return Job.from_row(row)

    def by_key(self, idempotency_key: str) -> Job | None:
        row = next(self.store.db.query("SELECT * FROM jobs WHERE idempotency_key = ?", [idempotency_key]), None)
        return Job.from_row(row) if row else None

    def find(
        self, states: Iterable[JobState | str] | None = None, kind: str | None = None, limit: int | None = None
    ) -> list[Job]:
        """Newest first."""
        where, params = [], []
        if states is not None:
            values = [JobState(state).value for state in states]
            where.append(f"state IN ({', '.join('?' * len(values))})")
            params += values
        if kind is not None:
            where.append("kind = ?")
            params.append(kind)
        sql = "SELECT * FROM jobs" + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY seq DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [Job.from_row(row) for row in self.store.db.query(sql, params)]

    def active(self) -> list[Job]:
        """Jobs not yet ended, oldest first: what the engine has to run."""
        return list(reversed(self.find(ACTIVE)))

    def targets(self, job_id: str) -> list[JobTarget]:
        rows = self.store.db.query("SELECT * FROM job_targets WHERE job_id = ? ORDER BY position", [job_id])
        return [JobTarget.from_row(row) for row in rows]

    def target(self, job_id: str, tenant_id: str) -> JobTarget:
        row = next(
            self.store.db.query("SELECT * FROM job_targets WHERE job_id = ? AND tenant_id = ?", [job_id, tenant_id]),
            None,
        )
        if row is None:
            raise JobError(f"{job_id} does not touch {tenant_id}")
        return JobTarget.from_row(row)

    def steps(self, job_id: str, tenant_id: str | None = None, *, all_tenants: bool = False) -> list[Step]:
        """A tenant's steps in order; with no tenant, the job's own steps (or every step with all_tenants)."""
        if all_tenants:
            rows = self.store.db.query(
                "SELECT * FROM job_steps WHERE job_id = ? ORDER BY tenant_id IS NOT NULL, tenant_id, position",
                [job_id],
            )
        elif tenant_id is None:
            rows = self.store.db.query(
                "SELECT * FROM job_steps WHERE job_id = ? AND tenant_id IS NULL ORDER BY position", [job_id]
            )
        else:
            rows = self.store.db.query(
                "SELECT * FROM job_steps WHERE job_id = ? AND tenant_id = ? ORDER BY position", [job_id, tenant_id]
            )
        return [Step.from_row(row) for row in rows]

    def step(self, job_id: str, tenant_id: str | None, name: str) -> Step:
        for step in self.steps(job_id, tenant_id):
            if step.name == name:
                return step
        raise JobError(f"{job_id} has no step {name!r}" + (f" for {tenant_id}" if tenant_id else ""))

    def jobs_for_tenant(self, tenant_id: str, limit: int = 20) -> list[Job]:
        rows = self.store.db.query(
            "SELECT j.* FROM jobs j JOIN job_targets t ON t.job_id = j.job_id WHERE t.tenant_id = ? "
            "ORDER BY j.seq DESC LIMIT ?",
            [tenant_id, limit],
        )
        return [Job.from_row(row) for row in rows]

    def lock_holders(self, tenant_ids: Sequence[str] | None = None) -> list[LockHolder]:
        """Who holds which tenant (only locks of jobs that have not ended)."""
        if tenant_ids is None:
            tenant_ids = [row[0] for row in self.store.db.execute("SELECT tenant_id FROM tenant_locks")]
        if not tenant_ids:
            return []
        holders: list[LockHolder] = []
        for start in range(0, len(tenant_ids), 500):
            holders += self._holders(self.store.db, tenant_ids[start : start + 500])
        return holders

    def holds(self, job_id: str, tenant_id: str) -> bool:
        row = self.store.db.execute("SELECT job_id FROM tenant_locks WHERE tenant_id = ?", [tenant_id]).fetchone()
        return row is not None and row[0] == job_id

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
                db.execute("DELETE FROM tenant_locks WHERE job_id = ?", [job_id])
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
                db.execute("DELETE FROM tenant_locks WHERE tenant_id = ? AND job_id = ?", [tenant_id, job_id])
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

    def get_step(self, step_id: int) -> Step:
        row = next(self.store.db.query("SELECT * FROM job_steps WHERE step_id = ?", [step_id]))
        return Step.from_row(row)

    def _fence(self, db: sqlite_utils.Database) -> None:
        if self.fence is not None:
            self.fence(db)


def _count(tenant_ids: Sequence[str]) -> str:
    if len(tenant_ids) == 1:
        return tenant_ids[0]
    return f"{len(tenant_ids)} tenants"
