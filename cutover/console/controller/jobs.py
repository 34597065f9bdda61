"""A job's controls: p on the fleet (the newest batch paused or resumed), the jobs screen's p, x, k and
step back on the job under its cursor, and the palette's "Pause job…" (the newest job each applies to),
each through the same confirmation, reason and refusals as the CLI's `cutover pause|resume|abort|skip`."""

from __future__ import annotations

import asyncio

from textual import work

from cutover.config.text import visible_lines
from cutover.console.controller.base import Acting
from cutover.console.controller.planning import PAUSE_REASON
from cutover.console.controller.targets import TargetSet
from cutover.model.jobs import ACTIVE, Control, JobKind, JobState
from cutover.model.lifecycle import DomainError
from cutover.state.job_records import Job

# The palette's job controls: which of the night's jobs each one acts on when none is chosen (the newest).
JOB_VERBS = {
    "pause": "Pause job…",
    "resume": "Resume job…",
    "abort": "Abort job…",
    "skip": "Skip ramp stage…",
    "step_back": "Step ramp back a stage…",
}


def _matches(job: Job, verb: str) -> bool:
    stopped = job.state is JobState.HELD or job.paused or job.control == Control.PAUSE.value
    if verb == "pause":
        return not stopped
    if verb == "resume":
        return stopped
    if verb == "skip":
        return job.kind == JobKind.RAMP and job.state is JobState.RUNNING and not stopped
    if verb == "step_back":
        return job.kind == JobKind.RAMP  # held at a breach is when it is wanted most
    return True  # abort: any job that has not ended


