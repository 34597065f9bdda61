"""The one way the engine changes DNS: compare-and-swap, fenced, reconciled.

Before a change the step records the record it read; after a restart, a record that already is what the
step wanted means the change was made (it is not made again); a record that is still what was read means
it was not (it is made now); anything else means someone changed it by hand, and the step stops and says
what it found.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from cutover.actions.engine.flows.job_run import FlowStop, JobRun
from cutover.actions.plan.dns_plan import same_routing
from cutover.config.units import format_duration
from cutover.model.jobs import JobKind, StepState, TargetState
from cutover.model.routing import ChangeReceipt, ChangeStatus, DnsChange, Routing
from cutover.providers.ports.errors import ProviderError, RecordChanged
from cutover.state.job_records import Step

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChangeOutcome:
    tenant_id: str
    change_id: str  # "" when the change was already in place, or its id was lost in a crash
    applied_now: bool
    result: str
    already: bool = False  # the record already was what the step wanted: no change was made
    # A tenant whose names span zones: every (zone, change id) made, in order ("" ids lost in a crash).
    changes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Expect:
    """What a record may be before a change: anything else is someone else's change."""

    accepts: Callable[[Routing], bool]
    describe: str

    @classmethod
    def exactly(cls, *routings: Routing) -> Expect:
        return cls(
            lambda found: any(same_routing(found, routing) for routing in routings),
            " or ".join(routing.describe() for routing in routings),
        )


async def change_dns(
    run: JobRun,
    steps: dict[str, Step],
    wants: dict[str, Routing],
    expects: dict[str, Expect],
    describe_want: str,
    *,
    same: Callable[[Routing, Routing], bool] = same_routing,
) -> dict[str, ChangeOutcome | FlowStop]:
    """Change several tenants' records (one change set per hosted zone), compare-and-swap, reconciled.

    `steps` maps tenant -> its DNS step; `expects` says what each record may be
    before the change (anything else is someone else's change: the tenant stops).
    `same` says when a record already is what the step wants (TTL aside, unless the TTL is the change).
    Each tenant's outcome is a ChangeOutcome, or a FlowStop saying what was found.
    """
    core = run.core
    outcomes: dict[str, ChangeOutcome | FlowStop] = {}
    todo = {tid: step for tid, step in steps.items() if step.state is not StepState.DONE}
    for tid, step in steps.items():
        if step.state is StepState.DONE:
            outcomes[tid] = ChangeOutcome(
                tid,
                step.detail.get("change_id", ""),
                False,
                step.result,
                bool(step.detail.get("already")),
                tuple((str(zone), str(change_id)) for zone, change_id in step.detail.get("changes") or ()),
            )
    if not todo:
        return outcomes
    several = {tid: step for tid, step in todo.items() if core.tenant(tid).several_names}
    if several:
        from cutover.actions.engine.flows.names import change_names  # it builds on this module

        todo = {tid: step for tid, step in todo.items() if tid not in several}
        async with core.tenant_mutex(list(several)):
            for tid, step in several.items():
                run.check_still_ours(tid)
                outcomes[tid] = await change_names(run, tid, step, wants[tid], expects[tid], describe_want, same)
        if not todo:
            return outcomes
    async with core.tenant_mutex(list(todo)):
        for tid in todo:
            run.check_still_ours(tid)
        tenants = {tid: core.tenant(tid) for tid in todo}
        records = await run.read_records(list(tenants.values()))
        by_zone: dict[str, list[DnsChange]] = {}
        for tid, step in todo.items():
            tenant, record, want = tenants[tid], records.get(tid), wants[tid]
            if record is None:
                outcomes[tid] = _stopped(run, step, TargetState.FAILED, f"{tid}: {tenant.dns_name} has no DNS record")
                continue
            run.observe_record(tenant, record)
            if same(record.routing, want):
                already = step.state is not StepState.RUNNING
                if already:
                    change_id, result = "", f"{describe_want}: already in place, no change made"
                else:
                    change_id = step.detail.get("change_id", "")
                    result = f"{describe_want}: applied before the restart" + (
                        f" ({change_id})" if change_id else "; its change id was lost in the crash"
                    )
                core.jobs.finish_step(
                    step, StepState.DONE, result, detail={"found": record.describe(), "already": already}
                )
                outcomes[tid] = ChangeOutcome(tid, change_id, False, result, already)
                continue
            expect = expects[tid]
            if not expect.accepts(record.routing):
                outcomes[tid] = _stopped(
                    run,
                    step,
                    TargetState.FAILED,
                    f"{tid}: {tenant.dns_name} is {record.describe()}, not what this step expected "
                    f"({expect.describe}): someone changed it; nothing was changed",
                )
                continue
            token = fence_token(run, step)
            core.jobs.start_step(
                step,
                {
                    "expected": record.describe(),
                    "expected_version": record.version,
                    "expected_fence": record.fence,
                    "fence": token,
                    "to": want.describe(),
                },
            )
            by_zone.setdefault(record.zone, []).append(DnsChange(tid, record, want, fence=token))
        for zone, changes in sorted(by_zone.items()):
            outcomes.update(await _apply_zone(run, zone, changes, todo, describe_want, same))
    return outcomes


