"""The job runner: picks up submitted jobs, resumes unfinished ones, hands operators' controls to them.

Jobs submitted in this process wake it at once; jobs submitted by other consoles
are found by polling the store every half second (wall time). A job found
running or paused when this engine took the lease was left by a dead leader: it
resumes from its last completed steps (the flows reconcile with DNS first).
"""

from __future__ import annotations

import asyncio
import logging

from cutover.actions.engine.engine_core import ENGINE_STOPS, EngineCore
from cutover.actions.engine.flows.job_run import JobRun
from cutover.actions.engine.flows.registry import load_flows
from cutover.model.jobs import JobState, kind_spec
from cutover.state.job_records import Job

log = logging.getLogger(__name__)

STORE_POLL = 0.5  # wall seconds between looks at the store for other consoles' jobs and controls

FLOWS = load_flows()  # each flow registers itself where it is written: flows/registry.py


class JobRunner:
    def __init__(self, core: EngineCore):
        self.core = core
        self.runs: dict[str, JobRun] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self._war_room_of: dict[str, bool] = {}  # job -> whether it is this war room's (its targets never change)

    def _ours(self, job_id: str) -> bool:
        if job_id not in self._war_room_of:
            self._war_room_of[job_id] = self.core.runs(job_id)
        return self._war_room_of[job_id]

    async def run(self) -> None:
        try:
            while True:
                self.tick()
                await self.core.wakeup.wait(STORE_POLL)
        finally:
            for task in self.tasks.values():
                task.cancel()
            if self.tasks:
                await asyncio.gather(*self.tasks.values(), return_exceptions=True)

    def tick(self) -> None:
        """Start what is new, pass on controls, forget what ended."""
        for job_id, task in list(self.tasks.items()):
            if task.done():
                del self.tasks[job_id]
                self.runs.pop(job_id, None)
                if not task.cancelled() and isinstance(task.exception(), ENGINE_STOPS):
                    raise task.exception()  # type: ignore[misc]
        for job in self.core.jobs.active():
            if not self._ours(job.job_id):
                continue  # another war room's job: its engine runs it
            if job.job_id in self.tasks:
                for control in self.core.jobs.take_controls(job.job_id):
                    self.runs[job.job_id].apply_control(*control)
                continue
            self._start(job)

    def _start(self, job: Job) -> None:
        claimed = self.core.jobs.claim(job.job_id, self.core.holder)
        if claimed is None:
            return
        run = JobRun(self.core, claimed)
        for control in self.core.jobs.take_controls(job.job_id):
            run.apply_control(*control)
        self.runs[job.job_id] = run
        self.tasks[job.job_id] = asyncio.create_task(self._run(run), name=f"job {job.job_id}")

    async def _run(self, run: JobRun) -> None:
        spec = kind_spec(run.kind)
        flow = FLOWS.get(spec.kind) if spec else None
        try:
            if flow is None:
                run.finish(JobState.FAILED, f"this engine does not know jobs of kind {run.kind!r}")
                return
            await flow(run)
        except ENGINE_STOPS:
            raise
        except Exception as error:
            log.exception("%s failed", run.job_id)
            self.core.alert(f"{run.job_id} stopped on an engine error: {error}", severity="critical", job_id=run.job_id)
            run.finish(JobState.FAILED, "engine error", error=f"{type(error).__name__}: {error}")
