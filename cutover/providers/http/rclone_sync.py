"""rclone as the sync provider: passes run as rc async jobs; lag 0 proven by a full comparison.

- A job is named `<instance>:<jobid>`, the instance being rclone's executeId (1.64 and
  newer) or `pid<N>`: rclone numbers jobs from 1 again after a restart, so a jobid alone
  could name someone else's job. A job whose instance is no longer rclone's, whose id
  rclone has not reached yet, or whose id now names another group was lost with a restart.
- Finished jobs are forgotten by rclone after about a minute; a job gone from
  job/list before we saw it end is reported failed with that reason, never
  assumed to have succeeded.
- rclone has no notion of lag. Lag here is the time since the start of the last
  pass that succeeded (anything written since may be missing); the proof that
  lag is 0 is `verify`: operations/check (1.65 and newer) or, on an older rclone,
  hash listings of both sides compared here (see rclone_features).
- Continuous sync is a pass every `interval`: `status` (polled by the engine)
  starts the next pass of a continuous tenant once the interval has passed, but
  never for a tenant on OCI: a forward `sync/sync` would delete what customers
  wrote on OCI since the cutover.
- The reverse sync (a rollback's) is `sync/copy` OCI -> AWS: what was written on
  OCI reaches AWS, nothing on AWS is deleted. `stranded` lists both sides and
  counts OCI's objects that AWS lacks or holds differently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cutover.config.providers import RcloneSync as RcloneSyncSettings
from cutover.model.clock import Clock, SystemClock
from cutover.model.lifecycle import Lifecycle, SyncHealth
from cutover.model.tenant import Tenant
from cutover.providers.http.rclone_features import RcloneFeatures, ask_features, missing_method
from cutover.providers.http.rclone_rc import RcTransport
from cutover.providers.http.rclone_verify import list_side, verify_with_check, verify_with_listings
from cutover.providers.listings import compare_listings, stranded_objects
from cutover.providers.ports.errors import ProviderError
from cutover.providers.ports.remote_jobs import RemoteJob, RemoteJobState
from cutover.providers.ports.sync import Stranded, SyncStatus, Verification

# Where customers write on OCI: no forward pass may run (it would delete their writes).
ON_OCI = frozenset({Lifecycle.MONITORING, Lifecycle.MIGRATED, Lifecycle.ROLLING_BACK, Lifecycle.DECOMMISSIONED})
REVERSE = "reverse"

GROUP_PREFIX = "cutover/"
FORGOTTEN = "rclone forgot the job before its result was read; run a verification to know"
RESTARTED = "rclone restarted and the job was lost with it; start the sync again"


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
        self._features: RcloneFeatures | None = None

    async def features(self) -> RcloneFeatures:
        """rclone's version and what follows from it, asked once (again after a restart of rclone)."""
        if self._features is None:
            self._features = await ask_features(self.rc)
        return self._features

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
                "_group": _group(tenant.tenant_id, kind),
                "_config": {"CheckSum": True},
            },
        )
        execute_id = str(answer.get("executeId") or await self._instance(await self.rc.call("job/list", {})))
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

    async def _instance(self, listed: dict[str, Any]) -> str:
        """Which run of rclone answers: its executeId, or its process id where rclone gives no executeId."""
        if listed.get("executeId"):
            return str(listed["executeId"])
        return f"pid{(await self.rc.call('core/pid', {})).get('pid', '?')}"

    async def start_continuous(self, tenant: Tenant) -> RemoteJob:
        self._state(tenant.tenant_id).continuous = True
        return await self._start(tenant, "continuous")

    async def start_final_sync(self, tenant: Tenant) -> RemoteJob:
        return await self._start(tenant, "final")

    async def start_reverse_sync(self, tenant: Tenant) -> RemoteJob:
        """sync/copy OCI -> AWS, beside (not instead of) any forward job the tenant has."""
        aws, oci = self._fs(tenant)
        answer = await self.rc.call(
            "sync/copy",
            {
                "srcFs": oci,
                "dstFs": aws,
                "_async": True,
                "_group": _group(tenant.tenant_id, REVERSE),
                "_config": {"CheckSum": True},
            },
        )
        execute_id = str(answer.get("executeId") or await self._instance(await self.rc.call("job/list", {})))
        job = RemoteJob(
            tenant.tenant_id,
            f"{execute_id}:{answer['jobid']}",
            REVERSE,
            RemoteJobState.RUNNING,
            self.clock.now(),
            None,
            "",
            self.source,
        )
        self._state(tenant.tenant_id).jobs[job.job_id] = job
        return job

    async def job(self, job: RemoteJob) -> RemoteJob:
        if job.state != RemoteJobState.RUNNING:
            return job
        instance, _, jobid = job.job_id.rpartition(":")
        listed = await self.rc.call("job/list", {})
        now = self.clock.now()
        if await self._instance(listed) != instance:
            return self._restarted(job, now)
        known = [int(j) for j in listed.get("jobids", [])]
        if int(jobid) not in known:
            # Every rc call (this job/list too) is a job to rclone, so its highest id only grows while it
            # runs: an id above it is from an earlier run. A pid is no proof alone (pid 1 in a container).
            if not listed.get("executeId") and known and int(jobid) > max(known):
                return self._restarted(job, now)
            return self._ended(job, False, now, FORGOTTEN)
        try:
            status = await self.rc.call("job/status", {"jobid": int(jobid)})
        except ProviderError as exc:
            if "job not found" not in str(exc):
                raise
            return self._ended(job, False, now, FORGOTTEN)  # forgotten between the listing and this question
        if status.get("group") not in (None, _group(job.tenant_id, job.kind)):
            return self._restarted(job, now)  # the id is another job's now: ids started again from 1
        if not status.get("finished"):
            return job
        return self._ended(job, bool(status.get("success")), now, str(status.get("error") or ""))

    def _restarted(self, job: RemoteJob, now: float) -> RemoteJob:
        self._features = None  # a restart may have been an upgrade
        return self._ended(job, False, now, RESTARTED)

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
        execute_id = await self._instance(listed)
        for jobid in listed.get("jobids", []):
            try:
                status = await self.rc.call("job/status", {"jobid": int(jobid)})
            except ProviderError as exc:
                if "job not found" in str(exc):
                    continue  # expired between the listing and this question
                raise
            group = str(status.get("group", ""))
            if not group.startswith(GROUP_PREFIX) or group.count("/") != 2:
                continue
            _, tenant_id, kind = group.split("/")
            if kind == REVERSE:
                continue  # a rollback's pass: its job holds its id; it is no forward pass to follow
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
                stats = await self.rc.call("core/stats", {"group": _group(tenant.tenant_id, state.running.kind)})
                moved = float(stats.get("bytes", 0))
                if moved != state.bytes_seen:
                    state.bytes_seen, state.moved_at = moved, now
            elif (
                state.continuous
                and tenant.lifecycle not in ON_OCI
                and (state.last_end is None or now - state.last_end >= self.settings.interval)
            ):
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
            verification = await self._verify_with_rclone(tenant, now)
        self._state(tenant.tenant_id).mismatches = verification.differ
        return verification

    async def stranded(self, tenant: Tenant) -> Stranded:
        now = self.clock.now()
        if self.settings.verify == "listings" and self.listings:
            s3, object_storage = self.listings
            return stranded_objects(
                tenant.tenant_id,
                await object_storage.list(tenant.oci_bucket),
                await s3.list(tenant.aws_bucket),
                at=now,
                by=f"{object_storage.source}+{s3.source}",
            )
        aws, oci = self._fs(tenant)
        features = await self.features()
        features.refuse_if_untested(self.source)
        oci_side, aws_side = await list_side(self.rc, oci, aws)
        return stranded_objects(tenant.tenant_id, oci_side, aws_side, at=now, by=self.source)

    async def _verify_with_rclone(self, tenant: Tenant, now: float) -> Verification:
        src, dst = self._fs(tenant)
        features = await self.features()
        features.refuse_if_untested(self.source)
        if features.has_check:
            try:
                return await verify_with_check(self.rc, tenant.tenant_id, src, dst, at=now)
            except ProviderError as exc:
                if not missing_method(exc):  # a build without it: prove it the other way
                    raise
        return await verify_with_listings(self.rc, tenant.tenant_id, src, dst, at=now)


def _group(tenant_id: str, kind: str) -> str:
    return f"{GROUP_PREFIX}{tenant_id}/{kind}"


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
