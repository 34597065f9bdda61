"""Simulated data sync, behaving like rclone driven by a scheduler.

The runbook's timings: the initial bulk copy takes time from the size (1 GB about
5 min, 100 GB about 2 h), then a pass every 15 min keeps OCI less than 15 min
behind; a final sync takes 30 s to 2 min and holds writes for a few minutes, so a
verification right after it can prove lag 0. Lag is the age of the oldest write
not yet copied: 0 when nothing is pending.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cutover.model.lifecycle import SyncHealth
from cutover.model.tenant import Tenant
from cutover.providers.ports.errors import ProviderError
from cutover.providers.ports.remote_jobs import RemoteJob, RemoteJobState
from cutover.providers.ports.sync import Stranded, SyncStatus, Verification
from cutover.providers.sim.model import (
    FINAL_FREEZE_S,
    S_PASS,
    SYNC_INTERVAL_S,
    YIELD_EVERY,
    TenantParams,
    bucket_hash,
    daily_factor,
    unit,
)
from cutover.providers.sim.world import SimWorld, TenantJobs
from cutover.state.simworld_rows import JobRow

SOURCE = "sim-rclone"
REVERSE_BYTES_PER_S = 50e6  # a reverse copy's speed; it also takes REVERSE_START_S to list both sides
REVERSE_START_S = 5.0
SYNC_FAULTS = ("sync_stall", "checksum_mismatch")


@dataclass(frozen=True, slots=True)
class SyncState:
    health: SyncHealth
    percent: float | None
    eta_s: float | None
    lag_s: float | None
    pending_objects: int
    pending_bytes: int
    mismatches: int
    last_pass_at: float | None
    initial_done_at: float | None  # when the bulk copy finished (or will), None if not started
    objects_copied: int


NOT_STARTED = SyncState(SyncHealth.NOT_STARTED, None, None, None, 0, 0, 0, None, None, 0)

Windows = list[tuple[float, float]]


def initial_done_at(started: float, duration: float, stalls: Windows) -> float:
    """When the bulk copy finishes, given the stalls that pause it (inf if one never ends)."""
    cursor, remaining = started, duration
    for start, end in stalls:
        if end <= cursor:
            continue
        if start >= cursor + remaining:
            break
        remaining -= max(0.0, start - cursor)
        cursor = max(cursor, end)
        if math.isinf(cursor):
            return cursor
    return cursor + remaining


def last_pass(t: float, first: float, stalls: Windows) -> float:
    """The last continuous-sync pass at or before t: every interval after `first`,
    none during a stall, and one catching up when a stall ends."""
    candidate = first + math.floor((t - first) / SYNC_INTERVAL_S) * SYNC_INTERVAL_S
    for start, end in sorted(stalls, reverse=True):
        if not start <= candidate < end:
            continue
        if end <= t:
            return end
        before = first + (math.ceil((start - first) / SYNC_INTERVAL_S) - 1) * SYNC_INTERVAL_S
        candidate = max(first, before)
    return candidate


def final_outcome(job: JobRow, stalls: Windows, mismatch_at: Windows) -> str:
    """'' if a final sync or hydration succeeded, else why it failed."""
    end = job.started_at + (job.duration_s or 0.0)
    if any(start < end and job.started_at < stop for start, stop in stalls):
        return "transfer stalled: no progress for 120 s (the sync node stopped responding)"
    if any(start <= end < stop for start, stop in mismatch_at):
        return "files failed their checksum after transfer; see the checksum mismatches"
    return ""


class SyncModel:
    """Where a tenant's sync stands at a time, from its jobs and the faults on it."""

    def __init__(self, world: SimWorld, t: float):
        self.world = world
        self.t = t
        self._offsets: dict[object, float] = {}
        # Who any sync fault may touch: most tenants skip the fault lookups.
        self._everyone = False
        self._targets: set[str] = set()
        for fault in world.faults():
            if fault.kind in SYNC_FAULTS:
                if fault.targets is None:
                    self._everyone = True
                else:
                    self._targets |= fault.targets

    def _touched(self, tenant_id: str) -> bool:
        return self._everyone or tenant_id in self._targets

    def stalls(self, tenant_id: str) -> Windows:
        if not self._touched(tenant_id):
            return []
        return [(a, b) for a, b, _ in self.world.fault_windows(tenant_id, "sync_stall")]

    def mismatch_windows(self, tenant_id: str) -> tuple[Windows, int]:
        if not self._touched(tenant_id):
            return [], 0
        windows = self.world.fault_windows(tenant_id, "checksum_mismatch")
        now = [int(f.params.get("objects", 3)) for a, b, f in windows if a <= self.t < b]
        return [(a, b) for a, b, _ in windows], max(now, default=0)

    def state(self, tenant: Tenant, params: TenantParams, jobs: TenantJobs | None) -> SyncState:
        if jobs is None or (started := continuous_started(jobs, self.t)) is None:
            return NOT_STARTED
        t = self.t
        stalls = self.stalls(tenant.tenant_id)
        stalled_now = any(a <= t < b for a, b in stalls)
        done_at = initial_done_at(started, params.initial_sync_s, stalls)
        if t < done_at:
            elapsed = (t - started) - sum(max(0.0, min(b, t) - max(a, started)) for a, b in stalls)
            fraction = min(0.999, max(0.0, elapsed / params.initial_sync_s))
            left = 1.0 - fraction
            return SyncState(
                SyncHealth.STALLED if stalled_now else SyncHealth.INITIAL_SYNC,
                round(fraction * 100.0, 1),
                None if math.isinf(done_at) else done_at - t,
                None,
                int(params.objects * left),
                int(params.size_bytes * left),
                0,
                None,
                done_at,
                int(params.objects * fraction),
            )
        passed = last_pass(t, done_at, stalls)
        writes_from = passed
        mismatch_windows, mismatches = self.mismatch_windows(tenant.tenant_id)
        for job in jobs.finals:
            end = job.started_at + (job.duration_s or 0.0)
            if end <= t and not final_outcome(job, stalls, mismatch_windows):
                # A final sync is a pass, and writes are held for a while after it.
                passed = max(passed, end)
                writes_from = max(writes_from, passed, end + FINAL_FREEZE_S)
        writes_from = max(writes_from, passed)
        lag, pending = self._pending(params, passed, writes_from)
        if mismatches:
            health = SyncHealth.ERROR
        elif stalled_now:
            health = SyncHealth.STALLED
        else:
            health = SyncHealth.CONTINUOUS
        return SyncState(
            health,
            None,
            None,
            lag,
            pending,
            pending * params.avg_object_bytes,
            mismatches,
            passed,
            done_at,
            params.objects,
        )

    def _pending(self, params: TenantParams, passed: float, writes_from: float) -> tuple[float, int]:
        """(lag, objects written since the last pass) at t."""
        t = self.t
        if writes_from >= t:
            return 0.0, 0
        offset = self._offsets.get(params.zone)
        if offset is None:
            utc_offset = datetime.fromtimestamp(t, params.zone).utcoffset()
            offset = self._offsets[params.zone] = utc_offset.total_seconds() if utc_offset else 0.0
        hour = ((writes_from + offset) % 86400.0) / 3600.0
        rate = params.writes_per_s * daily_factor(hour)
        draw = unit(bucket_hash(params.key ^ S_PASS, int(passed)), 0)
        first_write = writes_from - math.log(1.0 - 0.999 * draw) / rate
        if first_write > t:
            return 0.0, 0
        return t - first_write, 1 + int(rate * (t - first_write))


