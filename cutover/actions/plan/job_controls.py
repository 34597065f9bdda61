"""Controls on a running job: pause, resume (refused while a safety rule would hold it again), skip, step back,
abort."""

from __future__ import annotations

from collections.abc import Mapping

from cutover.actions.plan import ramp_stages
from cutover.actions.plan.operations_base import OperationsBase
from cutover.actions.plan.plans import BadRequest, Refused, ResumeRefused
from cutover.actions.plan.safety import SafetyVerdict, evaluate_safety, only_capacity, read_fleet
from cutover.actions.plan.windows import given_window
from cutover.model.job_params import BatchParams, RampParams
from cutover.model.jobs import Control, JobKind, JobState, TargetState
from cutover.model.lifecycle import Lifecycle
from cutover.state.job_records import Job


class JobControls(OperationsBase):
    """Controls on a running job."""

    def _check_war_room(self, job_id: str, control: Control) -> None:
        """Another war room's job is controlled from that war room: its engine runs it."""
        room = self.settings.war_room.room()
        if room.whole_fleet:
            return
        outside = self.session.tenants.outside(room, self.jobs.get(job_id).targets)
        if outside:
            raise Refused(
                f"{control.value} {job_id} refused: its tenants {', '.join(outside[:5])}"
                f"{' and more' if len(outside) > 5 else ''} are outside {room.describe()}; "
                "the war room whose part they are controls it"
            )

    def pause(self, job_id: str, *, reason: str) -> Job:
        return self._control(job_id, Control.PAUSE, reason)

    def resume(self, job_id: str, *, reason: str, overrides: Mapping[str, str] | None = None) -> Job:
        """Resume a paused or held job. A batch the engine would hold again at once (a safety rule still
        refuses its next group) is refused here, with the rule and its numbers; `overrides` (break-glass,
        each rule with a reason) let it through and are audited."""
        overrides = dict(overrides or {})
        self._check_overrides(overrides)
        self._check_war_room(job_id, Control.RESUME)  # before any break-glass is recorded
        job = self.jobs.get(job_id)
        verdict = self.resume_verdict(job, overrides)
        if verdict is not None and not verdict.ok and not only_capacity(verdict):
            raise ResumeRefused(job_id, verdict)
        if overrides and verdict is not None:
            self.jobs.update_params(job_id, overrides={**(job.params.get("overrides") or {}), **overrides})
            self.session.events.append_many(
                [
                    dict(
                        kind="break-glass",
                        what=f"{refusal.rule} overridden to resume {job_id}",
                        job_id=job_id,
                        why=refusal.overridden,
                        detail={"rule": refusal.rule, "message": refusal.message, "numbers": dict(refusal.numbers)},
                    )
                    for refusal in verdict.overridden
                ]
            )
        return self._control(job_id, Control.RESUME, reason)

    def resume_verdict(self, job: Job, overrides: Mapping[str, str] | None = None) -> SafetyVerdict | None:
        """What the safety rules say of a held batch's next group now (None: nothing left to admit)."""
        if job.kind != JobKind.BATCH or job.state is not JobState.HELD:
            return None
        pending = {target.tenant_id for target in self.jobs.targets(job.job_id) if target.state is TargetState.PENDING}
        asked = BatchParams.read(job.params, self.settings)
        for group in asked.groups:
            ready = [
                tenant
                for tenant in (self.session.tenants.get(tenant_id) for tenant_id in group if tenant_id in pending)
                if tenant.lifecycle is Lifecycle.READY
            ]
            if ready:
                now = self.session.clock.now()
                fleet = read_fleet(self.facts, ready, now, self.settings)
                merged = {**asked.overrides, **(overrides or {})}
                return evaluate_safety(
                    ready,
                    fleet,
                    now,
                    self.settings,
                    operator=job.operator,
                    overrides=merged,
                    batch=True,
                    window=given_window(asked.window or None, self.settings),
                )
        return None

    def skip(self, job_id: str, *, reason: str) -> Job:
        """A ramp: go to the next stage now."""
        return self._control(job_id, Control.SKIP, reason)

    def step_back(self, job_id: str, *, reason: str) -> Job:
        """A ramp: go back to the stage below (one DNS change) and wait there for a resume.

        Refused, with each tenant's reason, when no tenant of the ramp has a stage below it
        (at the first stage the way back is a rollback; at 100 % too)."""
        refusal = self.step_back_refusal(job_id)
        if refusal:
            raise Refused(refusal)
        return self._control(job_id, Control.STEP_BACK, reason)

    def step_back_moves(self, job_id: str) -> list[str]:
        """What a step back would do now, a line a tenant: "T-0068: 25 % -> 10 % on OCI"."""
        job = self.jobs.get(job_id)
        if job.kind != JobKind.RAMP:
            return []  # only a ramp has stages to step back
        stages = list(RampParams.read(job.params, self.settings).stages)
        moves = []
        for target in self.jobs.targets(job_id):
            steps = self.jobs.steps(job_id, target.tenant_id)
            if target.state is TargetState.RUNNING and not ramp_stages.step_back_refusal(
                target.tenant_id, steps, stages
            ):
                share = ramp_stages.share_now(steps)
                moves.append(f"{target.tenant_id}: {share} % -> {ramp_stages.stage_below(stages, share)} % on OCI")
        return moves

    def step_back_refusal(self, job_id: str) -> str:
        """Why this job cannot step back now ("" when a tenant of it can)."""
        job = self.jobs.get(job_id)
        if job.kind != JobKind.RAMP:
            return f"{job_id} is a {job.kind}: only a ramp has stages to step back"
        if job.is_terminal:
            return ""  # the job store's own refusal says it has ended
        stages = list(RampParams.read(job.params, self.settings).stages)
        running = [t.tenant_id for t in self.jobs.targets(job_id) if t.state is TargetState.RUNNING]
        refusals = [ramp_stages.step_back_refusal(tid, self.jobs.steps(job_id, tid), stages) for tid in running]
        if all(refusals):
            return f"{job_id} cannot step back: {'; '.join(refusals) or 'no tenant of it is ramping now'}"
        return ""

    def abort(self, job_id: str, *, reason: str) -> Job:
        """A batch: start no new group (tenants past their DNS change finish monitoring). A ramp: roll back."""
        return self._control(job_id, Control.ABORT, reason)

    def _control(self, job_id: str, control: Control, reason: str) -> Job:
        self._writable(f"{control.value} {job_id}")
        if not reason.strip():
            raise BadRequest("give a reason: it goes in the audit trail")
        self._check_war_room(job_id, control)
        job = self.jobs.request(job_id, control, operator=self.operator, why=reason)
        if self.on_submit is not None:
            self.on_submit(job)
        return job
