"""Re-hydration of a tenant's OCI cluster, run on a cluster host over SSH.

The configured `start` command must start the work in the background and print
a job id on its last line; `status` (given {job_id}) prints `running`,
`succeeded` or `failed`, optionally followed by a reason. Both are plain
commands, so any tool can sit behind them (an Ansible wrapper, systemd-run...).
"""

from __future__ import annotations

import re
import shlex

from cutover.config.providers import HydrationSettings
from cutover.model.clock import Clock, SystemClock
from cutover.model.tenant import Tenant
from cutover.providers.ports.errors import ProviderError
from cutover.providers.ports.remote_jobs import RemoteJob, RemoteJobState
from cutover.providers.ssh.connection import SshRunner

_JOB_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class SshHydration:
    def __init__(self, settings: HydrationSettings, *, clock: Clock | None = None, source: str = "hydration"):
        self.source = source
        self.settings = settings
        self.clock = clock or SystemClock()
        self.runner = SshRunner(settings.ssh, source=source)
        self.hydrated_at: dict[str, float] = {}  # tenant -> when its last hydration was seen to succeed

    def _argv(self, template: str, **values: str) -> list[str]:
        return [part.format(**values) for part in shlex.split(template)]

    async def start_hydration(self, tenant: Tenant) -> RemoteJob:
        argv = self._argv(self.settings.start, tenant_id=tenant.tenant_id, oci_bucket=tenant.oci_bucket)
        result = await self.runner.run(argv, operation="start hydration")
        lines = result.stdout.strip().splitlines()
        job_id = lines[-1].strip() if lines else ""
        if result.exit_status != 0 or not _JOB_ID.match(job_id):
            reason = (result.stderr.strip().splitlines() or [f"printed {job_id!r} instead of a job id"])[-1]
            raise ProviderError(
                self.source, f"{tenant.tenant_id}: hydration did not start on {self.runner.where}: {reason}"
            )
        return RemoteJob(
            tenant.tenant_id, job_id, "hydrate", RemoteJobState.RUNNING, self.clock.now(), None, "", self.source
        )

    async def job(self, job: RemoteJob) -> RemoteJob:
        if job.state != RemoteJobState.RUNNING:
            return job
        result = await self.runner.run(
            self._argv(self.settings.status, job_id=job.job_id), operation="hydration status"
        )
        words = result.stdout.strip().split(maxsplit=1)
        verdict = words[0].lower() if words else ""
        reason = words[1] if len(words) > 1 else ""
        if result.exit_status != 0 or verdict not in ("running", "succeeded", "failed"):
            raise ProviderError(
                self.source,
                f"{job.tenant_id}: hydration status of {job.job_id} unreadable on {self.runner.where}: "
                f"{(result.stderr or result.stdout).strip()[:200] or 'no output'}",
                retryable=True,
            )
        if verdict == "running":
            return job
        now = self.clock.now()
        if verdict == "succeeded":
            self.hydrated_at[job.tenant_id] = now
        state = RemoteJobState.SUCCEEDED if verdict == "succeeded" else RemoteJobState.FAILED
        error = "" if verdict == "succeeded" else (reason or "hydration failed")
        return RemoteJob(job.tenant_id, job.job_id, job.kind, state, job.started_at, now, error, job.source)

    async def aclose(self) -> None:
        await self.runner.aclose()
