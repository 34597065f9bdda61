"""The flows of whole jobs: flip (one or several tenants at once), rollback (the batch is in batch.py).

Each is re-entrant: run on a job found half done (after a crash, a kill, a
takeover) it carries on from each tenant's last completed step.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence

from cutover.actions.engine.engine_core import ENGINE_STOPS
from cutover.actions.engine.flows.cutover import run_cutover
from cutover.actions.engine.flows.dns_change import ChangeOutcome, Expect, change_dns, wait_in_sync
from cutover.actions.engine.flows.job_run import FlowStop, JobRun, Preempted
from cutover.actions.engine.flows.propagated import after_change
from cutover.actions.engine.flows.registry import runs
from cutover.actions.engine.flows.reverse import measure_rpo, reverse_sync, was_on_oci
from cutover.actions.plan import dns_plan
from cutover.actions.plan.safety import TENANT_HOLD, SafetyVerdict, evaluate_safety, read_fleet
from cutover.actions.plan.windows import given_window
from cutover.config.units import format_duration
from cutover.model.job_params import CutoverParams, RollbackParams
from cutover.model.jobs import JobKind, StepName, StepState, TargetState
from cutover.model.lifecycle import Lifecycle, check_transition
from cutover.model.tenant import Tenant
from cutover.state.holds import active_holds

log = logging.getLogger(__name__)

OUTCOME_WORDS = {
    TargetState.SUCCEEDED: "migrated",
    TargetState.FAILED: "failed",
    TargetState.ROLLED_BACK: "rolled back",
    TargetState.REFUSED: "refused",
    TargetState.ABORTED: "aborted",
    TargetState.PREEMPTED: "taken over by a rollback",
}
ROLLBACK_WORDS = {**OUTCOME_WORDS, TargetState.SUCCEEDED: "rolled back to AWS"}


# --- admission: ready -> cutting over, under the safety rules ------------------------------


async def admit(run: JobRun, tenant_ids: Sequence[str]) -> SafetyVerdict:
    """Admit pending tenants into cutting over, all together, if the safety rules allow it now.

    Tenants that are no longer ready are refused on their own. Returns the verdict;
    when it is not ok nothing was admitted.
    """
    core = run.core
    async with core.admission:
        ready: list[Tenant] = []
        now = core.now()
        # A tenant held after the batch was planned (the customer called) is left out on its own, saying why.
        held = {} if TENANT_HOLD in run.overrides else active_holds(core.jobs.store, now)
        for tenant_id in tenant_ids:
            tenant = core.tenant(tenant_id)
            if tenant_id in held:
                words = held[tenant_id].words(run.settings.safety.window.zone)
                run.end_target(tenant_id, TargetState.REFUSED, f"{words}: left out, nothing changed")
            elif tenant.lifecycle is Lifecycle.READY:
                ready.append(tenant)
            else:
                run.end_target(tenant_id, TargetState.REFUSED, f"{tenant.lifecycle.label}, no longer ready")
        if not ready:
            return SafetyVerdict(())
        fleet = read_fleet(core.facts, ready, now, run.settings)
        window = given_window(CutoverParams.read(run.params, run.settings).window or None, run.settings)
        verdict = evaluate_safety(
            ready, fleet, now, run.settings, operator=run.operator, overrides=run.overrides, window=window
        )
        if not verdict.ok:
            return verdict
        for tenant in ready:
            with core.fenced():
                run.transition(
                    tenant.tenant_id, Lifecycle.CUTTING_OVER, why=f"{run.job_id} started", expect=Lifecycle.READY
                )
                core.jobs.update_target(run.job_id, tenant.tenant_id, TargetState.RUNNING)
        return verdict


async def tenant_task(run: JobRun, tenant_id: str, flow: Awaitable[tuple[TargetState, str]]) -> TargetState:
    """Run one tenant's flow and record its outcome, whatever happens."""
    try:
        state, summary = await flow
    except Preempted as taken:
        return TargetState.PREEMPTED if taken.state is TargetState.PREEMPTED else taken.state
    except ENGINE_STOPS:
        raise
    except FlowStop as stop:
        state, summary = stop.state, stop.message
    except Exception as error:  # a bug or an unexpected provider answer: stop this tenant, say so loudly
        log.exception("%s: %s failed", run.job_id, tenant_id)
        state, summary = TargetState.FAILED, f"engine error: {type(error).__name__}: {error}"
        run.core.alert(
            f"{tenant_id}: {run.job_id} stopped on an error: {error}",
            severity="critical",
            tenant_id=tenant_id,
            job_id=run.job_id,
        )
    if run.holds_tenant(tenant_id):
        run.end_target(tenant_id, state, summary)
    return state


