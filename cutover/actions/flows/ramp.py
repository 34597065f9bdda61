"""A weighted ramp: traffic moves to OCI in stages (default 10/25/50/75/100 %).

Each stage is one atomic DNS change (simple record -> weighted pair for the first,
pair -> pair, and pair -> simple OCI record for the last), then a hold (default
30 min) during which the stage's criteria are checked on every snapshot: error
rate and p95 against the baseline. A breach pauses the ramp for a human (the
triggers stay armed and roll back on their own rules); an inconclusive verdict
stops the hold clock. After the last stage comes the monitoring window, then
migrated.

Operators can pause (the hold clock stops), resume, skip (end the current hold
now) and abort, which for a ramp means rollback: a rollback job takes the tenant
over and puts its record back on AWS.
"""

from __future__ import annotations

import asyncio

from cutover.actions import dns_plan
from cutover.actions.flows.common import Expect, FlowStop, JobRun, Preempted, seconds
from cutover.actions.flows.cutover import BeforeDns, TenantCutover
from cutover.actions.flows.jobs import admit, finish, tenant_task
from cutover.actions.trigger_loop import ROLLBACK_STEPS
from cutover.actions.triggers import Outcome
from cutover.providers.interfaces import ChangeReceipt, ChangeStatus, ProviderError, TenantMetrics
from cutover.state.jobs import LockConflict, NewTarget, StepState, TargetState
from cutover.state.tenants import Tenant


async def run_ramp(run: JobRun) -> None:
    core = run.core
    pending = [t.tenant_id for t in core.jobs.targets(run.job_id) if t.state is TargetState.PENDING]
    if pending:
        verdict = await admit(run, pending)
        if not verdict.ok:
            for tenant_id in pending:
                if run.target_state(tenant_id) is TargetState.PENDING:
                    run.end_target(tenant_id, TargetState.REFUSED, verdict.describe())
    running = [t.tenant_id for t in core.jobs.targets(run.job_id) if t.state is TargetState.RUNNING]
    await asyncio.gather(*(tenant_task(run, tid, ramp_tenant(run, tid)) for tid in running))
    finish(run)


def _roll_back_for_abort(run: JobRun, tenant_id: str) -> Preempted:
    """A ramp's abort is a rollback: a rollback job takes the tenant over."""
    core = run.core
    by = run.job.control_by or run.operator
    try:
        job, _ = core.jobs.submit(
            "rollback",
            [NewTarget(tenant_id, ROLLBACK_STEPS)],
            reason=f"{run.job_id} aborted",
            params={"decided_at": core.now(), "aborted": run.job_id},
            idempotency_key=f"abort:{run.job_id}:{tenant_id}",
            operator=by,
        )
    except LockConflict as held:
        return Preempted(f"aborted; {held}")
    core.wakeup.set()
    return Preempted(f"aborted: rolled back by {job.job_id}")


async def ramp_tenant(run: JobRun, tenant_id: str) -> tuple[TargetState, str]:
    core = run.core
    flow = TenantCutover(run, tenant_id)
    try:
        await flow.preflight()
    except BeforeDns as stop:
        flow.back_to_ready(stop.message)
        return stop.state, stop.message
    stages = [int(p) for p in run.params["stages"]]
    ttl = run.settings.dns.ttl
    tenant = core.tenant(tenant_id)
    previous = dns_plan.to_aws(tenant, ttl)
    held_total = 0.0
    for index, percent in enumerate(stages):
        want = dns_plan.ramp_stage(tenant, percent, ttl)
        dns_step = run.step(tenant_id, f"dns {percent} %")
        if dns_step.state is not StepState.DONE:
            if run.aborting:
                if index == 0:
                    flow.back_to_ready("ramp aborted before its first DNS change")
                    return TargetState.ABORTED, "aborted before its first DNS change; nothing changed"
                raise _roll_back_for_abort(run, tenant_id)
            try:
                outcome = await flow.change(want, Expect.exactly(previous), f"dns {percent} %", f"{percent} % to OCI")
            except BeforeDns as stop:
                if index == 0:
                    flow.back_to_ready(stop.message)
                    return stop.state, stop.message
                raise _roll_back_for_abort(run, tenant_id) from None
            except Preempted:
                raise
            except FlowStop as stop:
                return stop.state, stop.message
            core.tenants.observe(tenant_id, dns_oci_share=percent / 100, dns_routing=want.describe(), dns_at=core.now())
            if percent < 100:
                held_total += await _hold(run, tenant_id, percent, outcome.change_id)
        elif percent < 100:
            hold_step = run.step(tenant_id, f"hold {percent} %")
            if hold_step.state is not StepState.DONE:
                held_total += await _hold(run, tenant_id, percent, dns_step.detail.get("change_id", ""))
        previous = want
    monitoring = await flow.monitor()
    return (
        TargetState.SUCCEEDED,
        f"ramped {'/'.join(str(p) for p in stages)} % over {seconds(held_total)}, {monitoring}",
    )


