"""Lowering tenants' DNS TTL ahead of the night, as a job the engine runs (`cutover dns lower-ttl`).

The runbook's first preparation step: each tenant's record keeps its AWS target and
gets the low TTL (`dns.ttl`), one compare-and-swap change set per hosted zone (the
fencing record moves with it), then waits for the DNS service to report it in sync.
From that moment resolvers can still hold the old answer for the old TTL; the step
records when that has passed, which is when the gate's `dns` check lets the tenant
through. A record that is not the tenant's simple AWS record stops that tenant, saying
what it found; nothing is changed for it.
"""

from __future__ import annotations

import asyncio
from functools import partial

from cutover.actions.engine.flows.dns_change import ChangeOutcome, Expect, change_dns, wait_in_sync
from cutover.actions.engine.flows.job_run import FlowStop, JobRun
from cutover.actions.engine.flows.jobs import OUTCOME_WORDS, finish, tenant_task
from cutover.actions.engine.flows.registry import runs
from cutover.actions.plan.dns_plan import same_routing
from cutover.config.units import format_clock, format_duration
from cutover.model.jobs import JobKind, StepName, StepState, TargetState
from cutover.model.routing import Routing

LOWERED_WORDS = {**OUTCOME_WORDS, TargetState.SUCCEEDED: "TTL lowered"}


def same_routing_and_ttl(a: Routing, b: Routing) -> bool:
    return same_routing(a, b) and a.ttl == b.ttl


@runs(JobKind.LOWER_TTL)
async def run_lower_ttl(run: JobRun) -> None:
    core = run.core
    for target in core.jobs.targets(run.job_id):
        if target.state is TargetState.PENDING:
            core.jobs.update_target(run.job_id, target.tenant_id, TargetState.RUNNING)
    running = [t.tenant_id for t in core.jobs.targets(run.job_id) if t.state is TargetState.RUNNING]
    ttl = run.settings.dns.ttl
    tenants = {tid: core.tenant(tid) for tid in running}
    wants = {tid: Routing.simple(t.aws_target, ttl) for tid, t in tenants.items()}
    expects = {
        tid: Expect(partial(_points_at, t.aws_target), f"{t.aws_target} (simple, any TTL)")
        for tid, t in tenants.items()
    }
    steps = {tid: run.step(tid, StepName.LOWER_TTL) for tid in running}
    outcomes = await change_dns(run, steps, wants, expects, f"TTL {ttl} s", same=same_routing_and_ttl)
    await asyncio.gather(*(tenant_task(run, tid, _settle(run, tid, outcomes[tid])) for tid in running))
    finish(run, LOWERED_WORDS)


async def _settle(run: JobRun, tenant_id: str, outcome: ChangeOutcome | FlowStop) -> tuple[TargetState, str]:
    """Wait for the change to be in sync, then record from when the low TTL is safe."""
    if isinstance(outcome, FlowStop):
        return outcome.state, outcome.message
    core = run.core
    tenant = core.tenant(tenant_id)
    insync = await wait_in_sync(run, run.step(tenant_id, StepName.DNS_INSYNC), outcome, tenant.hosted_zone, tenant_id)
    tenant = core.tenant(tenant_id)
    if outcome.already:
        # Nothing changed: the store's history (or the assumed TTL before its first read) says when.
        safe_at = tenant.dns_ttl_safe_at
    else:
        before = tenant.dns_ttl_before if tenant.dns_ttl_before is not None else run.settings.dns.assume_previous_ttl
        in_sync_at = run.step(tenant_id, StepName.DNS_INSYNC).ended_at or core.now()
        safe_at = max(in_sync_at + before, tenant.dns_ttl_safe_at or 0.0)
        with core.fenced():
            core.tenants.observe(tenant_id, dns_ttl_since=in_sync_at, dns_ttl_safe_at=safe_at)
    now = core.now()
    zone = run.settings.safety.window.zone
    when = (
        "safe now"
        if safe_at is None or safe_at <= now
        else f"safe from {format_clock(safe_at, zone)} (in {format_duration(safe_at - now)})"
    )
    first = run.step(tenant_id, StepName.LOWER_TTL).result
    summary = f"{first}; {insync}; {when}"
    step = run.step(tenant_id, StepName.DNS_INSYNC)
    if step.state is StepState.DONE:
        core.jobs.note_step(step, detail={"safe_at": safe_at})
    return TargetState.SUCCEEDED, summary


def _points_at(target: str, found: Routing) -> bool:
    return found.target == target