def continuous_started(jobs: TenantJobs | None, t: float) -> float | None:
    """When the tenant's continuous sync (and so its OCI cluster) started, if it had by t; None if not."""
    if jobs is None or jobs.continuous is None or jobs.continuous.started_at > t:
        return None
    return jobs.continuous.started_at


def job_view(job: JobRow, now: float, error: str, source: str) -> RemoteJob:
    if job.duration_s is None:
        return RemoteJob(job.tenant_id, job.job_id, job.kind, RemoteJobState.RUNNING, job.started_at, None, "", source)
    end = job.started_at + job.duration_s
    if now < end:
        return RemoteJob(job.tenant_id, job.job_id, job.kind, RemoteJobState.RUNNING, job.started_at, None, "", source)
    state = RemoteJobState.FAILED if error else RemoteJobState.SUCCEEDED
    return RemoteJob(job.tenant_id, job.job_id, job.kind, state, job.started_at, end, error, source)


class SimSync:
    source = SOURCE

    def __init__(self, world: SimWorld):
        self.world = world

    async def status(self, tenants: Sequence[Tenant]) -> dict[str, SyncStatus]:
        world = self.world
        world.refresh()
        now = world.clock.now()
        model = SyncModel(world, now)
        found: dict[str, SyncStatus] = {}
        params_of, jobs_of = world.params, world.jobs
        for number, tenant in enumerate(tenants, 1):
            if number % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            tenant_id = tenant.tenant_id
            jobs = jobs_of.get(tenant_id)
            # Most of a fleet has no sync yet: no parameters to look up for them.
            started = continuous_started(jobs, now) is not None
            s = model.state(tenant, params_of(tenant), jobs) if started else NOT_STARTED
            found[tenant_id] = SyncStatus(
                tenant_id,
                s.health,
                s.percent,
                s.eta_s,
                s.lag_s,
                s.pending_objects,
                s.pending_bytes,
                s.mismatches,
                s.last_pass_at,
                now,
                SOURCE,
            )
        return found

    async def start_continuous(self, tenant: Tenant) -> RemoteJob:
        world = self.world
        world.refresh()
        now = world.clock.now()
        job = world.db.start_job(tenant.tenant_id, "continuous", now, None)
        world.refresh()
        return job_view(job, now, "", SOURCE)

    async def start_final_sync(self, tenant: Tenant) -> RemoteJob:
        world = self.world
        world.refresh()
        now = world.clock.now()
        params = world.params(tenant)
        model = SyncModel(world, now)
        state = model.state(tenant, params, world.jobs_of(tenant.tenant_id))
        if state.health is SyncHealth.NOT_STARTED:
            raise ProviderError(SOURCE, f"{tenant.tenant_id}: no sync is running; start continuous sync first")
        if state.initial_done_at is None or now < state.initial_done_at:
            percent = f"{state.percent:.0f} %" if state.percent is not None else "not"
            raise ProviderError(
                SOURCE,
                f"{tenant.tenant_id}: the initial copy is {percent} done; a final sync needs the bulk copy finished",
            )
        job = world.db.start_job(tenant.tenant_id, "final", now, params.final_sync_s)
        world.refresh()
        return await self.job(job_view(job, now, "", SOURCE))

    async def job(self, job: RemoteJob) -> RemoteJob:
        world = self.world
        world.refresh()
        now = world.clock.now()
        row = world.job(job.job_id)
        if row is None:
            raise ProviderError(SOURCE, f"no sync job {job.job_id}")
        error = ""
        if row.kind in ("final", "reverse") and row.duration_s is not None and now >= row.started_at + row.duration_s:
            model = SyncModel(world, now)
            error = final_outcome(row, model.stalls(row.tenant_id), model.mismatch_windows(row.tenant_id)[0])
        return job_view(row, now, error, SOURCE)

    async def stranded(self, tenant: Tenant) -> Stranded:
        return await _stranded(self.world, tenant)

    async def start_reverse_sync(self, tenant: Tenant) -> RemoteJob:
        """A copy OCI -> AWS; a sync stall on the tenant fails it, as it fails a final sync."""
        return await _start_reverse(self.world, tenant)

    async def verify(self, tenant: Tenant) -> Verification:
        world = self.world
        world.refresh()
        now = world.clock.now()
        params = world.params(tenant)
        state = SyncModel(world, now).state(tenant, params, world.jobs_of(tenant.tenant_id))
        if state.health is SyncHealth.NOT_STARTED:
            return Verification(tenant.tenant_id, params.objects, 0, params.objects, 0, now, SOURCE)
        changed = state.pending_objects * 3 // 10
        return Verification(
            tenant.tenant_id,
            objects_checked=params.objects,
            differ=state.mismatches + changed,
            missing_on_dst=(
                state.pending_objects - changed if state.lag_s is not None else params.objects - state.objects_copied
            ),
            missing_on_src=0,
            measured_at=now,
            source=SOURCE,
        )


