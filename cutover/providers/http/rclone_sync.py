"""rclone as the sync provider: passes run as rc async jobs, checked with operations/check.

- A job is named `<executeId>:<jobid>`: rclone numbers jobs from 1 again after a
  restart, so a jobid alone could name someone else's job. A job whose executeId
  is no longer rclone's was lost with the restart.
- Finished jobs are forgotten by rclone after about a minute; a job gone from
  job/list before we saw it end is reported failed with that reason, never
  assumed to have succeeded.
- rclone has no notion of lag. Lag here is the time since the start of the last
  pass that succeeded (anything written since may be missing); the proof that
  lag is 0 is `verify`, a full operations/check.
- Continuous sync is a pass every `interval`: `status` (polled by the engine)
  starts the next pass of a continuous tenant once the interval has passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cutover.config.providers import RcloneSync as RcloneSyncSettings
from cutover.providers.http.rclone_rc import RcTransport
from cutover.providers.interfaces import (
    ProviderError,
    RemoteJob,
    RemoteJobState,
    SyncStatus,
    Verification,
)
from cutover.providers.listings import compare_listings
from cutover.state.clock import Clock, SystemClock
from cutover.state.lifecycle import SyncHealth
from cutover.state.tenants import Tenant

GROUP_PREFIX = "cutover/"
FORGOTTEN = "rclone forgot the job before its result was read; run a verification to know"


@dataclass
class _TenantSync:
    continuous: bool = False
    running: RemoteJob | None = None
    last_ok_start: float | None = None
    last_ok_end: float | None = None
    last_failed: str = ""
    last_end: float | None = None
    bytes_seen: float = -1.0
    moved_at: float | None = None
    mismatches: int = 0
    jobs: dict[str, RemoteJob] = field(default_factory=dict)


class RcloneSync:
    def __init__(
        self,
        settings: RcloneSyncSettings,
        rc: RcTransport,
        *,
        clock: Clock | None = None,
        listings: tuple[Any, Any] | None = None,
        source: str = "rclone",
    ):
        self.source = source
        self.settings = settings
        self.rc = rc
        self.clock = clock or SystemClock()
        self.listings = listings  # (S3Listing, ObjectStorageListing) when verify = "listings"
        self._tenants: dict[str, _TenantSync] = {}
        self._adopted = False

    async def aclose(self) -> None:
        await self.rc.aclose()
        if self.listings:
            for listing in self.listings:
                await listing.aclose()

    def _fs(self, tenant: Tenant) -> tuple[str, str]:
        if not tenant.aws_bucket or not tenant.oci_bucket:
            raise ProviderError(self.source, f"{tenant.tenant_id}: the matrix names no aws_bucket/oci_bucket to sync")
        return f"{self.settings.aws_remote}:{tenant.aws_bucket}", f"{self.settings.oci_remote}:{tenant.oci_bucket}"

    def _state(self, tenant_id: str) -> _TenantSync:
        return self._tenants.setdefault(tenant_id, _TenantSync())

    # --- jobs ---------------------------------------------------------------------------

    async def _start(self, tenant: Tenant, kind: str) -> RemoteJob:
        state = self._state(tenant.tenant_id)
        if state.running is not None:
            current = await self.job(state.running)
            if current.state == RemoteJobState.RUNNING:
                return current
        src, dst = self._fs(tenant)
        answer = await self.rc.call(
            "sync/sync",
            {
                "srcFs": src,
                "dstFs": dst,
                "_async": True,
                "_group": f"{GROUP_PREFIX}{tenant.tenant_id}/{kind}",
                "_config": {"CheckSum": True},
            },
        )
        execute_id = str(answer.get("executeId") or await self._current_execute_id())
        job = RemoteJob(
            tenant.tenant_id,
            f"{execute_id}:{answer['jobid']}",
            kind,
            RemoteJobState.RUNNING,
            self.clock.now(),
            None,
            "",
            self.source,
        )
        state.running = job
        state.jobs[job.job_id] = job
        return job

    async def _current_execute_id(self) -> str:
        listed = await self.rc.call("job/list", {})
        return str(listed.get("executeId", ""))

    async def start_continuous(self, tenant: Tenant) -> RemoteJob:
        self._state(tenant.tenant_id).continuous = True
        return await self._start(tenant, "continuous")

    async def start_final_sync(self, tenant: Tenant) -> RemoteJob:
        return await self._start(tenant, "final")

    async def job(self, job: RemoteJob) -> RemoteJob:
        if job.state != RemoteJobState.RUNNING:
            return job
        execute_id, _, jobid = job.job_id.partition(":")
        listed = await self.rc.call("job/list", {})
        now = self.clock.now()
        if str(listed.get("executeId", "")) != execute_id:
            return self._ended(job, False, now, "rclone restarted and the job was lost with it; start the sync again")
        if int(jobid) not in [int(j) for j in listed.get("jobids", [])]:
            return self._ended(job, False, now, FORGOTTEN)
        try:
            status = await self.rc.call("job/status", {"jobid": int(jobid)})
        except ProviderError as exc:
            if "job not found" not in str(exc):
                raise
            return self._ended(job, False, now, FORGOTTEN)  # forgotten between the listing and this question
        if not status.get("finished"):
            return job
        return self._ended(job, bool(status.get("success")), now, str(status.get("error") or ""))

    def _ended(self, job: RemoteJob, success: bool, now: float, error: str) -> RemoteJob:
        ended = RemoteJob(
            job.tenant_id,
            job.job_id,
            job.kind,
            RemoteJobState.SUCCEEDED if success else RemoteJobState.FAILED,
            job.started_at,
            now,
            "" if success else (error or "the sync failed"),
            job.source,
        )
        state = self._state(job.tenant_id)
        state.jobs[job.job_id] = ended
        if state.running is not None and state.running.job_id == job.job_id:
            state.running = None
            state.last_end = now
            if success:
                state.last_ok_start, state.last_ok_end, state.last_failed = job.started_at, now, ""
            else:
                state.last_failed = ended.error
        return ended

    # --- the sweep ----------------------------------------------------------------------------

    async def _adopt(self) -> None:
        """After a restart of cutover: take back the jobs rclone still knows, by their group names."""
        listed = await self.rc.call("job/list", {})
        execute_id = str(listed.get("executeId", ""))
        for jobid in listed.get("jobids", []):
            status = await self.rc.call("job/status", {"jobid": int(jobid)})
            group = str(status.get("group", ""))
            if not group.startswith(GROUP_PREFIX) or group.count("/") != 2:
                continue
            _, tenant_id, kind = group.split("/")
            state = self._state(tenant_id)
            state.continuous = state.continuous or kind == "continuous"
            started = _rfc3339(status.get("startTime")) or self.clock.now()
            job = RemoteJob(
                tenant_id, f"{execute_id}:{jobid}", kind, RemoteJobState.RUNNING, started, None, "", self.source
            )
            state.running = job
            if status.get("finished"):
                ended = _rfc3339(status.get("endTime")) or self.clock.now()
                self._ended(job, bool(status.get("success")), ended, str(status.get("error") or ""))

    async def status(self, tenants: Sequence[Tenant]) -> dict[str, SyncStatus]:
        if not self._adopted:
            await self._adopt()
            self._adopted = True
        now = self.clock.now()
        report: dict[str, SyncStatus] = {}
        for tenant in tenants:
            state = self._tenants.get(tenant.tenant_id)
            if state is None:
                continue
            stats: dict[str, Any] = {}
            if state.running is not None:
                await self.job(state.running)
            if state.running is not None:
                stats = await self.rc.call(
                    "core/stats", {"group": f"{GROUP_PREFIX}{tenant.tenant_id}/{state.running.kind}"}
                )
                moved = float(stats.get("bytes", 0))
                if moved != state.bytes_seen:
                    state.bytes_seen, state.moved_at = moved, now
            elif state.continuous and (state.last_end is None or now - state.last_end >= self.settings.interval):
                await self._start(tenant, "continuous")
            report[tenant.tenant_id] = self._status(tenant.tenant_id, state, stats, now)
        return report

    def _status(self, tenant_id: str, state: _TenantSync, stats: dict[str, Any], now: float) -> SyncStatus:
        total_bytes, done_bytes = int(stats.get("totalBytes", 0)), int(stats.get("bytes", 0))
        pending_objects = max(0, int(stats.get("totalTransfers", 0)) - int(stats.get("transfers", 0)))
        initial = state.last_ok_end is None
        stalled = (
            state.running is not None
            and state.moved_at is not None
            and now - state.moved_at > self.settings.stalled_after
            and total_bytes > done_bytes
        )
        if state.last_failed and state.running is None:
            health = SyncHealth.ERROR
        elif stalled:
            health = SyncHealth.STALLED
        elif initial:
            health = SyncHealth.INITIAL_SYNC
        else:
            health = SyncHealth.CONTINUOUS
        percent = (100.0 * done_bytes / total_bytes if total_bytes else None) if initial and state.running else None
        if initial and state.running is None and not state.last_failed:
            percent = None
        eta = stats.get("eta")
        return SyncStatus(
            tenant_id=tenant_id,
            health=health,
            percent=100.0 if not initial else percent,
            eta_s=float(eta) if eta is not None and initial else None,
            lag_s=now - state.last_ok_start if state.last_ok_start is not None else None,
            pending_objects=pending_objects,
            pending_bytes=max(0, total_bytes - done_bytes),
            checksum_mismatches=state.mismatches + int(stats.get("errors", 0)),
            last_pass_at=state.last_ok_end,
            measured_at=now,
            source=self.source,
        )

    # --- verification -----------------------------------------------------------------------------

    async def verify(self, tenant: Tenant) -> Verification:
        now = self.clock.now()
        if self.settings.verify == "listings" and self.listings:
            s3, object_storage = self.listings
            verification = compare_listings(
                tenant.tenant_id,
                await s3.list(tenant.aws_bucket),
                await object_storage.list(tenant.oci_bucket),
                at=now,
                by=f"{s3.source}+{object_storage.source}",
            )
        else:
            src, dst = self._fs(tenant)
            answer = await self.rc.call(
                "operations/check", {"srcFs": src, "dstFs": dst, "combined": True, "oneWay": False}
            )
            differ = len(answer.get("differ") or [])
            missing_dst = len(answer.get("missingOnDst") or [])
            missing_src = len(answer.get("missingOnSrc") or [])
            matched = len(answer.get("match") or [])
            errors = len(answer.get("error") or [])
            verification = Verification(
                tenant.tenant_id,
                matched + differ + missing_dst + errors,
                differ + errors,
                missing_dst,
                missing_src,
                now,
                self.source,
            )
        self._state(tenant.tenant_id).mismatches = verification.differ
        return verification


def _rfc3339(value: object) -> float | None:
    """rclone's times ("2024-05-01T02:03:04.123456789Z") as epoch seconds."""
    if not isinstance(value, str) or not value:
        return None
    import datetime as dt
    import re

    text = re.sub(r"(\.\d{6})\d+", r"\1", value).replace("Z", "+00:00")
    try:
        return dt.datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None
