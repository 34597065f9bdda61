"""q (and ctrl+c, ctrl+q): quit at once, or, while this console's engine leads jobs, after a dialog saying
what quitting hands over (the lease, and with it the jobs, to another console's engine)."""

from __future__ import annotations

from cutover.console.controller.surface import AppSurface
from cutover.console.controller.targets import TargetSet
from cutover.console.widgets.line_stopped import job_counts, stopped_lines


class Quitting(AppSurface):
    """Mixed into CutoverApp (see controller.py): quitting, with the engine's hand-over said first."""

    def request_quit(self) -> None:
        jobs = self.jobs_led_here()
        if not jobs:
            self.shutdown_engine()
            self.exit(0)
            return
        stopped = stopped_lines(jobs)
        detail = f"This console leads the engine with {job_counts(jobs)}."
        if stopped:
            detail += " Stopped: " + "; ".join(stopped) + "."
        targets = TargetSet(
            "quit and hand over",
            ("the engine",),
            detail=detail + " Quitting hands the lease over: another console's engine takes the jobs over "
            "(held and paused jobs stay so until an operator resumes them); with none running they wait, "
            "safe in the store, until one starts.",
        )

        def decided(ok: bool | None) -> None:
            if ok:
                self.shutdown_engine()
                self.exit(0)

        from cutover.console.screens.confirm import ConfirmOne

        self.typeahead.hold("the quit dialog")
        self.push_screen(ConfirmOne(targets), decided)

    def action_quit_console(self) -> None:
        self.request_quit()

    async def action_quit(self) -> None:
        """Textual's own ctrl+q: the same warning and hand-over as q."""
        self.request_quit()