def written_on_oci(world: SimWorld, tenant: Tenant, params: TenantParams, t: float) -> tuple[int, int]:
    """(objects, bytes) customers wrote on OCI that AWS lacks at t: from the last change towards OCI (or
    the end of the last good reverse copy after it) until DNS pointed back at AWS (or t)."""
    since = world.last_cutover(tenant.tenant_id)
    if since is None or since >= t:
        return 0, 0
    jobs = world.jobs_of(tenant.tenant_id)
    stalls = SyncModel(world, t).stalls(tenant.tenant_id)
    for job in jobs.reverses if jobs else ():
        end = job.started_at + (job.duration_s or 0.0)
        if end <= t and not final_outcome(job, stalls, []):
            since = max(since, end)
    until = t
    record = world.record(tenant.tenant_id)
    if record is not None and record.row.visible_at > since:
        oci, _ = record.share_at(tenant.aws_target, tenant.oci_target, float("inf"))
        if oci == 0.0:
            until = min(t, record.row.visible_at)  # DNS went back to AWS: writes land there since
    if until <= since:
        return 0, 0
    hour = (since % 86400.0) / 3600.0
    objects = int(params.writes_per_s * daily_factor(hour) * (until - since))
    return objects, objects * params.avg_object_bytes


async def _stranded(world: SimWorld, tenant: Tenant) -> Stranded:
    world.refresh()
    now = world.clock.now()
    params = world.params(tenant)
    objects, size = written_on_oci(world, tenant, params, now)
    return Stranded(tenant.tenant_id, objects, size, params.objects + objects, now, SOURCE)


async def _start_reverse(world: SimWorld, tenant: Tenant) -> RemoteJob:
    world.refresh()
    now = world.clock.now()
    _, size = written_on_oci(world, tenant, world.params(tenant), now)
    job = world.db.start_job(tenant.tenant_id, "reverse", now, REVERSE_START_S + size / REVERSE_BYTES_PER_S)
    world.refresh()
    return job_view(job, now, "", SOURCE)
