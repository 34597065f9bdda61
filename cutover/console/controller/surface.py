"""What the controller's mixins use of CutoverApp, declared for the type checker.

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
    from cutover.console.feed import FeedUpdate, FleetFeed
    from cutover.console.screens.main import MainScreen
    from cutover.console.typeahead import TypeAhead
    from cutover.model.clock import Clock
    from cutover.state.job_records import Job

    class AppSurface(App[int]):
        read_only: bool
        session: Session
        settings: Settings
        clock: Clock
        feed: FleetFeed

        @property
        def operations(self) -> Operations: ...

        typeahead: TypeAhead
        last_update: FeedUpdate | None

        async def refresh_now(self) -> None: ...
        def _main(self) -> MainScreen | None: ...
        def key_for(self, action: str) -> str: ...
        def open_jobs_view(self) -> None: ...
        def jobs_led_here(self) -> list[Job]: ...
        def shutdown_engine(self) -> None: ...

else:
    AppSurface = object
