"""A job as the store records it: the job (`Job`), each tenant it touches (`JobTarget`), each step
(`Step`), what a new job is asked to touch (`NewTarget`), who holds a tenant (`LockHolder`), and the
errors a job can meet. Rows in, frozen records out; the states they carry are the model's
(`cutover.model.jobs`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cutover.model.jobs import TARGET_DONE, TERMINAL, JobState, StepState, TargetState
from cutover.model.lifecycle import DomainError


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
