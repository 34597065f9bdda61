"""What every flow shares: a running job's controls and holds, its steps, and the one
way the engine changes DNS.

Steps are idempotent. A flow asks for its step; a step already done is skipped
(its recorded result is reused); a step found running was interrupted (crash,
kill, lost lease) and is resumed, reconciling first with what the world says.

DNS changes are compare-and-swap and reconciled: before a change the step
records the record it read; after a restart, a record that already is what the
step wanted means the change was made (it is not made again); a record that is
still what was read means it was not (it is made now); anything else means
someone changed it by hand, and the step stops and says what it found.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from cutover.actions.engine.engine_core import EngineCore
from cutover.actions.plan.dns_plan import same_routing
from cutover.config.settings import Settings
from cutover.config.units import format_duration
from cutover.model.jobs import Control, JobKind, JobState, StepState, TargetState
from cutover.model.lifecycle import Lifecycle
from cutover.model.routing import ChangeReceipt, ChangeStatus, DnsChange, DnsRecord, Routing
from cutover.model.tenant import Tenant
from cutover.providers.ports.errors import ProviderError, RecordChanged
from cutover.state.job_records import Job, Step
from cutover.state.ttl_history import ttl_observation

log = logging.getLogger(__name__)


class FlowStop(Exception):
    """A tenant's flow ends early; `state` and the message are its outcome."""

    def __init__(self, state: TargetState, message: str):
        super().__init__(message)
        self.state = state
        self.message = message


class Preempted(FlowStop):
    def __init__(self, message: str):
        super().__init__(TargetState.PREEMPTED, message)


@dataclass
class _Hold:
    reason: str
    human: bool  # waits for an operator's resume; otherwise clears itself when the condition does


