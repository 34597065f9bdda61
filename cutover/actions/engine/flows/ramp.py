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

from cutover.actions.engine.flows.cutover import BeforeDns, TenantCutover
from cutover.actions.engine.flows.dns_change import ChangeOutcome, Expect, change_dns
from cutover.actions.engine.flows.job_run import FlowStop, JobRun, Preempted
from cutover.actions.engine.flows.jobs import run_each_tenant
from cutover.actions.engine.flows.registry import runs
from cutover.actions.plan import dns_plan, ramp_stages
from cutover.actions.plan.ramp_stages import StageStep
from cutover.actions.plan.triggers import Outcome
from cutover.config.units import format_duration
from cutover.model.job_params import RampParams, RollbackParams
from cutover.model.jobs import JobKind, StepState, TargetState, rollback_steps
from cutover.model.routing import ChangeReceipt, ChangeStatus, Routing
from cutover.model.tenant import Tenant
from cutover.providers.ports.errors import ProviderError
from cutover.providers.ports.metrics import TenantMetrics
from cutover.state.job_records import LockConflict, NewTarget, Step


@runs(JobKind.RAMP)
async def run_ramp(run: JobRun) -> None:
    await run_each_tenant(run, ramp_tenant)


def _roll_back_for_abort(run: JobRun, tenant_id: str) -> Preempted:
    """A ramp's abort is a rollback: a rollback job takes the tenant over."""
    core = run.core
    by = run.job.control_by or run.operator
    try:
        job, _ = core.jobs.submit(
            JobKind.ROLLBACK,
            [NewTarget(tenant_id, rollback_steps(core.settings.rollback.reverse_sync))],
            reason=f"{run.job_id} aborted",
            params=RollbackParams(core.now(), aborted=run.job_id).to_json(),
            idempotency_key=f"abort:{run.job_id}:{tenant_id}",
            operator=by,
        )
    except LockConflict as held:
        return Preempted(f"aborted; {held}")
    core.wakeup.set()
    return Preempted(f"aborted: rolled back by {job.job_id}")


class _StepBack(Exception):
    def __init__(self, by: str, held: float):
        self.by = by
        self.held = held


async def ramp_tenant(run: JobRun, tenant_id: str) -> tuple[TargetState, str]:
    """The tenant's stage steps in the order the store has them (a step back inserts more)."""
    core = run.core
    flow = TenantCutover(run, tenant_id)
    try:
        await flow.preflight()
    except BeforeDns as stop:
        flow.back_to_ready(stop.message)
        return stop.state, stop.message
    stages = list(RampParams.read(run.params, run.settings).stages)
    ttl = run.settings.dns.ttl
    tenant = core.tenant(tenant_id)
    share = 0  # percent on OCI, as the steps done so far left it
    change_id = ""
    held_total = 0.0
    position = -1
    while (found := _next_stage_step(run, tenant_id, position)) is not None:
        step, stage = found
        position = step.position
        if stage.changes_dns:
            if step.state is StepState.DONE:
                change_id = step.detail.get("change_id", "")
            else:
                want = dns_plan.ramp_stage(tenant, stage.percent, ttl)
                previous = dns_plan.ramp_stage(tenant, share, ttl) if share else dns_plan.to_aws(tenant, ttl)
                try:
                    if stage.act == "back":  # a move towards safety: made even while the job is paused
                        outcome = await _change_down(run, tenant_id, step, want, previous, stage.percent)
                    else:
                        if run.aborting:
                            if share == 0:
                                flow.back_to_ready("ramp aborted before its first DNS change")
                                return TargetState.ABORTED, "aborted before its first DNS change; nothing changed"
                            raise _roll_back_for_abort(run, tenant_id)
                        what = f"{stage.percent} % to OCI"
                        outcome = await flow.change(want, Expect.exactly(previous), step.name, what)
                except BeforeDns as stop:
                    if share == 0:
                        flow.back_to_ready(stop.message)
                        return stop.state, stop.message
                    raise _roll_back_for_abort(run, tenant_id) from None
                except Preempted:
                    raise
                except FlowStop as stop:
                    return stop.state, stop.message
                change_id = outcome.change_id
                core.tenants.observe(
                    tenant_id, dns_oci_share=stage.percent / 100, dns_routing=want.describe(), dns_at=core.now()
                )
            share = stage.percent
        elif step.state is not StepState.DONE:
            try:
                held_total += await _hold(run, tenant_id, step, stage.percent, change_id, stages)
            except _StepBack as back:
                _plan_step_back(run, tenant_id, step, stages, back)
    refused = run.take_step_back(tenant_id)
    if refused:
        core.alert(
            f"{tenant_id}: the step back {refused} asked for came after the ramp reached 100 %: "
            "nothing stepped back; the way back now is a rollback (r)",
            severity="warning",
            source="engine",
            tenant_id=tenant_id,
            job_id=run.job_id,
        )
    monitoring = await flow.monitor()
    return (
        TargetState.SUCCEEDED,
        f"ramped {'/'.join(str(p) for p in stages)} % over {format_duration(held_total)}, {monitoring}",
    )


