"""The screens the console opens on the store's records: a tenant's detail, the night's batches, the jobs.

Each screen gets a function that reads what it shows (in its own worker, through `poll_store`): the
screen never touches the store itself and never waits on it on the UI loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cutover.console.controller.surface import AppSurface
from cutover.console.detail_read import read_detail
from cutover.model.jobs import JobKind

if TYPE_CHECKING:
    from cutover.actions.plan.read_model import JobView
    from cutover.state.job_records import Job


class Views(AppSurface):
    """Mixed into CutoverApp (see controller.py): opening the screens that read the store."""

    def open_detail(self, tenant_id: str) -> None:
        from cutover.console.screens.detail import TenantDetailScreen

        # The error-rate sparkline reaches at least the lowest error rate a trigger acts on.
        thresholds = [rule.threshold for rule in self.settings.triggers.rules if rule.metric == "error_rate"]
        error_threshold = min(thresholds, default=self.settings.ramp.max_error_rate)
        self.push_screen(
            TenantDetailScreen(
                tenant_id,
                lambda tid: read_detail(self.feed, tid),
                error_threshold=error_threshold,
                zone=self.settings.safety.window.zone,
                max_rollbacks=self.settings.safety.max_rollbacks_per_night,
            )
        )

    def open_batch_view(self) -> None:
        from cutover.console.screens.batch import BatchScreen

        read = self.operations.read
        clock = self.clock

        def batches() -> tuple[float, list[JobView], list[dict]]:
            from cutover.actions.reports.batch_record import later_rollbacks

            with self.session.store.read():
                jobs = self.operations.jobs.find(kind=JobKind.BATCH, limit=5)
                views = [read.job(job.job_id) for job in jobs]
                later = [later_rollbacks(view, self.operations.jobs) for view in views]
                return clock.now(), views, later

        self.push_screen(BatchScreen(batches))

    def open_jobs_view(self) -> None:
        from cutover.console.screens.jobs import JobsScreen

        read = self.operations.read

        def jobs(selected: str | None) -> tuple[list[Job], JobView | None]:
            with self.session.store.read():
                found = self.operations.jobs.find(limit=200)
                ids = [job.job_id for job in found]
                chosen = selected if selected in ids else (ids[0] if ids else None)
                return found, read.job(chosen) if chosen else None

        self.push_screen(JobsScreen(jobs, self.settings.safety.window.zone))
