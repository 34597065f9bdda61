"""Reading jobs back: a job, its targets and steps, the jobs of a tenant, who holds which tenant.

`JobStore` (state/jobs.py) adds the writes on top of these reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cutover.model.jobs import ACTIVE, JobState
from cutover.state import job_locks
from cutover.state.job_records import Job, JobError, JobTarget, LockHolder, Step, UnknownJob
from cutover.state.store import Store


class JobQueries:
    """What the store says about jobs; no writes."""

    def __init__(self, store: Store):
        self.store = store

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
            tenant_ids = job_locks.locked_tenants(self.store.db)
        return job_locks.holders(self.store.db, tenant_ids) if tenant_ids else []

    def holds(self, job_id: str, tenant_id: str) -> bool:
        return job_locks.holds(self.store.db, job_id, tenant_id)

    def get_step(self, step_id: int) -> Step:
        row = next(self.store.db.query("SELECT * FROM job_steps WHERE step_id = ?", [step_id]))
        return Step.from_row(row)