class JobRun:
    """One job being run by the leading engine: its controls, holds and steps."""

    def __init__(self, core: EngineCore, job: Job):
        self.core = core
        self.job_id = job.job_id
        self.kind = job.kind
        self.operator = job.operator
        self.params = dict(job.params)
        self.paused = job.paused
        self.paused_by = job.paused_by or (job.control_by if job.state is JobState.PAUSED else "")
        # The hold the store shows from the last engine: a resume given before this one re-raises it
        # acknowledges it (the operator saw that reason), so the resume is never lost.
        self._held_before = job.held_reason if job.state is JobState.HELD else ""
        self.aborting = False
        self.skips = 0  # a ramp's "skip to the next stage" requests not yet used
        # A ramp's step backs not yet carried out, tenant -> who asked; kept with the job, so an engine
        # that takes over carries them out too.
        self.step_backs: dict[str, str] = dict(job.params.get("step_backs") or {})
        self._holds: dict[str, _Hold] = {}
        self._written_state = job.state
        self._changed = asyncio.Event()
        self._resumes = 0

    @property
    def job(self) -> Job:
        return self.core.jobs.get(self.job_id)

    @property
    def settings(self) -> Settings:
        return self.core.settings

    @property
    def overrides(self) -> dict[str, str]:
        return dict(self.params.get("overrides") or {})

    # --- controls -----------------------------------------------------------------------

    def apply_control(self, control: Control, by: str) -> None:
        detail: dict[str, Any] = {"control": control.value, "by": by}
        if control is Control.PAUSE:
            self.paused, self.paused_by = True, by
        elif control is Control.RESUME:
            detail["acknowledged"] = self._acknowledge()
            self.paused, self.paused_by = False, ""
            self._resumes += 1
            self._holds.clear()
            # A resume may come with break-glass overrides (Operations.resume wrote them to the job).
            self.params["overrides"] = dict(self.job.params.get("overrides") or {})
        elif control is Control.SKIP:
            self.skips += 1
        elif control is Control.STEP_BACK:
            running = [t.tenant_id for t in self.core.jobs.targets(self.job_id) if t.state is TargetState.RUNNING]
            self.step_backs.update(dict.fromkeys(running, by))
            self.core.jobs.update_params(self.job_id, step_backs=self.step_backs)
        elif control is Control.ABORT:
            self.aborting = True
        self.core.events.append(
            "job.control.applied",
            f"{self.job_id}: {control.value} ({by})"
            + (f": acknowledges {'; '.join(detail['acknowledged'])}" if detail.get("acknowledged") else ""),
            job_id=self.job_id,
            detail=detail,
        )
        self.sync_state()
        self._poke()

    def _acknowledge(self) -> list[str]:
        """What a resume acknowledges: the holds waiting for a human now, or, when this engine has not
        raised them yet (it took over, or no engine led when the resume was given), the hold the store
        showed; that one is kept with the job so the flow, reaching it again, goes on."""
        live = [hold.reason for hold in self._holds.values() if hold.human]
        if live or not self._held_before:
            return live
        pending = [*self.params.get("resume_acks", []), self._held_before]
        self._held_before = ""
        self.params["resume_acks"] = pending
        self.core.jobs.update_params(self.job_id, resume_acks=pending)
        return [pending[-1]]

    def _acknowledged(self, reason: str) -> bool:
        """A resume given before this hold was raised again acknowledged it: use that resume up."""
        pending = list(self.params.get("resume_acks", []))
        for index, acknowledged in enumerate(pending):
            if reason in acknowledged:
                del pending[index]
                self.params["resume_acks"] = pending
                self.core.jobs.update_params(self.job_id, resume_acks=pending)
                return True
        return False

    def _poke(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait(self, seconds_: float) -> None:
        """Sleep on the fleet's clock, waking early on an operator's control."""
        changed = self._changed
        sleeper = asyncio.ensure_future(self.core.clock.sleep(seconds_))
        poked = asyncio.ensure_future(changed.wait())
        try:
            await asyncio.wait({sleeper, poked}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, poked):
                task.cancel()

    async def poll(self) -> None:
        await self.wait(self.settings.engine.step_poll)

    async def while_paused(self) -> None:
        """Return once the job is not paused: no new step that changes DNS starts while it is."""
        while self.paused and not self.aborting:
            await self.poll()

    # --- holds -----------------------------------------------------------------------------

    def hold(self, key: str, reason: str, *, human: bool = False, tenant_id: str | None = None) -> None:
        if key in self._holds and self._holds[key].reason == reason:
            return
        fresh = key not in self._holds
        self._holds[key] = _Hold(reason, human)
        if fresh:
            self.core.alert(
                f"{self.job_id} held: {reason}",
                severity="critical" if human else "warning",  # a stopped line waits for a person: it pages
                source="engine",
                tenant_id=tenant_id,
                job_id=self.job_id,
                hold=key,
            )
        self.sync_state()

    def unhold(self, key: str) -> None:
        if self._holds.pop(key, None) is not None:
            self.sync_state()

    def take_step_back(self, tenant_id: str) -> str:
        """Who asked this tenant's ramp to step back ("" if nobody), the request used up."""
        by = self.step_backs.pop(tenant_id, "")
        if by:
            self.core.jobs.update_params(self.job_id, step_backs=self.step_backs)
        return by

    def held(self, key: str) -> bool:
        return key in self._holds

    async def wait_for_human(
        self, key: str, reason: str, *, tenant_id: str | None = None, or_until: Callable[[], bool] | None = None
    ) -> bool:
        """Stop the line until an operator resumes (True) or aborts (False), or `or_until()` (True)."""
        if self._acknowledged(reason):
            return not self.aborting
        self._held_before = ""  # raised again here: a resume from now on acknowledges the live hold
        resumes = self._resumes
        self.hold(key, reason, human=True, tenant_id=tenant_id)
        while self._resumes == resumes and not self.aborting and not (or_until and or_until()):
            await self.poll()
        self.unhold(key)
        return not self.aborting

    def sync_state(self) -> None:
        """Write the job's state when pause or holds changed it."""
        if self._written_state in (JobState.SUCCEEDED, JobState.FAILED, JobState.ABORTED, JobState.REFUSED):
            return
        # A pause never hides a hold: a held job that is paused too stays held, its reason in view.
        if self._holds:
            want, reason = JobState.HELD, "; ".join(hold.reason for hold in self._holds.values())
        elif self.paused:
            want, reason = JobState.PAUSED, f"paused by {self.paused_by or 'an operator'}"
        else:
            want, reason = JobState.RUNNING, ""
        paused_by = self.paused_by if self.paused else ""
        current = self.job
        if want is current.state and reason == current.held_reason and paused_by == current.paused_by:
            self._written_state = want
            return
        self.core.jobs.set_state(
            self.job_id, want, held_reason=reason, paused_by=paused_by, why=reason or "running again"
        )
        self._written_state = want

    def finish(self, state: JobState, result: str, error: str = "") -> None:
        self.core.jobs.set_state(self.job_id, state, result=result, error=error, why=result)
        self._written_state = state

    # --- targets and steps ------------------------------------------------------------------

    def holds_tenant(self, tenant_id: str) -> bool:
        return self.core.jobs.holds(self.job_id, tenant_id)

    def check_still_ours(self, tenant_id: str) -> None:
        if not self.holds_tenant(tenant_id):
            target = self.core.jobs.target(self.job_id, tenant_id)
            raise Preempted(target.summary or f"{tenant_id} was taken over by another job")

    def step(self, tenant_id: str | None, name: str) -> Step:
        return self.core.jobs.step(self.job_id, tenant_id, name)

    def target_state(self, tenant_id: str) -> TargetState:
        return self.core.jobs.target(self.job_id, tenant_id).state

    def end_target(
        self, tenant_id: str, state: TargetState, summary: str, detail: dict[str, Any] | None = None
    ) -> None:
        self.core.jobs.update_target(self.job_id, tenant_id, state, summary=summary, detail=detail, release=True)
        for key in [key for key in self._holds if key.startswith(f"{tenant_id}:")]:
            self._holds.pop(key)
        self.sync_state()

    def transition(
        self, tenant_id: str, to: Lifecycle, *, why: str, expect: Lifecycle | None = None, **observed: Any
    ) -> Tenant:
        """Move a tenant (fenced), with any observation that goes with it, in one transaction."""
        with self.core.fenced():
            self.core.tenants.transition(tenant_id, to, why=why, job_id=self.job_id, expect=expect)
            if observed:
                self.core.tenants.observe(tenant_id, **observed)
        return self.core.tenants.get(tenant_id)

    # --- DNS --------------------------------------------------------------------------------

    async def read_records(self, tenants: Sequence[Tenant]) -> dict[str, DnsRecord]:
        records: dict[str, DnsRecord] = await self._retrying(
            lambda: self.core.providers.dns.read_routing(list(tenants))
        )
        return records

    async def _retrying(self, call: Callable[[], Awaitable[Any]]) -> Any:
        """Retry a read the provider says may succeed next time, backing off on the fleet's clock."""
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(lambda exc: isinstance(exc, ProviderError) and exc.retryable),
            wait=wait_exponential(multiplier=1, min=1, max=30),
            stop=stop_after_attempt(8),
            sleep=self.core.clock.sleep,
            reraise=True,
        ):
            with attempt:
                return await call()
        raise AssertionError("unreachable")

    def observe_record(self, tenant: Tenant, record: DnsRecord) -> None:
        self.core.tenants.observe(
            tenant.tenant_id,
            dns_oci_share=record.routing.oci_share(tenant.aws_target, tenant.oci_target),
            dns_routing=record.describe(),
            dns_at=record.measured_at,
            **self.ttl_fields(tenant, record.routing.ttl, record.measured_at),
        )

    def ttl_fields(self, tenant: Tenant, ttl: int, at: float) -> dict[str, Any]:
        return ttl_observation(tenant, ttl, at, assume_previous=self.settings.dns.assume_previous_ttl)


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