def fence_token(run: JobRun, step: Step) -> str:
    """What a DNS change writes in the name's fencing record: who changed it last, under which lease."""
    return f"cutover job={run.job_id} step={step.step_id} epoch={run.core.epoch}"


def _stopped(run: JobRun, step: Step, state: TargetState, message: str) -> FlowStop:
    run.core.jobs.finish_step(step, StepState.FAILED, message)
    return FlowStop(state, message)


async def _apply_zone(
    run: JobRun,
    zone: str,
    changes: list[DnsChange],
    steps: dict[str, Step],
    describe_want: str,
    same: Callable[[Routing, Routing], bool] = same_routing,
) -> dict[str, ChangeOutcome | FlowStop]:
    core = run.core
    outcomes: dict[str, ChangeOutcome | FlowStop] = {}
    pending = list(changes)
    attempts = 0
    while pending:
        attempts += 1
        await core.dns_pace()
        core.before_side_effect()  # a stalled engine stops here; one stalled past this point meets the DNS fence
        try:
            receipt = await core.providers.dns.apply(zone, pending)
        except RecordChanged as changed:
            # Nothing was applied by this request. Either an earlier attempt of ours did apply
            # it (its answer was lost), or someone else changed the record: the step stops.
            culprit = changed.tenant_id
            change = next(change for change in pending if change.tenant_id == culprit)
            pending = [other for other in pending if other.tenant_id != culprit]
            step = core.jobs.get_step(steps[culprit].step_id)
            found_record = changed.found
            if (
                found_record is not None
                and same(found_record.routing, change.to)
                and (not change.fence or found_record.fence == change.fence)
            ):
                result = f"{describe_want}: applied by an earlier attempt whose answer was lost"
                core.jobs.finish_step(step, StepState.DONE, result)
                outcomes[culprit] = ChangeOutcome(culprit, "", True, result)
                continue
            if changed.only_fence:
                message = (
                    f"{culprit}: another change was made to {change.expected.name} since this step read it "
                    f"(its fence is now {found_record.fence if found_record else 'gone'}), although the record "
                    f"is {changed.expected.describe()} again; nothing was changed"
                )
            else:
                found = found_record.describe() if found_record else "no record"
                message = (
                    f"{culprit}: the record changed since it was read: expected {changed.expected.describe()}, "
                    f"found {found}; nothing was changed"
                )
            outcomes[culprit] = _stopped(run, step, TargetState.FAILED, message)
            core.alert(message, severity="critical", source="dns", tenant_id=culprit, job_id=run.job_id)
            continue
        except ProviderError as error:
            if error.retryable and attempts < 8:
                await core.clock.sleep(min(30.0, 2.0**attempts))
                continue
            # It may or may not have been applied: the next read decides, never a blind retry.
            for change in pending:
                outcomes[change.tenant_id] = _stopped(
                    run,
                    core.jobs.get_step(steps[change.tenant_id].step_id),
                    TargetState.FAILED,
                    f"{change.tenant_id}: DNS change failed: {error}",
                )
            return outcomes
        for change in pending:
            step = core.jobs.get_step(steps[change.tenant_id].step_id)
            step = core.jobs.note_step(
                step,
                detail={"change_id": receipt.change_id, "zone": zone, "submitted_at": receipt.submitted_at},
                request_ids=[receipt.change_id],
            )
            result = f"{describe_want}: change {receipt.change_id}"
            with core.fenced():
                core.jobs.finish_step(step, StepState.DONE, result)
                # The DNS column shows the change as soon as it is made; the next DNS poll confirms it.
                tenant = core.tenant(change.tenant_id)
                core.tenants.observe(
                    change.tenant_id,
                    dns_oci_share=change.to.oci_share(tenant.aws_target, tenant.oci_target),
                    dns_routing=change.to.describe(),
                    dns_at=receipt.submitted_at,
                    **run.ttl_fields(tenant, change.to.ttl, receipt.submitted_at),
                )
            outcomes[change.tenant_id] = ChangeOutcome(change.tenant_id, receipt.change_id, True, result)
        pending = []
    return outcomes


