"""The live console: reads the store in a worker once a second and feeds the screens.

The console reads only the store. Nothing here imports a provider or calls a
cloud; key presses that change the world go to the action engine (when this
build has one) after a confirmation.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual import events, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.message import Message
from textual.theme import Theme

from cutover.actions.engine.gc_freeze import freeze_after_start_up
from cutover.actions.plan.capacity import summarise_exclusions
from cutover.actions.plan.gate import GateVerdict
from cutover.actions.plan.operations import ROLLBACK_FROM, Operations
from cutover.actions.plan.plans import PlanRequest
from cutover.actions.plan.safety import only_capacity
from cutover.actions.wiring.session import Session
from cutover.actions.wiring.signals import on_signals
from cutover.config.text import visible_lines
from cutover.console import colours
from cutover.console.acting import PAUSE_REASON, prefilled_reason, prepare, submitted_text
from cutover.console.feed import FeedUpdate, FleetFeed, read_detail
from cutover.console.fleet import FleetRow, TargetSet
from cutover.console.hold_actions import HoldActions
from cutover.console.keys import OPENS_INPUT
from cutover.console.log_alerts import EngineLogAlert
from cutover.console.palette import FleetCommands
from cutover.console.screens.main import MainScreen
from cutover.console.store_poll import poll_store
from cutover.console.typeahead import TypeAhead
from cutover.console.widgets.key_figures import KeyFigures
from cutover.console.widgets.line_stopped import job_counts, stopped_lines
from cutover.console.widgets.status_header import HeaderState
from cutover.console.widgets.wave_summary import WaveSummaryPanel
from cutover.model.jobs import ACTIVE, Control, JobKind, JobState, verb_of
from cutover.model.lifecycle import DomainError
from cutover.model.tenant import Tenant
from cutover.state.job_records import Job

if TYPE_CHECKING:
    from cutover.actions.engine.engine import Engine
    from cutover.actions.plan.read_model import JobView
    from cutover.console.controls import ConsoleControls

# Screens not on view at start (detail, batch, reports, dialogs) are imported when first opened:
# the first paint does not wait for them.

EXIT_HANGUP = 129
# After a hang-up, how long Textual's orderly shutdown may take before the process ends anyway: writes
# to a terminal nobody reads (an SSH connection that stalled rather than closed) can block it for ever.
HANGUP_GRACE_S = 3.0
FIRST_SCREEN = 200  # tenants read before the first paint; the rest follows in the next read
ALERT_HISTORY = 2000  # alerts the history screen reads, newest first


class OpenerTurn(Message):
    """An opening key's turn: posted behind the keys typed before it, it reaches the app after they are handled."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key