def _next_stage_step(run: JobRun, tenant_id: str, after: int) -> tuple[Step, StageStep] | None:
    for step in run.core.jobs.steps(run.job_id, tenant_id):
        stage = ramp_stages.parse(step.name)
        if stage is not None and step.position > after:
            return step, stage
    return None


async def _change_down(
    run: JobRun, tenant_id: str, step: Step, want: Routing, previous: Routing, percent: int
) -> ChangeOutcome:
    outcome = (
        await change_dns(
            run, {tenant_id: step}, {tenant_id: want}, {tenant_id: Expect.exactly(previous)}, f"back to {percent} %"
        )
    )[tenant_id]
    if isinstance(outcome, FlowStop):
        raise outcome
    return outcome


def _plan_step_back(run: JobRun, tenant_id: str, step: Step, stages: list[int], back: _StepBack) -> None:
    core = run.core
    steps = core.jobs.steps(run.job_id, tenant_id)
    share = ramp_stages.share_now(steps)
    plan = ramp_stages.step_back_plan(steps, stages, back.by)
    below = ramp_stages.parse(plan[0][0])
    core.jobs.finish_step_inserting(
        step,
        f"held {format_duration(back.held)} at {share} %; "
        f"stepped back to {below.percent if below else '?'} % by {back.by}",
        plan,
        detail={"held_s": back.held, "stepped_back": True, "by": back.by},
    )
    core.events.append(
        "ramp.step_back",
        f"{tenant_id}: stepping back from {share} % to {below.percent if below else '?'} % ({back.by}); "
        "the ramp waits there for a resume",
        tenant_id=tenant_id,
        job_id=run.job_id,
        detail={"from": share, "to": below.percent if below else None, "by": back.by},
    )


async def _hold(run: JobRun, tenant_id: str, step: Step, percent: int, change_id: str, stages: list[int]) -> float:
    """Hold a stage: wait for the change to be in sync, then `hold` seconds of clean criteria."""
    core = run.core
    asked = RampParams.read(run.params, run.settings)
    hold, max_error, max_ratio = asked.hold, asked.max_error_rate, asked.max_p95_ratio
    step = core.jobs.start_step(step, {"change_id": change_id})
    if step.detail.get("pause_for") and not step.detail.get("paused_at"):
        # A step back waits at the stage below for a person to say go on (resume) or skip.
        run.paused, run.paused_by = True, str(step.detail["pause_for"])
        run.sync_state()
        step = core.jobs.note_step(step, detail={"paused_at": core.now()})
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
        if tenant_id in run.step_backs:
            by = run.take_step_back(tenant_id)
            if ramp_stages.stage_below(stages, percent) is not None:
                run.unhold(f"{tenant_id}:thin")
                raise _StepBack(by, held)
            core.alert(
                f"{tenant_id}: the step back {by} asked for came at the first stage ({percent} %): "
                "nothing stepped back; below it is AWS alone, a rollback (r)",
                severity="warning",
                source="engine",
                tenant_id=tenant_id,
                job_id=run.job_id,
            )
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
                f"held {format_duration(held)} at {percent} %; skipped by an operator",
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
            if breach_since is not None and now - breach_since < CRITERIA_SUSTAINED:
                counting = False
            elif breach:
                counting = False
                breach_since = None
                resumed = await run.wait_for_human(
                    criteria_key,
                    f"{tenant_id}: ramp paused at {percent} %: {breach}",
                    tenant_id=tenant_id,
                    or_until=lambda: tenant_id in run.step_backs,
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
                    step,
                    StepState.DONE,
                    f"held {format_duration(held)} at {percent} %: criteria met",
                    detail={"held_s": held},
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
