"""`J`: every job of the night (running, paused, held, done) and the steps of the one under the cursor;
p pauses or resumes it, x aborts it, k skips a ramp's stage, b steps a ramp back a stage: each through the
same confirmation, reason and refusals as `cutover pause|resume|abort|skip|step-back`.

The store is read once a second in a worker thread; the screen only renders what it was given.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import tzinfo
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from cutover.actions.plan.read_model import JobView
from cutover.config.units import format_clock, format_duration
from cutover.console.controls import controls
from cutover.console.plain import plain
from cutover.console.store_poll import poll_store
from cutover.model.jobs import JobState, StepState
from cutover.state.job_records import Job

JOB_STATE_STYLE = {
    JobState.QUEUED: "dim",
    JobState.RUNNING: "bold bright_magenta",
    JobState.PAUSED: "bold yellow",
    JobState.HELD: "bold bright_red reverse",
    JobState.SUCCEEDED: "green",
    JobState.FAILED: "bold bright_red",
    JobState.ABORTED: "yellow",
    JobState.REFUSED: "bright_red",
}
STEP_MARK = {
    StepState.PENDING: ("·", "dim"),
    StepState.RUNNING: ("▶", "bold bright_magenta"),
    StepState.DONE: ("✓", "green"),
    StepState.FAILED: ("✗", "bold bright_red"),
    StepState.SKIPPED: ("–", "dim"),
    StepState.SUPERSEDED: ("↶", "yellow"),
}


def job_label(job: Job) -> Text:
    """One line per job: id, state (held and paused said as such), what and why."""
    text = Text()
    text.append(f"{job.job_id:<12}", style="bold")
    state = job.state.value + (" + paused" if job.state is JobState.HELD and job.paused else "")
    text.append(f" {state:<16}", style=JOB_STATE_STYLE.get(job.state, ""))
    text.append(f" {len(job.targets):>3} tenant{'s' if len(job.targets) != 1 else ' '} ")
    text.append_text(plain(f" {job.operator}: {job.reason}"))
    return text


def steps_table(view: JobView, zone: tzinfo | None) -> Table:
    """The job's own steps (a batch's groups), then each tenant's steps with state, times and result."""
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=True)
    table.add_column("TENANT", no_wrap=True)
    table.add_column("STEP", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("AT", no_wrap=True)
    table.add_column("TOOK", no_wrap=True)
    table.add_column("RESULT", ratio=1, overflow="fold")
    for step in view.steps:
        mark, style = STEP_MARK.get(step.state, ("?", ""))
        at = format_clock(step.started_at, zone) if step.started_at is not None else ""
        took = format_duration(step.duration_s) if step.duration_s is not None else ""
        table.add_row(
            step.tenant_id or "(job)",
            step.name.replace("_", " "),
            Text(mark, style=style),
            at,
            took,
            plain(step.result),
        )
    return table


def job_head(view: JobView, zone: tzinfo | None) -> Text:
    job = view.job
    text = Text()
    text.append(f"{job.job_id} ", style="bold")
    text.append(job.state.value, style=JOB_STATE_STYLE.get(job.state, ""))
    text.append_text(plain(f"  {job.kind} by {job.operator}, {format_clock(job.created_at, zone)}: {job.reason}"))
    if job.held_reason and job.state in (JobState.HELD, JobState.PAUSED):
        text.append("\n")
        text.append_text(plain(f"{'HELD' if job.state is JobState.HELD else 'PAUSED'}: {job.held_reason}", "bold"))
    if job.result:
        text.append("\n")
        text.append_text(plain(f"result: {job.result}"))
    return text


class JobsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,J", "app.pop_screen", "Back"),
        Binding("p", "control('pause')", "Pause/resume"),
        Binding("x", "control('abort')", "Abort"),
        Binding("k", "control('skip')", "Skip stage"),
        Binding("b", "control('step_back')", "Step back"),
    ]

    def __init__(self, read: Callable[[str | None], tuple[list[Job], JobView | None]], zone: tzinfo | None) -> None:
        super().__init__()
        self._read = read
        self.zone = zone
        self._wake = asyncio.Event()
        self.jobs: list[Job] = []
        self._labels: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(Text("Jobs: reading…", style="bold"), id="jobs-title")
        yield OptionList(id="jobs-list")
        with VerticalScroll(id="jobs-steps"):
            yield Static("", id="jobs-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#jobs-list", OptionList).focus()
        self._poll()

    @property
    def selected(self) -> str | None:
        options = self.query_one("#jobs-list", OptionList)
        if options.highlighted is None or options.highlighted >= len(self.jobs):
            return None
        return self.jobs[options.highlighted].job_id

    def action_control(self, verb: str) -> None:
        job_id = self.selected
        if job_id is None:
            self.notify("no job selected", severity="warning")
            return
        controls(self.app).start_job_control(job_id, verb)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "control" and getattr(self.app, "read_only", False))

    def on_option_list_option_highlighted(self, _: OptionList.OptionHighlighted) -> None:
        self._wake.set()

    @work(exclusive=True, group="jobs", exit_on_error=False)
    async def _poll(self) -> None:
        # The job to detail is the one selected when each read starts.
        await poll_store(
            lambda: self._read(self.selected), lambda read: self.show(*read), self._read_failed, self._wake
        )

    def _read_failed(self, exc: Exception) -> None:
        """The store may be busy: say so, keep trying (never freeze on old data)."""
        self.query_one("#jobs-title", Static).update(Text(f"cannot read the jobs: {exc}", style="bold bright_red"))

    def show(self, jobs: list[Job], view: JobView | None) -> None:
        options = self.query_one("#jobs-list", OptionList)
        keep = self.selected
        self.jobs = jobs
        active = sum(1 for job in jobs if not job.is_terminal)
        stopped = sum(1 for job in jobs if job.state in (JobState.HELD, JobState.PAUSED) or job.paused)
        title = f"Jobs: {active} active ({stopped} held or paused), {len(jobs) - active} ended"
        self.query_one("#jobs-title", Static).update(Text(title, style="bold"))
        labels = [job_label(job) for job in jobs]
        if [label.plain for label in labels] != self._labels:  # rebuilt only when a job changed
            self._labels = [label.plain for label in labels]
            options.clear_options()
            options.add_options([Option(label, id=job.job_id) for label, job in zip(labels, jobs, strict=True)])
            ids = [job.job_id for job in jobs]
            if ids:
                options.highlighted = ids.index(keep) if keep in ids else 0
        detail = self.query_one("#jobs-detail", Static)
        if view is None:
            detail.update(Text("no jobs yet" if not jobs else "reading…", style="dim"))
        else:
            from rich.console import Group

            detail.update(Group(job_head(view, self.zone), steps_table(view, self.zone)))