def finish(run: JobRun, words: dict[TargetState, str] = OUTCOME_WORDS) -> None:
    targets = run.core.jobs.targets(run.job_id)
    counts = Counter(target.state for target in targets)
    result = ", ".join(f"{counts[state]} {words[state]}" for state in TargetState if counts[state]) or "nothing to do"
    from cutover.model.jobs import JobState

    if run.aborting:
        state = JobState.ABORTED
    elif counts and set(counts) == {TargetState.SUCCEEDED}:
        state = JobState.SUCCEEDED
    elif counts and set(counts) == {TargetState.REFUSED}:
        state = JobState.REFUSED
    else:
        state = JobState.FAILED
    run.finish(state, result)


# --- flip ------------------------------------------------------------------------------------


@runs(JobKind.FLIP)
async def run_flip(run: JobRun) -> None:
    await run_each_tenant(run, run_cutover)


async def run_each_tenant(run: JobRun, flow: Callable[[JobRun, str], Awaitable[tuple[TargetState, str]]]) -> None:
    """A flip or a ramp: the pending targets admitted together (or refused with the reason), then `flow`
    on every running target at once, each in its own task."""
    core = run.core
    pending = [t.tenant_id for t in core.jobs.targets(run.job_id) if t.state is TargetState.PENDING]
    if pending:
        verdict = await admit(run, pending)
        if not verdict.ok:
            for tenant_id in pending:
                if run.target_state(tenant_id) is TargetState.PENDING:
                    run.end_target(tenant_id, TargetState.REFUSED, verdict.describe())
    running = [t.tenant_id for t in core.jobs.targets(run.job_id) if t.state is TargetState.RUNNING]
    await asyncio.gather(*(tenant_task(run, tid, flow(run, tid)) for tid in running))
    finish(run)


# --- rollback ------------------------------------------------------------------------------


@runs(JobKind.ROLLBACK)
async def run_rollback(run: JobRun) -> None:
    """Roll tenants back to AWS: one change set per hosted zone, paced; recovery time recorded."""
    core = run.core
    decided_at = RollbackParams.read(run.params, run.settings).decided_at or run.job.created_at
    targets = core.jobs.targets(run.job_id)
    for target in targets:
        if target.state is not TargetState.PENDING:
            continue
        tenant = core.tenant(target.tenant_id)
        try:
            check_transition(tenant.tenant_id, tenant.lifecycle, Lifecycle.ROLLING_BACK)
        except Exception as refused:
            run.end_target(tenant.tenant_id, TargetState.REFUSED, str(refused))
            continue
        was_oci = was_on_oci(run, tenant.tenant_id)  # read before anything changes; kept for a resumed job
        with core.fenced():
            run.transition(tenant.tenant_id, Lifecycle.ROLLING_BACK, why=run.job.reason, monitoring_until=None)
            core.jobs.update_target(
                run.job_id, tenant.tenant_id, TargetState.RUNNING, detail={"decided_at": decided_at, "on_oci": was_oci}
            )
    running = [t.tenant_id for t in core.jobs.targets(run.job_id) if t.state is TargetState.RUNNING]
    on_oci = {tid: bool(core.jobs.target(run.job_id, tid).detail.get("on_oci", True)) for tid in running}
    if running and run.settings.rollback.reverse_sync == "before-dns":
        # What customers wrote on OCI reaches AWS before they are sent back there (bounded: never blocks).
        await asyncio.gather(*(reverse_sync(run, tid, on_oci=on_oci[tid]) for tid in running))
    if running:
        tenants = {tid: core.tenant(tid) for tid in running}
        ttl = run.settings.dns.ttl
        wants = {tid: dns_plan.to_aws(t, ttl) for tid, t in tenants.items()}
        allowed = {tid: _rollback_from(t) for tid, t in tenants.items()}
        steps = {tid: run.step(tid, StepName.DNS_CHANGE) for tid in running}
        outcomes = await change_dns(run, steps, wants, allowed, "pointed back at AWS")
        await asyncio.gather(
            *(
                tenant_task(run, tid, _after_rollback(run, tid, outcomes[tid], decided_at, on_oci[tid]))
                for tid in running
            )
        )
    finish(run, ROLLBACK_WORDS)


