"""Decommission: the point of no return, as a job the engine runs (the rules are in decommission_rules.py).

Per tenant: the rules again as they stand now (the watch, faults, approvals: the
fleet may have moved since the job was submitted), then `verify`: a fresh
comparison of both sides through the sync provider (sides that differ refuse it,
nothing changed), then `retire`: migrated -> decommissioned, recording the final
comparison and what remains on AWS to retire. A decommissioned tenant is no longer
watched, judged or rolled back.
"""

from __future__ import annotations

import asyncio

from cutover.actions.engine.flows.job_run import JobRun
from cutover.actions.engine.flows.jobs import OUTCOME_WORDS, finish, tenant_task
from cutover.actions.engine.flows.prepare import _begin, _start_targets
from cutover.actions.engine.flows.registry import runs
from cutover.actions.plan.decommission_rules import refusals, standing, to_retire
from cutover.model.jobs import JobKind, StepName, StepState, TargetState
from cutover.model.lifecycle import Lifecycle
from cutover.providers.ports.errors import ProviderError
from cutover.state.watch import checkpoints

DECOMMISSIONED_WORDS = {**OUTCOME_WORDS, TargetState.SUCCEEDED: "decommissioned"}
RETIRED = "decommission.retire"  # the event listing what remains on AWS


@runs(JobKind.DECOMMISSION)
async def run_decommission(run: JobRun) -> None:
    running = _start_targets(run)
    await asyncio.gather(*(tenant_task(run, tid, _decommission(run, tid)) for tid in running))
    finish(run, DECOMMISSIONED_WORDS)


async def _decommission(run: JobRun, tenant_id: str) -> tuple[TargetState, str]:
    core = run.core
    verify = run.step(tenant_id, StepName.VERIFY)
    if verify.state is not StepState.DONE:
        tenant = core.tenant(tenant_id)
        since = tenant.lifecycle_since
        approvers = core.facts.approvals([tenant_id], since).get(tenant_id, set())
        found = standing(
            refusals(
                tenant,
                core.now(),
                run.settings,
                operator=run.operator,
                checkpoint=checkpoints(core.store, [tenant_id]).get(tenant_id),
                approvers=approvers,
            ),
            run.overrides,
        )
        if found:
            return TargetState.REFUSED, "; ".join(r.text() for r in found)
        verify = _begin(run, tenant_id, StepName.VERIFY)
        try:
            proof = await core.providers.sync.verify(tenant)
        except ProviderError as error:
            core.jobs.finish_step(verify, StepState.FAILED, f"could not compare the sides: {error}")
            return TargetState.REFUSED, f"could not compare AWS and OCI: {error}; nothing changed"
        detail = {
            "objects_checked": proof.objects_checked,
            "differ": proof.differ,
            "missing_on_oci": proof.missing_on_dst,
            "missing_on_aws": proof.missing_on_src,
            "unverified": proof.unverified,
            "measured_at": proof.measured_at,
            "source": proof.source,
        }
        with core.fenced():
            core.tenants.observe(tenant_id, checksum_mismatches=proof.differ)
        if not proof.lag_zero:
            message = (
                f"the sides differ: {proof.differ} objects differ, {proof.missing_on_dst} missing on OCI "
                f"(of {proof.objects_checked}): decommissioning would lose data; nothing changed"
            )
            core.jobs.finish_step(verify, StepState.FAILED, message, detail=detail)
            return TargetState.REFUSED, message
        core.jobs.finish_step(
            verify, StepState.DONE, f"both sides match: {proof.objects_checked} objects by checksum", detail=detail
        )
    final = run.step(tenant_id, StepName.VERIFY).detail
    retire = _begin(run, tenant_id, StepName.RETIRE)
    if retire.state is StepState.DONE:
        return TargetState.SUCCEEDED, retire.result
    tenant = core.tenant(tenant_id)
    remains = to_retire(tenant)
    listed = ", ".join(f"{key} {value}" for key, value in remains.items()) or "nothing named in the matrix"
    with core.fenced():
        core.tenants.transition(
            tenant_id,
            Lifecycle.DECOMMISSIONED,
            why=run.job.reason,
            job_id=run.job_id,
            expect=Lifecycle.MIGRATED,
            detail={"final_checksums": final, "to_retire": remains, "overrides": run.overrides},
        )
        core.events.append(
            RETIRED,
            f"{tenant_id}: decommissioned; to retire on AWS: {listed}",
            tenant_id=tenant_id,
            job_id=run.job_id,
            why=run.job.reason,
            detail={"to_retire": remains, "final_checksums": final},
        )
    result = f"decommissioned: {final.get('objects_checked', 0)} objects matched; to retire on AWS: {listed}"
    core.jobs.finish_step(retire, StepState.DONE, result, detail={"to_retire": remains})
    return TargetState.SUCCEEDED, result