class CutoverApp(HoldActions, App[int]):
    CSS_PATH = "console.tcss"
    TITLE = "cutover"
    COMMANDS: ClassVar = App.COMMANDS | {FleetCommands}
    # ctrl+q (Textual's own quit) and ctrl+c quit as q does: one "Quit" in help, the same warning and hand-over.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c,ctrl+q", "quit_console", "Quit", show=False, priority=True)
    ]
    # Nothing in the console needs a mouse; keeping mouse reporting off leaves the terminal's own selection working.
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        session: Session,
        *,
        read_only: bool = False,
        refresh_interval: float = 1.0,
        keymap: dict[str, str] | None = None,
        role: str | None = None,
        engine: Engine | None = None,
        engine_factory: Callable[[], Engine] | None = None,
    ) -> None:
        # NO_COLOR: the terminal's own colours, meaning carried by bold, reverse and underline (Textual's
        # greyscale would put grey 237 on grey 233). Otherwise our ANSI themes, measured for contrast.
        super().__init__(ansi_color=True if "NO_COLOR" in os.environ else None)
        self.ansi_theme_dark = colours.DARK
        self.ansi_theme_light = colours.LIGHT
        self.session = session
        self.settings = session.settings
        self.clock = session.clock
        self.read_only = read_only
        self.role = role or ("observer" if read_only else "viewer")
        self.feed = FleetFeed(session.store, session.events, session.clock, session.settings)
        # An observer never runs an engine: it must not lead, run jobs or fire triggers.
        self.engine = None if read_only else engine
        # Built (imported, even) only once the fleet is on screen: the first paint does not wait for it.
        self._engine_factory = None if read_only else engine_factory
        self._engine_started = False
        self._engine_closed = False
        self.operations = Operations(
            session, read_only=read_only, on_submit=self.engine.wake if self.engine is not None else None
        )
        self.refresh_interval = max(1.0, refresh_interval)  # at most once a second
        self._keymap = keymap or {}
        self._wake: asyncio.Event | None = None
        self._polling = False
        self.updates_applied = 0
        self.tenants: dict[str, Tenant] = {}
        self.last_update: FeedUpdate | None = None
        self._store_ok_at: float | None = None
        self._stale_sources: set[str] = set()
        self._feed_error = ""
        self._whole_fleet_read = False
        self._first_cursor: str | None = None
        self._parent_pid = os.getppid()
        self.title = f"cutover: {self.settings.environment.name}"
        self.typeahead = TypeAhead(self, super().on_event)

    @property
    def available_themes(self) -> dict[str, Theme]:
        """Only the themes whose colours have been measured for contrast (the palette offers these)."""
        themes = super().available_themes
        return {name: themes[name] for name in colours.OFFERED_THEMES if name in themes}

    async def on_event(self, event: events.Event) -> None:
        # Keys that arrive while a field or dialog is opening wait for it (see typeahead).
        if self.typeahead.take(event):
            return
        if isinstance(event, events.Key) and not event.is_forwarded and (opener := self._opener(event.key)):
            # It acts on the cursor, marks and filter the keys before it leave: its turn comes behind them, in
            # the queues they travel (the focused widget's, then up to the app), and the keys after it wait.
            self.typeahead.hold_until_turn(f"{opener.description} ({event.key})")
            (self.focused or self.screen).post_message(OpenerTurn(event.key))
            return
        await super().on_event(event)

    def _opener(self, key: str) -> Binding | None:
        """The binding `key` runs now if it opens a field or a dialog (its keys are priority bindings)."""
        active = self.screen.active_bindings.get(key)
        if active is None or not active.enabled or not active.binding.priority:
            return None
        return active.binding if active.binding.id in OPENS_INPUT else None

    async def on_opener_turn(self, message: OpenerTurn) -> None:
        message.stop()
        self.typeahead.turn_came()
        if not await self._check_bindings(message.key, priority=True):
            self.typeahead.nothing_opened()

    def action_command_palette(self) -> None:
        """`:` and ctrl+p: what is typed after them goes into the palette's field."""
        self.typeahead.hold("the command palette")
        super().action_command_palette()

    # --- start and stop --------------------------------------------------------------

    def on_engine_log_alert(self, message: EngineLogAlert) -> None:
        self.notify(message.text, title="Engine error (see the log file)", severity="error", timeout=30)

    async def on_mount(self) -> None:
        if self._keymap:
            self.set_keymap(self._keymap)
        self._wake = asyncio.Event()
        # The feed applies its reads to the main screen's widgets: they must exist by then (on a busy
        # machine a read could otherwise land before the screen is composed, and kill the feed).
        await self.push_screen(MainScreen())
        self._first_screenful()
        self._feed_loop()
        self.set_interval(1.0, self._tick, name="header-tick")
        on_signals(self._hang_up, (signal.SIGHUP, signal.SIGTERM))

    @work(group="engine", exit_on_error=False)
    async def _start_engine(self) -> None:
        """Build (if need be) and start this console's engine: it runs in a thread of its own."""
        if self._engine_started or self._engine_closed:
            return
        self._engine_started = True
        if self.engine is None and self._engine_factory is not None:
            engine = await asyncio.to_thread(self._engine_factory)
            if self._engine_closed:
                return
            self.engine = engine
            self.operations.on_submit = engine.wake
        if self.engine is not None:
            self.engine.start_in_thread()

    def _hang_up(self, signum: int = signal.SIGHUP) -> None:
        """The terminal went away (or we were told to stop): stop cleanly, never keep running unseen.

        The engine stops first (its tasks cancelled, the lease handed over), so whatever happens to
        the screen after, nothing is left half done and no other console waits for the lease's TTL."""
        code = EXIT_HANGUP if signum == signal.SIGHUP else 128 + signum
        self.shutdown_engine()
        if not self.is_headless:
            _end_process_after(HANGUP_GRACE_S, code)
        self.exit(code)

    def _terminal_lost(self) -> bool:
        if self.is_headless:
            return False
        if os.getppid() != self._parent_pid:
            return True  # whoever started us is gone (an SSH session closed with SIGHUP ignored)
        try:
            os.tcgetpgrp(sys.__stdin__.fileno())  # type: ignore[union-attr]  # None: AttributeError, caught
        except (OSError, AttributeError, ValueError):
            return True
        return False

    def shutdown_engine(self) -> None:
        """Stop this console's engine: its tasks end and, if it leads, the lease is handed over."""
        self._engine_closed = True
        if self.engine is not None:
            self.engine.stop(timeout=2.0)

    def jobs_led_here(self) -> list[Job]:
        """The jobs not ended that this console's engine runs (or holds, or keeps paused)."""
        if self.engine is None or not self.engine.leading or self.last_update is None:
            return []
        return list(self.last_update.jobs)

    def engine_role(self) -> tuple[str, str]:
        """This console's role (leader, viewer, observer) and, for a viewer, who leads."""
        update = self.last_update
        leader = update.leader if update else None
        if self.read_only:
            role = "observer"
        elif self.engine is not None and self.engine.leading:
            return "leader", ""
        else:
            role = self.role
        if leader is None:
            if self._engine_deciding():
                return role, "starting engine…"
            return role, "NO ENGINE LEADS: jobs wait"
        info = leader.holder_info
        return role, f"engine: {info.get('operator', '?')}@{info.get('host', '?')}"

    def _engine_deciding(self) -> bool:
        """This console will run an engine and it has not yet learnt whether it leads."""
        if self.read_only or self._engine_closed:
            return False
        if self.engine is None:
            return self._engine_factory is not None
        return self.engine.status().state == "starting"

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

    # --- reading the store -----------------------------------------------------------

    def _first_screenful(self) -> None:
        """A screenful of tenants (by ID, the first sort order), read here so the very first frame shows
        them (a few milliseconds); the whole fleet follows in the feed loop, once this is painted."""
        try:
            update = self.feed.poll(FIRST_SCREEN)
        except Exception as exc:  # the feed loop tries again, and says so if it cannot
            self._feed_failed(exc)
        else:
            self._apply(update)

    @work(exclusive=True, group="feed", exit_on_error=False)
    async def _feed_loop(self) -> None:
        assert self._wake is not None
        # The whole fleet is read once the first screenful is on the terminal, not while it is drawn.
        painted = asyncio.Event()
        self.call_after_refresh(painted.set)
        await painted.wait()
        await poll_store(
            self.feed.poll,
            self._apply,
            self._feed_failed,  # a busy or broken store must not kill the console: say so, retry
            self._wake,
            interval=self.refresh_interval,
            started=self._poll_started,
            finished=self._poll_finished,
        )

    def _poll_started(self) -> None:
        self._polling = True

    def _poll_finished(self) -> None:
        self._polling = False
        self.updates_applied += 1

    async def refresh_now(self) -> None:
        """Read the store now and wait until the screen has it (tests and the palette use this)."""
        assert self._wake is not None
        target = self.updates_applied + (2 if self._polling else 1)
        self._wake.set()
        while self.updates_applied < target:
            await asyncio.sleep(0.005)

    def _feed_failed(self, exc: Exception) -> None:
        message = f"cannot read the store: {exc}"
        if message != self._feed_error:
            self._feed_error = message
            main = self._main()
            if main is not None:
                main.alerts.add_note(self.clock.now(), message, style="bold bright_red")
        self._refresh_header()

    def _apply(self, update: FeedUpdate) -> None:
        self._feed_error = ""
        self.last_update = update
        self.tenants = update.tenants
        self._store_ok_at = time.monotonic()  # wall time: the world clock may run 60 times faster
        main = self._main()
        if main is None:
            return
        first_complete = update.complete and not self._whole_fleet_read
        cursor_before = main.table.cursor_id
        main.apply_update(update, self.settings.safety.window.zone, self.key_for("acknowledge"))
        if first_complete:
            self._whole_fleet_read = True
            # The fleet is loaded and applied: what lives as long as the console leaves the collector's
            # generations, so a full collection no longer walks every row (1.4-2.0 s pauses at 50,000).
            freeze_after_start_up("console")
            # The first screenful was the first tenants by ID; the whole fleet opens at the top of the attention
            # order (what is in flight, what is wrong), unless the operator has moved the cursor meanwhile.
            if cursor_before is None or cursor_before == self._first_cursor:
                main.table.action_first()
        elif not update.complete:
            self._first_cursor = main.table.cursor_id
        if not self._engine_started:
            # The engine (and with it the providers) starts once the first rows are painted.
            self.call_after_refresh(self._start_engine)
        if not update.complete:
            self._refresh_header()
            self.show_selection()
            return
        self._note_stale_sources(update, main)
        main.query_one("#waves", WaveSummaryPanel).show(
            update.summary, update.rollbacks_tonight, self.settings.safety.max_rollbacks_per_night
        )
        main.fit_top()
        self._refresh_header()
        self.show_selection()

    def _note_stale_sources(self, update: FeedUpdate, main: MainScreen) -> None:
        stale = {source.name for source in update.sources if source.is_stale(update.now)}
        for name in sorted(stale - self._stale_sources):
            main.alerts.add_note(update.now, f"source {name} is stale: its figures are not current", "bold bright_red")
        for name in sorted(self._stale_sources - stale):
            main.alerts.add_note(update.now, f"source {name} is current again", "green")
        self._stale_sources = stale

    def _main(self) -> MainScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    # --- what is on screen -----------------------------------------------------------

    def _tick(self) -> None:
        if self._terminal_lost():
            self._hang_up()
            return
        with contextlib.suppress(NoMatches):  # the clock's tick can fire while the app is closing
            self._refresh_header()

    def _refresh_header(self) -> None:
        main = self._main()
        if main is None:
            return
        update = self.last_update
        extra: list[str] = []
        if main.table.fleet_filter.active:
            shown, total = len(main.table.visible_ids), main.table.total
            extra.append(f"filter: {main.table.fleet_filter.describe()} ({shown:,}/{total:,})")
        loud = stopped_lines(update.jobs) if update is not None else None
        night = update.night if update is not None else None
        if night is not None and night.configured:
            extra.insert(0, night.header())  # the night's go/no-go, before anything a narrow screen cuts
            if night.no_go:
                # A no-go stops the line for the whole night, held batch or not: said where a stop is said.
                loud = [f"LINE STOPPED: {night.no_go_words()}", *(loud or [])]
        pinned = len(update.pinned) if update is not None else 0
        if pinned and not main.panel_shown("alerts"):
            # Hidden by the operator: said where a stopped line is, so it is never out of sight.
            loud = [
                *(loud or []),
                f"{pinned} PINNED ALERT{'S' * (pinned != 1)}: {self.key_for('alerts')} shows "
                f"{'them' if pinned != 1 else 'it'}, {self.key_for('acknowledge')} acknowledges",
            ]
        if not main.panel_shown("alerts") and main.alerts.count:
            extra.append(f"{main.alerts.count} alerts (a)")
        if self._feed_error:
            extra.append("STORE UNREADABLE")
        if update is not None and not update.complete:
            extra.append("reading the whole fleet…")
        role, leader = self.engine_role()
        if leader:
            extra.insert(0, leader)
        if update is not None and update.jobs:
            extra.append(job_counts(update.jobs))
        main.show_header(
            HeaderState(
                environment=self.settings.environment.name,
                production=self.settings.environment.production,
                operator=self.session.actor.operator,
                role=role,
                now=self.clock.now(),
                sources=tuple(update.sources) if update else (),
                store_age=None if self._store_ok_at is None else time.monotonic() - self._store_ok_at,
                store_interval=self.refresh_interval,
                marked=len(main.table.marked),
                extra=tuple(extra),
                zone=self.settings.safety.window.zone,
                speed=update.world_speed if update is not None else None,
            ),
            loud,
        )

    def show_selection(self) -> None:
        main = self._main()
        if main is None:
            return
        table = main.table
        tenant_id = table.cursor_id
        row: FleetRow | None = table.cursor_row
        tenant = self.tenants.get(tenant_id) if tenant_id else None
        now = self.last_update.now if self.last_update else self.clock.now()
        main.query_one("#figures", KeyFigures).show(tenant, row, now, len(table.marked))
        self._refresh_header()

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

    def key_for(self, action: str) -> str:
        """The key that does `action` here (remapped or the default), as the footer would show it."""
        from cutover.console.keys import BY_NAME

        keys = self._keymap.get(action) or BY_NAME[action].keys
        return self.get_key_display(Binding(keys.split(",")[0], action))

    def keys_shown(self, action: str, default: str) -> str:
        """Every key that does `action` here ("?", "/", "esc"), remapped keys included, as help shows them."""
        from cutover.console.keys import BY_NAME

        keys = (self._keymap.get(action) or BY_NAME[action].keys).split(",")
        return ", ".join(self.get_key_display(Binding(key.strip(), default)) for key in keys)

    def open_alert_history(self) -> None:
        from cutover.console.screens.alert_history import AlertHistoryScreen

        read = self.operations.read

        def history() -> tuple[list, int]:
            with self.session.store.read():
                return read.alerts(limit=ALERT_HISTORY), read.alerts_acknowledged_up_to()

        self.push_screen(AlertHistoryScreen(history, self.settings.safety.window.zone))

    def start_acknowledge_alerts(self) -> None:
        """A: the pinned alerts, a yes/no, then the acknowledgement in the audit trail."""
        self.typeahead.hold("the acknowledge dialog", self.acknowledge_alerts())

    @work(group="act", exclusive=True, exit_on_error=False)
    async def acknowledge_alerts(self) -> None:
        if self._refuse_if_read_only("acknowledging alerts"):
            return
        pinned = list(self.last_update.pinned) if self.last_update is not None else []
        if not pinned:
            self.notify("no pinned alert to acknowledge", timeout=3)
            return
        from cutover.console.screens.confirm import ConfirmOne

        count = len(pinned)
        listing = "\n".join(f"{event.tenant_id + ' ' if event.tenant_id else ''}{event.what}" for event in pinned)
        detail = (
            f"{listing}\n\nAcknowledging unpins {'them' if count != 1 else 'it'} in every console, recorded in the "
            f"audit trail as yours ({self.session.actor.operator}). It changes nothing else: a held batch stays held "
            f"until resumed. {self.key_for('alert_history')} shows the full history."
        )
        noun = f"{count} pinned alert{'s' * (count != 1)}"
        dialog = ConfirmOne(TargetSet("acknowledge", (noun,), detail=detail))
        if not await self.push_screen_wait(dialog):
            self.notify("acknowledge: cancelled, the alerts stay pinned", timeout=3)
            return
        try:
            await asyncio.to_thread(self.operations.acknowledge_alerts, pinned)
        except DomainError as exc:
            self.notify(visible_lines(str(exc)), severity="error", markup=False)
            return
        self.notify(f"{noun} acknowledged", title="Alerts")
        await self.refresh_now()

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

    # --- acting ----------------------------------------------------------------------------
    # Plans and submissions run in threads: the store may be busy; the screen never waits on it.

    def _selection(self) -> tuple[tuple[str, ...], str, MainScreen | None]:
        main = self._main()
        if main is None:
            return (), "", None
        from cutover.console.screens.detail import TenantDetailScreen

        if isinstance(self.screen, TenantDetailScreen):  # the detail acts on its own tenant, marks or not
            return (self.screen.tenant_id,), "", main
        rows, note = main.selected_rows()
        return tuple(row.tenant_id for row in rows), note, main

    def _refuse_if_read_only(self, what: str) -> bool:
        if self.read_only:
            self.notify(f"read-only console: {what} refused", severity="error")
            return True
        return False

    def start_action(self, kind: str) -> None:
        """c, R, r, b: the keys typed after them wait for the dialog (or are dropped if none opens)."""
        self.typeahead.hold(f"the {verb_of(kind)} confirmation", self.act(kind))

    def start_pause_or_resume(self) -> None:
        """p: as start_action, for the batch's pause or resume dialog."""
        self.typeahead.hold("the pause dialog", self.pause_or_resume_batch())

    @work(group="act", exclusive=True, exit_on_error=False)
    async def act(self, kind: str) -> None:
        """c, R, r, b: plan, show the frozen target set, confirm, submit the job."""
        word = verb_of(kind)
        if self._refuse_if_read_only(word):
            return
        ids, note, main = self._selection()
        if not ids or main is None:
            self.notify("no tenant selected: move the cursor to one, or mark some with space", severity="warning")
            return
        if kind == JobKind.BATCH and not main.table.marked:
            cursor_row = main.table.row(ids[0])
            if cursor_row is None:  # the row left the table (a filter, a re-import) since the key was pressed
                self.notify(f"{ids[0]} is no longer in the table: nothing planned", severity="warning")
                return
            request = PlanRequest.batch(wave=cursor_row.wave)
        else:
            request = PlanRequest(kind, ids)
        try:
            prepared = await asyncio.to_thread(prepare, self.operations, request)
        except DomainError as exc:
            self.notify(visible_lines(str(exc)), title=f"Cannot {word}", severity="error", markup=False)
            return
        broken_why = ""
        if not prepared.can_confirm and prepared.only_safety_refuses:
            # Only safety rules stand in the way: break-glass, with a reason, or nothing.
            from cutover.console.screens.break_glass import BreakGlass

            answer: str | None = await self.push_screen_wait(BreakGlass(word, prepared.overridable))
            broken_why = answer or ""
            if not broken_why:
                self.notify(f"{word}: not overridden, nothing done", timeout=3)
                return
            request = request.with_overrides({refusal.rule: broken_why for refusal in prepared.overridable})
            try:
                prepared = await asyncio.to_thread(prepare, self.operations, request)
            except DomainError as exc:
                self.notify(visible_lines(str(exc)), title=f"Cannot {word}", severity="error", markup=False)
                return
        if not prepared.can_confirm:
            reasons = list(prepared.problems) + summarise_exclusions(prepared.targets.excluded, sep=" ")
            refused = visible_lines("\n".join(reasons)) or "no tenant to act on"
            self.notify(refused, title="Refused", severity="warning", markup=False)
            return
        targets = prepared.targets
        if note:
            targets = replace(targets, detail="\n".join(filter(None, [targets.detail, note])))
        from cutover.console.screens.confirm import ConfirmMany, ConfirmOne, needs_typed_count

        # After break-glass the action's reason starts as the override's: the operator has just said why.
        reason = broken_why or prefilled_reason(kind)
        many = needs_typed_count(targets) or kind == JobKind.BATCH
        dialog = ConfirmMany(targets, reason) if many else ConfirmOne(targets, reason)
        if not await self.push_screen_wait(dialog):
            self.notify(f"{word}: cancelled, nothing done", timeout=3)
            return
        plan = prepared.plan
        assert plan is not None
        try:
            job = await asyncio.to_thread(
                self.operations.submit,
                plan,
                reason=dialog.reason,
                confirmation=plan.confirm_phrase,
            )
        except DomainError as exc:
            title = f"{word.capitalize()} refused, nothing done"
            self.notify(visible_lines(str(exc)), title=title, severity="error", markup=False)
            return
        # The job holds the submitted tenants now; the excluded stay marked, to be looked at.
        main.table.set_marks(main.table.marked - set(job.targets))
        main.table.pin(job.targets)  # in view under a state filter until the cursor leaves them
        leader = await asyncio.to_thread(self.operations.leader)
        runs = (
            f"the engine ({leader.holder_info.get('operator', '?')}) runs it" if leader else "queued: no engine leads"
        )
        self.notify(submitted_text(job.job_id, kind, len(job.targets), runs), title="Submitted")
        await self.refresh_now()

    @work(group="act", exclusive=True, exit_on_error=False)
    async def run_gate(self) -> None:
        ids, _, _ = self._selection()
        if not ids:
            self.notify("no tenant selected", severity="warning")
            return
        try:
            results = await asyncio.to_thread(self.operations.gate, list(ids))
        except DomainError as exc:
            self.notify(visible_lines(str(exc)), title="Gate", severity="error", markup=False)
            return
        eligible = sum(1 for result in results if result.verdict is GateVerdict.ELIGIBLE)
        title = f"Decision gate: {eligible} of {len(results)} eligible (evaluated now, changes nothing)"
        from cutover.console.screens.report import ReportScreen, gate_table

        self.push_screen(ReportScreen(title, gate_table(results)))

    @work(group="act", exclusive=True, exit_on_error=False)
    async def dry_run(self) -> None:
        """d: rehearse the next action of the selection (cutover, or rollback for tenants on OCI)."""
        ids, _, main = self._selection()
        if not ids or main is None:
            self.notify("no tenant selected", severity="warning")
            return
        on_oci = all((row := main.table.row(tid)) is not None and row.lifecycle in ROLLBACK_FROM for tid in ids)
        request = PlanRequest(JobKind.ROLLBACK if on_oci else JobKind.FLIP, ids)
        try:
            plan = await asyncio.to_thread(self.operations.plan, request)
            rehearsal = await self.operations.dry_run(plan, reason="dry run from the console")
        except DomainError as exc:
            self.notify(visible_lines(str(exc)), title="Dry run", severity="error", markup=False)
            return
        from cutover.console.screens.report import ReportScreen, rehearsal_text

        self.push_screen(ReportScreen(f"Dry run: {verb_of(request.kind)} {len(ids)}", rehearsal_text(rehearsal)))

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


def _stopped(job: Job) -> bool:
    """Paused or held (or a pause asked for): p resumes it."""
    return job.state is JobState.HELD or job.paused or job.control == Control.PAUSE.value


def _end_process_after(seconds: float, code: int) -> None:
    """End the process in `seconds` if the orderly exit has not by then (see HANGUP_GRACE_S)."""

    def end() -> None:
        time.sleep(seconds)
        os._exit(code)

    threading.Thread(target=end, name="hang-up-deadline", daemon=True).start()


if TYPE_CHECKING:
    # The type checker proves CutoverApp offers every control the screens and the palette use.
    _offers_every_control: type[ConsoleControls] = CutoverApp
