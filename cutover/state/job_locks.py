"""Tenant locks: at most one job works on a tenant at a time.

Locks are taken in the same transaction that writes the job: a job that touches a tenant held by another
job is refused, naming the holder. The one exception is a preempting kind (a rollback), which is always
possible: it takes the lock from the job holding it (that job stops working on the tenant) unless another
rollback already holds it. Every function here runs inside the caller's transaction (`db`).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlite_utils

from cutover.model.jobs import PREEMPTING_KINDS, TERMINAL, JobState, StepState, TargetState
from cutover.state.events import EventLog
from cutover.state.job_records import LockConflict, LockHolder

_CHUNK = 500  # tenant ids per query (SQLite's bound-parameter limit)


def holders(db: sqlite_utils.Database, tenant_ids: Sequence[str]) -> list[LockHolder]:
    """Who holds these tenants (only locks of jobs that have not ended)."""
    found: list[LockHolder] = []
    for start in range(0, len(tenant_ids), _CHUNK):
        chunk = tenant_ids[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows = db.query(
            "SELECT l.tenant_id, l.job_id, l.acquired_at, j.kind, j.operator, j.state FROM tenant_locks l "
            f"JOIN jobs j ON j.job_id = l.job_id WHERE l.tenant_id IN ({marks}) ORDER BY l.tenant_id",
            list(chunk),
        )
        found += [
            LockHolder(row["tenant_id"], row["job_id"], row["kind"], row["operator"], row["state"], row["acquired_at"])
            for row in rows
            if JobState(row["state"]) not in TERMINAL
        ]
    return found


def locked_tenants(db: sqlite_utils.Database) -> list[str]:
    return [row[0] for row in db.execute("SELECT tenant_id FROM tenant_locks")]


def holds(db: sqlite_utils.Database, job_id: str, tenant_id: str) -> bool:
    row = db.execute("SELECT job_id FROM tenant_locks WHERE tenant_id = ?", [tenant_id]).fetchone()
    return row is not None and row[0] == job_id


def check(db: sqlite_utils.Database, kind: str, tenant_ids: Sequence[str]) -> list[LockHolder]:
    """The holders a job of `kind` takes over (a rollback's); raises LockConflict for any other held tenant."""
    if not tenant_ids:
        return []
    conflicts, preempted = [], []
    for holder in holders(db, tenant_ids):
        if kind in PREEMPTING_KINDS and holder.kind not in PREEMPTING_KINDS:
            preempted.append(holder)
        else:
            conflicts.append(holder)
    if conflicts:
        raise LockConflict(conflicts)
    return preempted


def preempt(db: sqlite_utils.Database, events: EventLog, holder: LockHolder, by_job: str, now: float) -> None:
    """`by_job` takes `holder`'s tenant: the holder's target and its unfinished steps end here."""
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
    events.append(
        "job.preempted",
        f"{holder.tenant_id} taken over from {holder.job_id} by {by_job}",
        tenant_id=holder.tenant_id,
        job_id=holder.job_id,
        detail={"by": by_job},
    )


def take(db: sqlite_utils.Database, job_id: str, tenant_ids: Sequence[str], now: float) -> None:
    if tenant_ids:
        db.table("tenant_locks").insert_all(
            ({"tenant_id": tenant_id, "job_id": job_id, "acquired_at": now} for tenant_id in tenant_ids),
            replace=True,
        )


def release_all(db: sqlite_utils.Database, job_id: str) -> None:
    """The job has ended: every tenant it held is free."""
    db.execute("DELETE FROM tenant_locks WHERE job_id = ?", [job_id])


def release(db: sqlite_utils.Database, job_id: str, tenant_id: str) -> None:
    """The job is done with one tenant."""
    db.execute("DELETE FROM tenant_locks WHERE tenant_id = ? AND job_id = ?", [tenant_id, job_id])