async def wait_in_sync(run: JobRun, step: Step, change: ChangeOutcome, zone: str, tenant_id: str) -> str:
    """Poll the change's status until the DNS service reports it in sync (hold after the timeout)."""
    core = run.core
    if step.state in (StepState.DONE, StepState.SKIPPED):
        return step.result
    change_id = change.change_id
    if change.already:
        result = "no DNS change was needed"
        core.jobs.finish_step(step, StepState.SKIPPED, result)
        return result
    step = core.jobs.start_step(step, {"change_id": change_id})
    started = step.started_at or core.now()
    hold_key = f"{tenant_id}:dns_insync"
    timeout = run.settings.dns.sync_timeout
    if not change_id:
        # The change id was lost in a crash between the change and its record: wait one TTL.
        await run.wait(run.settings.dns.ttl)
        result = f"change id lost in a crash: waited one TTL ({run.settings.dns.ttl} s) instead of its status"
        core.jobs.finish_step(step, StepState.DONE, result)
        return result
    # One change a zone (a tenant whose names span zones made several): in sync when every one of them is.
    zones = list(change.changes) if len(change.changes) > 1 else [(zone, change_id)]
    source = core.providers.dns.source
    pending = [ChangeReceipt(z, cid, (tenant_id,), ChangeStatus.PENDING, started, source) for z, cid in zones if cid]
    while True:
        if run.kind != JobKind.ROLLBACK:
            run.check_still_ours(tenant_id)
        still: list[ChangeReceipt] = []
        for receipt in pending:
            try:
                receipt = await core.providers.dns.change_status(receipt)
            except ProviderError as error:
                # The change is made; only its status is unknown. Say so and keep asking: never give up on it.
                if not error.retryable:
                    run.hold(
                        hold_key,
                        f"{tenant_id}: cannot read the status of DNS change {receipt.change_id}: {error}",
                        tenant_id=tenant_id,
                    )
            if receipt.status is not ChangeStatus.INSYNC:
                still.append(receipt)
        pending = still
        if not pending:
            run.unhold(hold_key)
            took = core.now() - started
            several = f" ({len(zones)} zones)" if len(zones) > 1 else ""
            result = f"in sync {format_duration(took)}{several}"
            core.jobs.finish_step(step, StepState.DONE, result, detail={"insync_after_s": took})
            return result
        if core.now() - started > timeout:
            waiting = ", ".join(f"{r.change_id} ({r.zone})" if len(zones) > 1 else r.change_id for r in pending)
            run.hold(
                hold_key,
                f"{tenant_id}: DNS change {waiting} still PENDING after {format_duration(core.now() - started)}",
                tenant_id=tenant_id,
            )
        await run.poll()