async def _hold(run: JobRun, tenant_id: str, percent: int, change_id: str) -> float:
    """Hold a stage: wait for the change to be in sync, then `hold` seconds of clean criteria."""
    core = run.core
    step = run.step(tenant_id, f"hold {percent} %")
    hold = float(run.params["hold"])
    max_error = float(run.params["max_error_rate"])
    max_ratio = float(run.params["max_p95_ratio"])
    step = core.jobs.start_step(step, {"change_id": change_id})
    held = float(step.detail.get("held_s", 0.0))
    insync = bool(step.detail.get("insync", not change_id))
    receipt = ChangeReceipt(
        core.tenant(tenant_id).hosted_zone,
        change_id,
        (tenant_id,),
        ChangeStatus.PENDING,
        core.now(),
        core.providers.dns.source,
    )
    last = core.now()
    breach_since: float | None = None
    criteria_key = f"{tenant_id}:criteria"
    while True:
        run.check_still_ours(tenant_id)
        if run.aborting:
            raise _roll_back_for_abort(run, tenant_id)
        now = core.now()
        if not insync:
            try:
                receipt = await core.providers.dns.change_status(receipt)
            except ProviderError as error:
                if not error.retryable:
                    raise
            insync = receipt.status is ChangeStatus.INSYNC
            if insync:
                core.jobs.note_step(step, detail={"insync": True, "insync_at": now})
            last = now
        elif run.skips:
            run.skips -= 1
            run.unhold(f"{tenant_id}:thin")
            core.jobs.finish_step(
                step,
                StepState.DONE,
                f"held {seconds(held)} at {percent} %; skipped by an operator",
                detail={"held_s": held, "skipped": True},
            )
            return held
        else:
            tenant = core.tenant(tenant_id)
            verdict = core.verdicts.get(tenant_id)
            metrics = core.metrics.get(tenant_id)
            min_requests = run.settings.triggers.min_requests
            breach = _criteria_breach(tenant, metrics, max_error, max_ratio, last, min_requests)
            counting = not run.paused
            thin = _too_little_to_judge(metrics, min_requests)
            if thin:
                # Never a silent pass: the hold clock stops until the stage can be judged (or an operator skips).
                counting = False
                run.hold(
                    f"{tenant_id}:thin",
                    f"{tenant_id}: stage {percent} %: {thin}; the hold clock is stopped (skip to go on regardless)",
                    tenant_id=tenant_id,
                )
            else:
                run.unhold(f"{tenant_id}:thin")
            # One noisy period is not a breach: the criteria must fail on every look for a minute.
            breach_since = (breach_since or now) if breach else None
            if breach and now - breach_since < CRITERIA_SUSTAINED:
                counting = False
            elif breach:
                counting = False
                breach_since = None
                resumed = await run.wait_for_human(
                    criteria_key, f"{tenant_id}: ramp paused at {percent} %: {breach}", tenant_id=tenant_id
                )
                if not resumed:
                    raise _roll_back_for_abort(run, tenant_id)
                now = core.now()
            elif verdict is not None and any(v.outcome in (Outcome.INCONCLUSIVE, Outcome.ERROR) for v in verdict.holds):
                counting = False  # no clock for the hold while the data cannot judge it
            if counting:
                held += now - last
            last = now
            core.jobs.note_step(step, detail={"held_s": held})
            if held >= hold:
                core.jobs.finish_step(
                    step, StepState.DONE, f"held {seconds(held)} at {percent} %: criteria met", detail={"held_s": held}
                )
                return held
        await run.poll()


def _too_little_to_judge(metrics: TenantMetrics | None, min_requests: int) -> str:
    oci = metrics.oci if metrics is not None else None
    if oci is None:
        return "no OCI metrics to judge the stage by"
    if oci.requests < min_requests:
        return f"{oci.requests:.0f} requests on OCI in the period, {min_requests} needed to judge the stage"
    return ""


CRITERIA_SUSTAINED = 60.0  # seconds a stage's criteria must keep failing before the ramp pauses


def _criteria_breach(
    tenant: Tenant, metrics: TenantMetrics | None, max_error: float, max_ratio: float, since: float, min_requests: int
) -> str:
    """The stage's success criteria, judged on the OCI side (the new side is what a stage tests), on
    fresh metrics with enough traffic to judge (otherwise the triggers say inconclusive and hold)."""
    oci = metrics.oci if metrics is not None else None
    if oci is None or oci.measured_at < since - 60 or oci.requests < min_requests:
        return ""
    if oci.error_rate is not None and oci.error_rate > max_error:
        return f"OCI error rate {oci.error_rate * 100:.2f} % > {max_error * 100:.2f} %"
    if oci.p95_ms is not None and tenant.baseline_p95_ms:
        ratio = oci.p95_ms / tenant.baseline_p95_ms
        if ratio > max_ratio:
            baseline = tenant.baseline_p95_ms
            return f"OCI p95 {oci.p95_ms:.0f} ms is {ratio:.2f}x the baseline {baseline:.0f} ms (> {max_ratio}x)"
    return ""
