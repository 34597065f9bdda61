"""`B`: the night's batches: groups, their timing and state, the next group's countdown, holds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import tzinfo
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from cutover.actions.plan.batch_schedule import job_times, zone_of
from cutover.actions.plan.read_model import JobView
from cutover.actions.reports.batch_record import LaterRollback, group_result
from cutover.config.text import visible
from cutover.config.units import format_clock, format_duration
from cutover.console.controls import controls
from cutover.console.plain import plain
from cutover.console.screens.jobs import JOB_STATE_STYLE
from cutover.console.store_poll import poll_store
from cutover.model.jobs import JobState, StepState, TargetState

TARGET_MARK = {
    TargetState.PENDING: ("·", "dim"),
    TargetState.RUNNING: ("▶", "bright_magenta"),
    TargetState.SUCCEEDED: ("✓", "green"),
    TargetState.FAILED: ("✗", "bold bright_red"),
    TargetState.ROLLED_BACK: ("↶", "bold bright_red"),
    TargetState.REFUSED: ("⊘", "bright_red"),
    TargetState.ABORTED: ("–", "dim"),
    TargetState.PREEMPTED: ("↶", "yellow"),
}


def _when(ts: float, happened: bool, zone: tzinfo | None) -> str:
    """A time that happened as HH:MM; one that is expected as ~HH:MM (in the window's zone)."""
    shown = format_clock(ts, zone).split(" ")[0]
    return shown if happened else f"~{shown}"


def _next_state(job, step, start: float, now: float) -> Text:
    """The next group: paused and held say so (no countdown runs while nothing will start)."""
    if job.state is JobState.PAUSED or job.control == "pause":
        return Text("paused", style="bold yellow")
    if job.state is JobState.HELD:
        return Text("held, waiting for a resume", style="bold bright_red")
    if step is not None and step.detail.get("waiting"):
        return Text(f"waiting for room: {step.detail['waiting']}", style="yellow")
    left = start - now
    return Text(f"next in ~{format_duration(left)}" if left > 0 else "starting", style="bold yellow")


def batch_renderable(view: JobView, now: float, later: dict[str, LaterRollback] | None = None) -> Group:
    job = view.job
    later = later or {}
    head = Text()
    head.append(f"{job.job_id} ", style="bold")
    head.append(job.state.value, style=JOB_STATE_STYLE[job.state])
    head.append(visible(f"  {len(job.targets)} tenants  by {job.operator}  {job.reason}"))
    parts: list = [head]
    if job.state is JobState.HELD and job.held_reason:
        parts.append(plain(f"  STOP THE LINE: {job.held_reason}  (p acknowledges and resumes)", "bold bright_red"))
    if job.state is JobState.PAUSED or job.control == "pause":
        parts.append(plain(f"  paused by {job.control_by or '?'}: no new DNS change starts (p resumes)", "yellow"))
    groups: list[list[str]] = job.params.get("groups", [])
    times = job_times(view, now)
    zone = zone_of(job.params)
    states = {target.tenant_id: target.state for target in view.targets}
    own = {step.name: step for step in view.steps_of(None)}
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    table.add_column("GROUP", no_wrap=True)
    table.add_column(f"AT ({format_clock(now, zone).split(' ')[1]})", no_wrap=True)
    table.add_column("DNS", no_wrap=True)
    table.add_column("DONE", no_wrap=True)
    table.add_column("STATE", no_wrap=True)
    table.add_column("TENANTS")
    for number, tenant_ids in enumerate(groups, start=1):
        step = own.get(f"group {number}")
        expected = times.groups[number - 1]
        if step is None or step.state is StepState.PENDING:
            state = Text("waiting", style="dim")
            if number == times.next_group and not job.is_terminal:
                state = _next_state(job, step, expected.start, now)
        elif step.state is StepState.RUNNING:
            waiting = step.detail.get("waiting")
            state = Text(waiting or "running", style="yellow" if waiting else "bold bright_magenta")
        elif step.state is StepState.DONE:
            rolled = any(tid in later for tid in tenant_ids)
            state = Text(group_result(view, number, later) or "done", style="bold bright_red" if rolled else "green")
        else:
            state = Text(step.state.value, style="dim")
        members = Text()
        for tenant_id in tenant_ids:
            mark, style = TARGET_MARK[states.get(tenant_id, TargetState.PENDING)]
            if tenant_id in later:
                mark, style = TARGET_MARK[TargetState.ROLLED_BACK]
            members.append(f"{tenant_id}{mark} ", style=style)
        table.add_row(
            str(number),
            _when(expected.start, expected.started, zone),
            _when(expected.switch, expected.switched, zone),
            _when(expected.end, expected.ended, zone),
            state,
            members,
        )
    parts.append(table)
    for rollback in later.values():
        at = format_clock(rollback.at, zone)
        parts.append(
            plain(
                f"  group {rollback.group}: {rollback.tenant_id} rolled back later by {rollback.job_id} at {at}; "
                f"{rollback.why}",
                "bold bright_red" if rollback.stopped_line else "yellow",
            )
        )
    return Group(*parts)


class BatchScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,B", "app.pop_screen", "Back"),
        Binding("p", "pause", "Pause/resume"),
    ]

    def __init__(
        self, read: Callable[[], tuple[float, list[JobView]] | tuple[float, list[JobView], list[dict]]]
    ) -> None:
        super().__init__()
        self._read = read
        self._wake = asyncio.Event()
        self.views: list[JobView] = []

    def compose(self) -> ComposeResult:
        yield Static(Text("Batches: reading…", style="bold"), id="batch-title")
        with VerticalScroll(id="batch-body"):
            yield Static("", id="batch-list")
        yield Footer()

    def on_mount(self) -> None:
        self._poll()

    def refresh_now(self) -> None:
        self._wake.set()

    def action_pause(self) -> None:
        controls(self.app).start_pause_or_resume()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "pause" and getattr(self.app, "read_only", False))

    @work(exclusive=True, group="batch", exit_on_error=False)
    async def _poll(self) -> None:
        await poll_store(self._read, lambda read: self.show(*read), self._read_failed, self._wake)

    def _read_failed(self, exc: Exception) -> None:
        """The store may be busy: say so, keep trying."""
        self.query_one("#batch-title", Static).update(Text(f"cannot read the store: {exc}", style="bold bright_red"))

    def show(self, now: float, views: list[JobView], later: list[dict] | None = None) -> None:
        self.views = views
        later = later or [{} for _ in views]
        active = [v for v in views if not v.job.is_terminal]
        title = f"Batches: {len(active)} active, {len(views) - len(active)} recent"
        self.query_one("#batch-title", Static).update(Text(title, style="bold"))
        if not views:
            body = Text("no batch planned yet: b plans tonight's batch (marked tenants, or the wave under the cursor)")
            self.query_one("#batch-list", Static).update(body)
            return
        self.query_one("#batch-list", Static).update(
            Group(*(batch_renderable(v, now, rolled) for v, rolled in zip(views, later, strict=False)))
        )
