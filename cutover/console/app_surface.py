"""What the action mixins (more_actions.py, hold_actions.py) use of CutoverApp, declared for the type checker.

At run time the mixins are plain classes mixed into CutoverApp; for mypy they extend this declaration,
so a mixin calling something CutoverApp does not have is an error at check time, not at 3 AM.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App

    from cutover.actions.plan.operations import Operations
    from cutover.actions.wiring.session import Session
    from cutover.config.settings import Settings
    from cutover.console.screens.main import MainScreen
    from cutover.console.typeahead import TypeAhead
    from cutover.state.job_records import Job

    class AppSurface(App[int]):
        read_only: bool
        session: Session
        settings: Settings
        operations: Operations
        typeahead: TypeAhead

        def _refuse_if_read_only(self, what: str) -> bool: ...
        async def refresh_now(self) -> None: ...
        def _main(self) -> MainScreen | None: ...
        def _selection(self) -> tuple[tuple[str, ...], str, MainScreen | None]: ...
        def open_jobs_view(self) -> None: ...
        async def _control_job(self, job: Job, verb: str) -> None: ...

else:
    AppSurface = object
