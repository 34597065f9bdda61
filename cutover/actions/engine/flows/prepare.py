"""Getting tenants ready to cut over, as jobs the engine runs: sync and validation.

- sync, mode `start`: begin the initial bulk copy and continuous sync (the runbook:
  every 15 min); the tenant goes pending -> syncing. The engine's sync poller moves
  it on to validating once the initial copy is done and continuous sync runs.
- sync, mode `final`: a final incremental pass, then a verification proving lag 0.
- sync, mode `verify`: the verification alone (the gate wants one within 15 min).
- validate: the validation suite against the tenant's OCI endpoint. Every check
  passing moves a validating tenant to ready; the result (passed/total, when) is
  the gate's evidence either way, and a failing check is named in the outcome.

Nothing here touches DNS: the tenant's traffic stays on AWS throughout.
"""

from __future__ import annotations

import asyncio

from cutover.actions.engine.flows.cutover import TenantCutover
from cutover.actions.engine.flows.job_run import FlowStop, JobRun
from cutover.actions.engine.flows.jobs import OUTCOME_WORDS, finish, tenant_task
from cutover.actions.engine.flows.registry import runs
from cutover.model.job_params import SyncParams
from cutover.model.jobs import JobKind, StepName, StepState, TargetState
from cutover.model.lifecycle import Lifecycle
from cutover.providers.ports.errors import ProviderError
from cutover.state.job_records import Step

SYNCED_WORDS = {**OUTCOME_WORDS, TargetState.SUCCEEDED: "synced"}
VALIDATED_WORDS = {**OUTCOME_WORDS, TargetState.SUCCEEDED: "validated"}


@runs(JobKind.SYNC)
async def run_sync(run: JobRun) -> None:
    mode = SyncParams.read(run.params, run.settings).mode
    running = _start_targets(run)
    flow = _start_sync if mode == "start" else _final_sync if mode == "final" else _verify
    await asyncio.gather(*(tenant_task(run, tid, flow(run, tid)) for tid in running))
    finish(run, SYNCED_WORDS)


@runs(JobKind.VALIDATE)
async def run_validate(run: JobRun) -> None:
    running = _start_targets(run)
    await asyncio.gather(*(tenant_task(run, tid, _validate(run, tid)) for tid in running))
    finish(run, VALIDATED_WORDS)


def _start_targets(run: JobRun) -> list[str]:
    core = run.core
    for target in core.jobs.targets(run.job_id):
        if target.state is TargetState.PENDING:
            core.jobs.update_target(run.job_id, target.tenant_id, TargetState.RUNNING)
    return [t.tenant_id for t in core.jobs.targets(run.job_id) if t.state is TargetState.RUNNING]


def _begin(run: JobRun, tenant_id: str, name: str) -> Step:
    """The step, started (a resumed job finds it done and does not run it again)."""
    step = run.step(tenant_id, name)
    if step.state is StepState.DONE:
        return step
    run.check_still_ours(tenant_id)
    return run.core.jobs.start_step(step)


async def _start_sync(run: JobRun, tenant_id: str) -> tuple[TargetState, str]:
    core = run.core
    step = _begin(run, tenant_id, StepName.START_SYNC)
    if step.state is StepState.DONE:
        return TargetState.SUCCEEDED, step.result
    tenant = core.tenant(tenant_id)
    core.before_side_effect()
    try:
        remote = await core.providers.sync.start_continuous(tenant)
    except ProviderError as error:
        core.jobs.finish_step(step, StepState.FAILED, f"could not start: {error}")
        return TargetState.FAILED, f"continuous sync could not start: {error}"
    result = f"initial copy and continuous sync started ({remote.job_id})"
    if tenant.lifecycle is not Lifecycle.SYNCING:
        run.transition(tenant_id, Lifecycle.SYNCING, why=run.job.reason, expect=tenant.lifecycle)
    core.jobs.finish_step(step, StepState.DONE, result, request_ids=[remote.job_id])
    return TargetState.SUCCEEDED, result


async def _final_sync(run: JobRun, tenant_id: str) -> tuple[TargetState, str]:
    flow = TenantCutover(run, tenant_id)
    sync = run.core.providers.sync
    try:
        await flow._remote_step(StepName.FINAL_SYNC, "final sync", sync.start_final_sync, sync.job)
        await flow._verify()
    except FlowStop as stop:
        return TargetState.FAILED, stop.message
    return TargetState.SUCCEEDED, f"{run.step(tenant_id, 'final_sync').result}; {run.step(tenant_id, 'verify').result}"


async def _verify(run: JobRun, tenant_id: str) -> tuple[TargetState, str]:
    try:
        await TenantCutover(run, tenant_id)._verify()
    except FlowStop as stop:
        return TargetState.FAILED, stop.message
    return TargetState.SUCCEEDED, run.step(tenant_id, StepName.VERIFY).result


async def _validate(run: JobRun, tenant_id: str) -> tuple[TargetState, str]:
    core = run.core
    step = _begin(run, tenant_id, StepName.VALIDATE)
    if step.state is StepState.DONE:
        return TargetState.SUCCEEDED, step.result
    try:
        result = await core.providers.health.validate(core.tenant(tenant_id))
    except ProviderError as error:
        core.jobs.finish_step(step, StepState.FAILED, f"the suite could not run: {error}")
        return TargetState.FAILED, f"validation could not run: {error}"
    total = len(result.checks)
    observed = {"validation_passed": result.passed, "validation_total": total, "validated_at": result.measured_at}
    detail = {"checks": [{"name": c.name, "passed": c.passed, "evidence": c.evidence} for c in result.checks]}
    failed = [f"{c.name}: {c.evidence}" for c in result.checks if not c.passed]
    if failed:
        with core.fenced():
            core.tenants.observe(tenant_id, **observed)
        message = f"{result.passed}/{total} passed; failed: {'; '.join(failed)}"
        core.jobs.finish_step(step, StepState.FAILED, message, detail=detail)
        return TargetState.FAILED, message
    message = f"{total}/{total} passed"
    tenant = core.tenant(tenant_id)
    if tenant.lifecycle is Lifecycle.VALIDATING:
        run.transition(tenant_id, Lifecycle.READY, why=f"validation {message}", expect=Lifecycle.VALIDATING, **observed)
        message += ": ready to cut over"
    else:
        with core.fenced():
            core.tenants.observe(tenant_id, **observed)
    core.jobs.finish_step(step, StepState.DONE, message, detail=detail)
    return TargetState.SUCCEEDED, message
