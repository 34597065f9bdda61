"""A running job, as every flow sees it: its controls and holds, its steps, its targets.

Steps are idempotent. A flow asks for its step; a step already done is skipped
(its recorded result is reused); a step found running was interrupted (crash,
kill, lost lease) and is resumed, reconciling first with what the world says.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from cutover.actions.engine.engine_core import EngineCore
from cutover.config.settings import Settings
from cutover.model.jobs import Control, JobState, TargetState
from cutover.model.lifecycle import Lifecycle
from cutover.model.routing import DnsRecord
from cutover.model.tenant import Tenant
from cutover.providers.ports.errors import ProviderError
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
