"""One tenant's cutover: (re-hydrate) -> final sync -> verify -> gate -> DNS change ->
wait in sync -> watch traffic move until OCI carries >= 99 % -> monitoring window -> migrated.

The tenant went from ready to cutting over when its job admitted it (see the
flip and batch flows). Every step is recorded with its time; the summary a
person reads is "in sync 41 s, traffic 100 % OCI, monitoring 10 min".

Before the DNS change, any stop returns the tenant to ready (nothing changed).
After it, the tenant stays on its way: a timeout holds the job for a human while
the triggers stay armed; an abort does not undo a change (roll back for that).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from cutover.actions.engine.flows.dns_change import ChangeOutcome, Expect, change_dns, wait_in_sync
from cutover.actions.engine.flows.job_run import FlowStop, JobRun, Preempted
from cutover.actions.engine.flows.propagated import after_change
from cutover.actions.plan import dns_plan
from cutover.actions.plan.batch_schedule import HYDRATION_MARGIN
from cutover.actions.plan.gate import evaluate_gate
from cutover.actions.plan.safety import MAX_CUTTING_OVER, MAX_MONITORING, evaluate_safety, read_fleet
from cutover.actions.plan.windows import given_window
from cutover.config.units import format_duration
from cutover.model.job_params import CutoverParams
from cutover.model.jobs import StepName, StepState, TargetState
from cutover.model.lifecycle import Lifecycle
from cutover.model.routing import Routing
from cutover.model.tenant import Tenant
from cutover.providers.ports.errors import ProviderError
from cutover.providers.ports.remote_jobs import RemoteJob, RemoteJobState
from cutover.state.job_records import Step

REMOTE_JOB_TIMEOUT = 45 * 60.0  # a final sync or a hydration still running after this has failed
PROMOTION_GRACE = 60.0  # a monitoring window that ends on a blip holds quietly this long before it alerts


def _remote(detail: dict[str, Any]) -> RemoteJob:
    job = detail["remote_job"]
    return RemoteJob(
        job["tenant_id"],
        job["job_id"],
        job["kind"],
        RemoteJobState(job["state"]),
        job["started_at"],
        job["ended_at"],
        job["error"],
        job["source"],
    )


def _remote_detail(job: RemoteJob) -> dict[str, Any]:
    return {
        "remote_job": {
            "tenant_id": job.tenant_id,
            "job_id": job.job_id,
            "kind": job.kind,
            "state": job.state.value,
            "started_at": job.started_at,
            "ended_at": job.ended_at,
            "error": job.error,
            "source": job.source,
        }
    }


class BeforeDns(FlowStop):
    """Stopped before the DNS change: the tenant goes back to ready."""


class TenantCutover:
    """The pre-flight and post-change steps one tenant goes through (flip, batch and ramp share them)."""

    def __init__(self, run: JobRun, tenant_id: str):
        self.run = run
        self.asked = CutoverParams.read(run.params, run.settings)
        self.core = run.core
        self.tenant_id = tenant_id

    def step(self, name: str) -> Step:
        return self.run.step(self.tenant_id, name)

    # --- before DNS ------------------------------------------------------------------------

    async def preflight(self, before_final_sync: Callable[[], Awaitable[None]] | None = None) -> None:
        """Re-hydrate if needed, then (once `before_final_sync` returns) final sync, verify and gate.

        A batch waits between the two for the group before it to finish its monitoring:
        the re-hydration (minutes, no DNS) overlaps it; the final sync holds writes, so it
        runs only when the DNS change can follow it at once.
        """
        await self._hydrate()
        if before_final_sync is not None and self.step(StepName.FINAL_SYNC).state is StepState.PENDING:
            await before_final_sync()
        await self._remote_step(
            StepName.FINAL_SYNC, "final sync", self.core.providers.sync.start_final_sync, self.core.providers.sync.job
        )
        await self._verify()
        self._gate()

    async def _remote_step(
        self,
        name: str,
        what: str,
        start: Callable[[Tenant], Awaitable[RemoteJob]],
        poll: Callable[[RemoteJob], Awaitable[RemoteJob]],
    ) -> None:
        step = self.step(name)
        if step.state in (StepState.DONE, StepState.SKIPPED):
            return
        self._check_abort()
        self.run.check_still_ours(self.tenant_id)
        if "remote_job" in step.detail:
            job = _remote(step.detail)  # resumed: poll the job we started, never start another
        else:
            step = self.core.jobs.start_step(step)
            self.core.before_side_effect()
            try:
                job = await start(self.core.tenant(self.tenant_id))
            except ProviderError as error:
                self._fail_before_dns(step, f"{what} could not start: {error}")
            step = self.core.jobs.note_step(step, detail=_remote_detail(job), request_ids=[job.job_id])
        started = step.started_at or self.core.now()
        while job.state is RemoteJobState.RUNNING:
            if self.core.now() - started > REMOTE_JOB_TIMEOUT:
                self._fail_before_dns(step, f"{what} still running after {format_duration(self.core.now() - started)}")
            await self.run.poll()
            self.run.check_still_ours(self.tenant_id)
            try:
                job = await poll(job)
            except ProviderError as error:
                if not error.retryable:
                    self._fail_before_dns(step, f"{what}: {error}")
        if job.state is RemoteJobState.FAILED:
            self._fail_before_dns(step, f"{what} failed: {job.error}")
        took = (job.ended_at or self.core.now()) - started
        result = f"{what} done in {format_duration(took)}"
        if name == StepName.HYDRATE:
            self.core.tenants.observe(self.tenant_id, hydrated_at=job.ended_at or self.core.now())
        self.core.jobs.finish_step(step, StepState.DONE, result, detail=_remote_detail(job) | {"took_s": took})

    async def _verify(self) -> None:
        step = self.step(StepName.VERIFY)
        if step.state is StepState.DONE:
            return
        self._check_abort()
        step = self.core.jobs.start_step(step)
        try:
            proof = await self.core.providers.sync.verify(self.core.tenant(self.tenant_id))
        except ProviderError as error:
            self._fail_before_dns(step, f"verification failed: {error}")
        with self.core.fenced():
            self.core.tenants.observe(
                self.tenant_id,
                checksum_mismatches=proof.differ,
                **(
                    {"verified_at": proof.measured_at, "sync_lag_s": 0.0, "pending_objects": 0}
                    if proof.lag_zero
                    else {}
                ),
            )
        detail = {
            "objects_checked": proof.objects_checked,
            "differ": proof.differ,
            "missing_on_dst": proof.missing_on_dst,
        }
        if not proof.lag_zero:
            self._fail_before_dns(
                step,
                f"lag not 0: {proof.differ} objects differ, {proof.missing_on_dst} missing on OCI "
                f"(of {proof.objects_checked})",
                detail,
            )
        self.core.jobs.finish_step(step, StepState.DONE, f"lag 0: {proof.objects_checked} objects match", detail=detail)

    async def _hydrate(self) -> None:
        step = self.step(StepName.HYDRATE)
        if step.state in (StepState.DONE, StepState.SKIPPED):
            return
        tenant = self.core.tenant(self.tenant_id)
        limit = self.run.settings.gates.hydration_max_age
        if "remote_job" not in step.detail and tenant.hydrated_at is not None:
            age = self.core.now() - tenant.hydrated_at
            # Skip only with room to spare: the gate, after the final sync, must still find it fresh.
            if age + HYDRATION_MARGIN <= limit:
                self.core.jobs.finish_step(step, StepState.SKIPPED, f"hydrated {format_duration(age)} ago: not needed")
                return
        await self._remote_step(
            StepName.HYDRATE, "re-hydration", self.core.providers.health.start_hydration, self.core.providers.health.job
        )

    def _gate(self) -> None:
        step = self.step(StepName.GATE)
        if step.state is StepState.DONE:
            return
        self._check_abort()
        step = self.core.jobs.start_step(step)
        now = self.core.now()
        tenant = self.core.tenant(self.tenant_id)
        window = given_window(self.asked.window or None, self.run.settings)
        gate = evaluate_gate(
            tenant,
            now,
            self.run.settings,
            states=(Lifecycle.CUTTING_OVER,),
            overrides=self.run.overrides,
            window=window,
        )
        detail = {"gate": gate.to_json()}
        if not gate.passed:
            self._fail_before_dns(step, gate.describe(), detail, TargetState.REFUSED)
        # Right before DNS: the rules that time can break (rollbacks tonight, the window, approvals).
        fleet = read_fleet(self.core.facts, [tenant], now, self.run.settings)
        verdict = evaluate_safety(
            [tenant],
            fleet,
            now,
            self.run.settings,
            operator=self.run.operator,
            overrides=self.run.overrides,
            window=window,
        )
        blocking = [r for r in verdict.blocking if r.rule not in (MAX_CUTTING_OVER, MAX_MONITORING)]
        if blocking:
            message = "; ".join(f"{r.rule}: {r.message}" for r in blocking)
            self._fail_before_dns(step, message, detail, TargetState.REFUSED)
        self.core.jobs.finish_step(step, StepState.DONE, "gate passed", detail=detail)

    def _check_abort(self) -> None:
        if self.run.aborting:
            raise BeforeDns(TargetState.ABORTED, "aborted before its DNS change; nothing changed")

    def _fail_before_dns(
        self, step: Step, message: str, detail: dict[str, Any] | None = None, state: TargetState = TargetState.FAILED
    ) -> None:
        self.core.jobs.finish_step(self.core.jobs.get_step(step.step_id), StepState.FAILED, message, detail=detail)
        raise BeforeDns(state, message)

    def back_to_ready(self, why: str) -> None:
        tenant = self.core.tenant(self.tenant_id)
        if tenant.lifecycle is Lifecycle.CUTTING_OVER and self.run.holds_tenant(self.tenant_id):
            self.run.transition(self.tenant_id, Lifecycle.READY, why=why)

    # --- the change ------------------------------------------------------------------------

    async def change(self, want: Routing, expect: Expect, step_name: str, what: str) -> ChangeOutcome:
        step = self.step(step_name)
        if step.state is not StepState.DONE:
            await self.run.while_paused()
            if step.state is StepState.PENDING:
                self._check_abort()
        outcome = (
            await change_dns(self.run, {self.tenant_id: step}, {self.tenant_id: want}, {self.tenant_id: expect}, what)
        )[self.tenant_id]
        if isinstance(outcome, FlowStop):
            raise outcome
        return outcome

    # --- after DNS -------------------------------------------------------------------------

    async def in_sync(self, outcome: ChangeOutcome, step_name: str = StepName.DNS_INSYNC) -> str:
        tenant = self.core.tenant(self.tenant_id)
        return await wait_in_sync(self.run, self.step(step_name), outcome, tenant.hosted_zone, self.tenant_id)

    async def traffic(self, changed_at: float) -> str:
        """Wait until fresh metrics show OCI carrying the share the settings call done."""
        step = self.step(StepName.TRAFFIC)
        if step.state is StepState.DONE:
            return step.result
        step = self.core.jobs.start_step(step)
        started = step.started_at or self.core.now()
        done_share, timeout = self.asked.traffic_done_share, self.asked.traffic_timeout
        key = f"{self.tenant_id}:traffic"
        while True:
            self.run.check_still_ours(self.tenant_id)
            tenant = self.core.tenant(self.tenant_id)
            share = tenant.observed_oci_share
            fresh = tenant.metrics_at is not None and tenant.metrics_at > changed_at
            if fresh and share is not None and share >= done_share:
                self.run.unhold(key)
                took = self.core.now() - changed_at
                result = f"traffic {share * 100:.0f} % OCI"
                self.core.jobs.finish_step(
                    step,
                    StepState.DONE,
                    f"{result} after {format_duration(took)}",
                    detail={"oci_share": share, "after_s": took},
                )
                return result
            waited = self.core.now() - started
            if waited > timeout:
                seen = f"{share * 100:.0f} % OCI" if fresh and share is not None else "no fresh traffic figures"
                self.run.hold(
                    key,
                    f"{self.tenant_id}: {seen} after {format_duration(waited)}, waiting for {done_share * 100:.0f} %",
                    tenant_id=self.tenant_id,
                )
            await self.run.poll()

    async def monitor(self) -> str:
        """The monitoring window, then migrated: only on a clean verdict from data newer than the window."""
        step = self.step(StepName.MONITORING)
        if step.state is StepState.DONE:
            return step.result
        monitor = self.asked.monitor
        tenant = self.core.tenant(self.tenant_id)
        if tenant.lifecycle is Lifecycle.CUTTING_OVER:
            until = self.core.now() + monitor
            self.run.transition(
                self.tenant_id,
                Lifecycle.MONITORING,
                why=f"traffic on OCI; monitoring {format_duration(monitor)}",
                expect=Lifecycle.CUTTING_OVER,
                monitoring_until=until,
            )
            step = self.core.jobs.start_step(step, {"until": until})
        elif "until" not in step.detail:
            until = tenant.monitoring_until or (self.core.now() + monitor)
            step = self.core.jobs.start_step(step, {"until": until})
        until = float(step.detail["until"])
        key = f"{self.tenant_id}:monitoring"
        while True:
            self.run.check_still_ours(self.tenant_id)
            tenant = self.core.tenant(self.tenant_id)
            if tenant.lifecycle is not Lifecycle.MONITORING:
                raise FlowStop(TargetState.FAILED, f"{self.tenant_id} left monitoring: it is {tenant.lifecycle.label}")
            now = self.core.now()
            if now >= until:
                verdict = self.core.verdicts.get(self.tenant_id)
                if (
                    verdict is not None
                    and verdict.measured_at is not None
                    and verdict.measured_at >= until
                    and verdict.clean
                ):
                    self.run.unhold(key)
                    result = f"monitoring {format_duration(monitor)}"
                    self.run.transition(
                        self.tenant_id, Lifecycle.MIGRATED, why=f"{result}: clean", expect=Lifecycle.MONITORING
                    )
                    self.core.jobs.finish_step(step, StepState.DONE, result)
                    return result
                if now - until > max(PROMOTION_GRACE, self.run.settings.engine.step_poll * 3):
                    why = (
                        verdict.describe_holds()
                        if verdict is not None and verdict.holds
                        else "no fresh trigger verdict (metrics not coming in)"
                    )
                    self.run.hold(
                        key, f"{self.tenant_id}: monitoring over but not promoted: {why}", tenant_id=self.tenant_id
                    )
            await self.run.poll()


async def run_cutover(
    run: JobRun, tenant_id: str, before_final_sync: Callable[[], Awaitable[None]] | None = None
) -> tuple[TargetState, str]:
    """One admitted tenant (cutting over) through to migrated. Returns its outcome and summary.

    `before_final_sync` (a batch's "is the line clear?") is awaited after the re-hydration.
    """
    flow = TenantCutover(run, tenant_id)
    try:
        await flow.preflight(before_final_sync)
    except BeforeDns as stop:
        flow.back_to_ready(stop.message)
        return stop.state, stop.message
    tenant = run.core.tenant(tenant_id)
    ttl = run.settings.dns.ttl
    try:
        outcome = await flow.change(
            dns_plan.to_oci(tenant, ttl),
            Expect.exactly(dns_plan.to_aws(tenant, ttl)),
            StepName.DNS_CHANGE,
            "pointed at OCI",
        )
    except BeforeDns as stop:
        flow.back_to_ready(stop.message)
        return stop.state, stop.message
    except Preempted:
        raise
    except FlowStop as stop:
        # The record was not what we expected: someone changed it. Nothing was changed by us.
        tenant = run.core.tenant(tenant_id)
        if tenant.lifecycle is Lifecycle.CUTTING_OVER and run.holds_tenant(tenant_id):
            run.transition(tenant_id, Lifecycle.FAILED, why=stop.message)
        return stop.state, stop.message
    changed_at = run.step(tenant_id, StepName.DNS_CHANGE).ended_at or run.core.now()
    insync = await flow.in_sync(outcome)
    # Resolvers are asked beside the traffic shift and the monitoring, never holding them up.
    probing = asyncio.ensure_future(after_change(run, tenant_id, StepName.DNS_INSYNC, tenant.oci_target, changed_at))
    try:
        traffic = await flow.traffic(changed_at)
        monitoring = await flow.monitor()
        propagated = await probing
    finally:
        probing.cancel()
    clocks = ", ".join(part for part in (insync, propagated, traffic) if part)
    return TargetState.SUCCEEDED, f"{clocks}, {monitoring}"