class JobControls(Acting):
    """Mixed into CutoverApp (see controller.py): pause, resume, abort, skip and step back a job."""

    def start_pause_or_resume(self) -> None:
        """p: as start_action, for the batch's pause or resume dialog."""
        self.typeahead.hold("the pause dialog", self.pause_or_resume_batch())

    @work(group="act", exclusive=True, exit_on_error=False)
    async def pause_or_resume_batch(self) -> None:
        """p on the fleet: the newest active batch, paused or resumed."""
        if self._refuse_if_read_only("pausing the batch"):
            return
        jobs = await asyncio.to_thread(self.operations.jobs.find, ACTIVE, JobKind.BATCH)
        if not jobs:
            self.notify("no batch is running", severity="warning")
            return
        job = jobs[0]
        await self._control_job(job, "resume" if _stopped(job) else "pause")

    def start_job_control(self, job_id: str, verb: str) -> None:
        """The jobs screen's p, x and k on the job under its cursor: keys typed after wait for the dialog."""
        self.typeahead.hold(f"the {verb} dialog", self.control_job(job_id, verb))

    @work(group="act", exclusive=True, exit_on_error=False)
    async def control_job(self, job_id: str, verb: str) -> None:
        if self._refuse_if_read_only(f"{verb} of {job_id}"):
            return
        job = await asyncio.to_thread(self.operations.jobs.get, job_id)
        if verb == "pause" and _stopped(job):
            verb = "resume"  # p on a paused or held job resumes it, as on the fleet
        await self._control_job(job, verb)

    async def _control_job(self, job: Job, verb: str) -> None:
        """Pause, resume, abort or skip one job, through the same confirmation, reason and refusals as the CLI."""
        from cutover.console.screens.confirm import ConfirmOne

        if job.is_terminal:
            self.notify(f"{job.job_id} has ended ({job.state.value}): nothing to {verb}", severity="warning")
            return
        if verb == "skip" and job.kind != JobKind.RAMP:
            self.notify(f"{job.job_id} is a {job.kind}: only a ramp has stages to skip", severity="warning")
            return
        overrides: dict[str, str] = {}
        reason: str | None = ""
        if verb == "resume":
            detail = (
                f"{job.job_id}: {len(job.targets)} tenants. Once resumed, the next group starts when it is due "
                "and the group before it has ended its monitoring; DNS changes go on."
            )
            if job.state is JobState.HELD:
                verdict = await asyncio.to_thread(self.operations.resume_verdict, job)
                from cutover.actions.plan.safety import only_capacity  # not before the first paint

                if verdict is not None and not verdict.ok and not only_capacity(verdict):
                    # The engine would hold it again at once: only break-glass goes on past these rules.
                    from cutover.console.screens.break_glass import BreakGlass

                    why = await self.push_screen_wait(BreakGlass(f"resume {job.job_id}", verdict.blocking)) or ""
                    if not why.strip():
                        self.notify("resume: cancelled, nothing done (the safety rules still refuse)", timeout=3)
                        return
                    overrides = {refusal.rule: why for refusal in verdict.blocking}
                detail = f"It stopped the line: {job.held_reason}. Resuming acknowledges that and goes on."
                if overrides:
                    detail += f" Overridden: {', '.join(overrides)} ({next(iter(overrides.values()))})."
        elif verb == "pause":
            detail = "No new DNS change starts; what is under way finishes. p again resumes."
            reason = PAUSE_REASON
        elif verb == "abort":
            detail = (
                "A batch starts no new group (tenants past their DNS change finish their monitoring); "
                "a ramp rolls back to AWS."
            )
        elif verb == "step_back":
            refusal = await asyncio.to_thread(self.operations.step_back_refusal, job.job_id)
            if refusal:
                self.notify(visible_lines(refusal), title="Cannot step back", severity="warning", markup=False)
                return
            moves = await asyncio.to_thread(self.operations.step_back_moves, job.job_id)
            detail = (
                f"{'; '.join(moves)}. The ramp goes back to the stage below (one DNS change, made even while "
                "paused) and waits there, paused: resume to ramp up again, abort to roll back."
            )
        else:
            detail = "A ramp ends the current stage's hold and goes to the next stage now."
        word = verb.replace("_", " ")
        dialog = ConfirmOne(TargetSet(word, (job.job_id,), detail=detail), reason=reason)
        if not await self.push_screen_wait(dialog):
            self.notify(f"{word}: cancelled, nothing done", timeout=3)
            return
        try:
            if verb == "resume":
                await asyncio.to_thread(self.operations.resume, job.job_id, reason=dialog.reason, overrides=overrides)
            else:
                await asyncio.to_thread(getattr(self.operations, verb), job.job_id, reason=dialog.reason)
        except DomainError as exc:
            self.notify(visible_lines(str(exc)), severity="error", markup=False)
            return
        done = {
            "resume": "resumed",
            "pause": "paused: no new DNS change starts",
            "abort": "abort requested",
            "skip": "skip requested: the next stage starts now",
            "step_back": "step back requested: down a stage, then paused there",
        }[verb]
        self.notify(f"{job.job_id} {done}", title=job.kind.capitalize())
        await self.refresh_now()

    # --- a job's controls from the palette -------------------------------------------------------

    @work(group="act", exclusive=True, exit_on_error=False)
    async def palette_job_control(self, verb: str) -> None:
        """Pause, resume, abort or skip the newest job it applies to (the dialog names it); none: the jobs screen."""
        if self._refuse_if_read_only(verb):
            return
        jobs = await asyncio.to_thread(self.operations.jobs.find, ACTIVE)
        job = next((job for job in jobs if _matches(job, verb)), None)
        if job is None:
            what = {"skip": "running ramp whose stage to skip", "step_back": "ramp to step back"}.get(
                verb, f"job to {verb}"
            )
            self.notify(f"no {what}: the jobs screen lists the night's jobs", severity="warning")
            self.open_jobs_view()
            return
        await self._control_job(job, verb)


def _stopped(job: Job) -> bool:
    """Paused or held (or a pause asked for): p resumes it."""
    return job.state is JobState.HELD or job.paused or job.control == Control.PAUSE.value
