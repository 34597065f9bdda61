"""A rollback's data: the reverse sync OCI -> AWS and the RPO it leaves.

`rollback.reverse_sync`: `before-dns` copies what customers wrote on OCI to AWS
before DNS points back (so they find it there), `after-dns` right after traffic is
back, `off` never. The pass is bounded by `rollback.reverse_sync_timeout`: a
rollback never waits for it longer; a pass that fails or times out is recorded and
the rollback goes on. The RPO of every rollback is then measured, once traffic is
back on AWS: the sync provider's listings of both sides, counting OCI's objects
that AWS lacks or holds differently (0 when the reverse sync proved both equal),
recorded in the job's target and as an event `rollback.rpo`.

A tenant whose DNS never pointed at OCI has nothing written there: its reverse
sync is skipped (a copy from OCI could only overwrite AWS with older data).
"""

from __future__ import annotations

from typing import Any

from cutover.actions.engine.engine_core import ENGINE_STOPS
from cutover.actions.engine.flows.job_run import JobRun
from cutover.actions.engine.readiness import ReadinessWatch
from cutover.config.units import format_duration, format_size
from cutover.model.jobs import REVERSE_STEP, RPO_STEP, StepState
from cutover.providers.ports.errors import ProviderError
from cutover.providers.ports.remote_jobs import RemoteJobState
from cutover.providers.ports.sync import Stranded
from cutover.state.job_records import JobError, Step

RPO_EVENT = "rollback.rpo"


def _step(run: JobRun, tenant_id: str, name: str) -> Step | None:
    """The step, or None for a job submitted before this version knew it (it runs as it was planned)."""
    try:
        return run.step(tenant_id, name)
    except JobError:
        return None


def was_on_oci(run: JobRun, tenant_id: str) -> bool:
    """DNS pointed at OCI (wholly or in part) when last read: customers may have written there."""
    share = run.core.tenant(tenant_id).dns_oci_share
    return share is not None and share > 0


async def reverse_sync(run: JobRun, tenant_id: str, *, on_oci: bool) -> str:
    """Run the tenant's reverse pass, bounded; returns what happened in words. Never raises a provider's error."""
    core = run.core
    step = _step(run, tenant_id, REVERSE_STEP)
    if step is None or step.state in (StepState.DONE, StepState.FAILED):
        return step.result if step else ""
    mode = run.settings.rollback.reverse_sync
    step = core.jobs.start_step(step)
    if mode == "off":
        return _end(run, step, StepState.DONE, "off (rollback.reverse_sync): what was written on OCI stays there")
    if not on_oci:
        return _end(run, step, StepState.DONE, "skipped: DNS did not point at OCI, nothing was written there")
    timeout = run.settings.rollback.reverse_sync_timeout
    started = core.now()
    sync = core.providers.sync
    try:
        core.before_side_effect()
        job = await sync.start_reverse_sync(core.tenant(tenant_id))
        while job.state is RemoteJobState.RUNNING and core.now() - started < timeout:
            await run.poll()
            job = await sync.job(job)
    except ENGINE_STOPS:
        raise
    except ProviderError as error:
        return _failed(run, step, f"reverse sync could not run: {error}")
    took = format_duration(core.now() - started)
    if job.state is RemoteJobState.RUNNING:
        return _failed(run, step, f"reverse sync not done after {took} (the limit): the rollback went on without it")
    if job.state is RemoteJobState.FAILED:
        return _failed(run, step, f"reverse sync failed after {took}: {job.error}")
    await ReadinessWatch(core).measure(core.tenant(tenant_id), reverse_at=job.ended_at or core.now())
    return _end(run, step, StepState.DONE, f"reverse sync OCI -> AWS done in {took}", {"job": job.job_id})


def _failed(run: JobRun, step: Step, message: str) -> str:
    run.core.alert(
        f"{step.tenant_id}: {message}; the RPO is measured once traffic is back",
        severity="warning",
        tenant_id=step.tenant_id,
        job_id=run.job_id,
    )
    return _end(run, step, StepState.FAILED, message)


def _end(run: JobRun, step: Step, state: StepState, result: str, detail: dict[str, Any] | None = None) -> str:
    run.core.jobs.finish_step(step, state, result, detail=detail)
    return result


async def measure_rpo(run: JobRun, tenant_id: str, *, on_oci: bool) -> str:
    """What the rollback left on OCI, measured now (traffic is back); recorded on the target and as an event.
    A tenant whose DNS never pointed at OCI had nothing written there: RPO 0 without a listing (OCI's side
    may still hold older copies of AWS's objects, which no customer wrote)."""
    core = run.core
    step = _step(run, tenant_id, RPO_STEP)
    if step is None:
        return ""
    if step.state is StepState.DONE:
        return step.result
    step = core.jobs.start_step(step)
    reverse = _step(run, tenant_id, REVERSE_STEP)
    mode = run.settings.rollback.reverse_sync
    rpo: dict[str, Any] = {"reverse_sync": mode, "reverse_result": reverse.result if reverse else ""}
    try:
        found = await core.providers.sync.stranded(core.tenant(tenant_id)) if on_oci else None
    except ENGINE_STOPS:
        raise
    except ProviderError as error:
        rpo |= {"objects": None, "bytes": None, "error": str(error), "measured_at": core.now()}
        text = f"RPO not measured: {error}"
    else:
        if found is None:
            found = Stranded(tenant_id, 0, 0, 0, core.now(), "DNS never pointed at OCI")
        rpo |= {
            "objects": found.objects,
            "bytes": found.bytes,
            "compared": found.compared,
            "measured_at": found.measured_at,
            "source": found.source,
        }
        if not on_oci:
            text = "RPO 0: DNS never pointed at OCI, nothing was written there"
        elif found.none:
            text = f"RPO 0: AWS holds every object on OCI ({found.compared} listed)"
        else:
            text = (
                f"RPO {found.objects} object{'s' * (found.objects != 1)}, {format_size(found.bytes)} "
                f"written on OCI and not on AWS ({reverse.result if reverse else 'no reverse sync'})"
            )
    core.jobs.finish_step(step, StepState.DONE, text, detail=rpo)
    core.jobs.update_target(run.job_id, tenant_id, core.jobs.target(run.job_id, tenant_id).state, detail={"rpo": rpo})
    core.events.append(RPO_EVENT, f"{tenant_id}: {text}", tenant_id=tenant_id, job_id=run.job_id, detail=rpo)
    return text