def _rollback_from(tenant: Tenant) -> Expect:
    """A rollback accepts any record pointing only at the tenant's own targets: OCI, or a ramp's weighted pair."""
    return Expect(
        lambda found: found.oci_share(tenant.aws_target, tenant.oci_target) is not None,
        f"{tenant.oci_target}, or a weighted pair of {tenant.aws_target} and {tenant.oci_target}",
    )


async def _after_rollback(
    run: JobRun, tenant_id: str, outcome: ChangeOutcome | FlowStop, decided_at: float, on_oci: bool
) -> tuple[TargetState, str]:
    core = run.core
    if isinstance(outcome, FlowStop):
        run.transition(tenant_id, Lifecycle.FAILED, why=outcome.message)
        return TargetState.FAILED, outcome.message
    insync = await wait_in_sync(
        run, run.step(tenant_id, StepName.DNS_INSYNC), outcome, core.tenant(tenant_id).hosted_zone, tenant_id
    )
    insync_at = run.step(tenant_id, StepName.DNS_INSYNC).ended_at or core.now()
    changed_at = run.step(tenant_id, StepName.DNS_CHANGE).ended_at or core.now()
    aws_target = core.tenant(tenant_id).aws_target
    probing = asyncio.ensure_future(after_change(run, tenant_id, StepName.DNS_INSYNC, aws_target, changed_at))
    try:
        state, summary = await _traffic_back(run, tenant_id, insync, insync_at, changed_at, decided_at)
        propagated = await probing
    finally:
        probing.cancel()
    if run.settings.rollback.reverse_sync != "before-dns":
        await reverse_sync(run, tenant_id, on_oci=on_oci)  # after-dns: now; off: recorded as off
    rpo = await measure_rpo(run, tenant_id, on_oci=on_oci)
    summary = "; ".join(filter(None, (summary, propagated, rpo)))
    return state, summary


async def _traffic_back(
    run: JobRun, tenant_id: str, insync: str, insync_at: float, changed_at: float, decided_at: float
) -> tuple[TargetState, str]:
    core = run.core
    step = run.step(tenant_id, StepName.TRAFFIC_BACK)
    if step.state is not StepState.DONE:
        step = core.jobs.start_step(step)
        timeout = run.settings.batch.traffic_timeout
        key = f"{tenant_id}:traffic_back"
        while True:
            tenant = core.tenant(tenant_id)
            fresh = tenant.metrics_at is not None and tenant.metrics_at > changed_at
            share = tenant.observed_oci_share
            if fresh and (share is None or share <= 1 - run.settings.batch.traffic_done_share):
                run.unhold(key)
                break
            if core.now() - (step.started_at or changed_at) > timeout:
                run.hold(
                    key,
                    f"{tenant_id}: traffic still {share * 100 if share is not None else 0:.0f} % on OCI "
                    f"{format_duration(core.now() - changed_at)} after the rollback",
                    tenant_id=tenant_id,
                )
            await run.poll()
        back_at = core.now()
        recovery = {
            "decided_at": decided_at,
            "insync_after_s": insync_at - decided_at,
            "traffic_back_after_s": back_at - decided_at,
        }
        core.jobs.finish_step(
            step,
            StepState.DONE,
            f"traffic back on AWS {format_duration(back_at - decided_at)} after the decision",
            detail=recovery,
        )
    recovery = run.step(tenant_id, StepName.TRAFFIC_BACK).detail
    summary = (
        f"{insync}; traffic back on AWS {format_duration(recovery['traffic_back_after_s'])} after the decision "
        f"(DNS in sync {format_duration(recovery['insync_after_s'])} after it)"
    )
    tenant = core.tenant(tenant_id)
    if tenant.lifecycle is Lifecycle.ROLLING_BACK:
        run.transition(tenant_id, Lifecycle.ROLLED_BACK, why=f"back on AWS: {summary}", expect=Lifecycle.ROLLING_BACK)
    core.events.append(
        "rollback.recovered", f"{tenant_id} back on AWS", tenant_id=tenant_id, job_id=run.job_id, detail=recovery
    )
    core.jobs.update_target(run.job_id, tenant_id, TargetState.RUNNING, detail=recovery)
    return TargetState.SUCCEEDED, summary
