"""The stopped-line banner: while any job is held (stop the line) or paused, the top of the screen says so in words.

Reverse and bold, so it survives NO_COLOR and a 16-colour terminal; under the header at every width, wrapped
rather than cut (the reason is the point). Hidden while nothing is stopped.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from cutover.model.jobs import Control, JobState
from cutover.state.job_records import Job


def is_paused(job: Job) -> bool:
    """Paused, or a pause asked for and not yet applied (the engine applies it within a second)."""
    return job.paused or (job.state is JobState.HELD and job.control == Control.PAUSE.value)


def stopped_lines(jobs: Sequence[Job]) -> list[str]:
    """One line per held or paused job: "LINE STOPPED: batch-2 held: T-0083 final sync failed",
    "batch-2 paused by root@jump1"."""
    lines = []
    for job in jobs:
        by = job.paused_by or job.control_by or job.operator
        if job.state is JobState.HELD:
            line = f"LINE STOPPED: {job.job_id} held: {job.held_reason or 'waits for an operator'}"
            if is_paused(job):
                line += f" (and paused by {by})"
            lines.append(line)
        elif is_paused(job):
            lines.append(f"{job.job_id} paused by {by}")
    return lines


def job_counts(jobs: Sequence[Job]) -> str:
    """ "3 jobs: 1 running, 1 held, 1 paused" — held and paused counted as such, never as running."""
    held = sum(1 for job in jobs if job.state is JobState.HELD)
    paused = sum(1 for job in jobs if job.state is JobState.PAUSED)
    queued = sum(1 for job in jobs if job.state is JobState.QUEUED)
    running = len(jobs) - held - paused - queued
    parts = [
        f"{n} {word}" for n, word in ((running, "running"), (held, "held"), (paused, "paused"), (queued, "queued")) if n
    ]
    return f"{len(jobs)} job{'s' * (len(jobs) != 1)}: {', '.join(parts)}"


class LineStopped(Static):
    """Renders the lines it is given; shown only while there are some."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._lines: tuple[str, ...] = ()
        self.display = False

    @property
    def lines(self) -> tuple[str, ...]:
        return self._lines

    def show(self, lines: Sequence[str]) -> None:
        lines = tuple(lines)
        if lines == self._lines:
            return
        self._lines = lines
        self.display = bool(lines)
        self.update(Text("\n".join(f" {line} " for line in lines), style="bold reverse"))
