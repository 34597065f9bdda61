"""The live console: reads the store in a worker once a second and feeds the screens.

The console reads only the store. Nothing here imports a provider or calls a
cloud; key presses that change the world go to the action engine (when this
build has one) after a confirmation. This module is the app's lifecycle (start, the engine in its
thread, hang-up, quit) and the feed; what keys and screens ask for is the controller's (controller/).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, ClassVar

from textual import events, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.theme import Theme
from textual.worker import get_current_worker

from cutover.actions.engine.gc_freeze import freeze_after_start_up
from cutover.actions.wiring.session import Session
from cutover.actions.wiring.signals import on_signals
from cutover.console import colours
from cutover.console.controller.controller import Controller
from cutover.console.entry import resume_collector
from cutover.console.feed import FeedUpdate, FleetFeed
from cutover.console.fleet.columns import FleetRow
from cutover.console.log_alerts import EngineLogAlert
from cutover.console.screens.main import MainScreen
from cutover.console.screens.palette import FleetCommands
from cutover.console.store_poll import poll_store
from cutover.console.typeahead import OpenerTurn, TypeAhead, opening_binding
from cutover.console.widgets.header_words import header_words
from cutover.console.widgets.key_figures import KeyFigures
from cutover.console.widgets.status_header import HeaderState
from cutover.console.widgets.wave_summary import WaveSummaryPanel
from cutover.model.tenant import Tenant
from cutover.state.job_records import Job

if TYPE_CHECKING:
    from cutover.actions.engine.engine import Engine
    from cutover.actions.plan.operations import Operations
    from cutover.console.controls import ConsoleControls

# Screens not on view at start (detail, batch, reports, dialogs) are imported when first opened:
# the first paint does not wait for them.

EXIT_HANGUP = 129
# After a hang-up, how long Textual's orderly shutdown may take before the process ends anyway: writes
# to a terminal nobody reads (an SSH connection that stalled rather than closed) can block it for ever.
HANGUP_GRACE_S = 3.0
FIRST_SCREEN = 200  # tenants read before the first paint; the rest follows in the next read
# A change another host commits brings a read at once, then none sooner than this: an engine writing all the time
# must not keep the console reading back to back.
WOKEN_GAP = 0.25


class CutoverApp(Controller, App[int]):
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
        self._operations: Operations | None = None  # built at the first action (see `operations`)
        self.refresh_interval = max(1.0, refresh_interval)  # at most once a second
        self._keymap = keymap or {}
        self._wake: asyncio.Event | None = None
        self._polling = False
        self.updates_applied = 0
        self.tenants: Mapping[str, Tenant] = {}
        self.last_update: FeedUpdate | None = None
        self._store_ok_at: float | None = None
        self._stale_sources: set[str] = set()
        self._feed_error = ""
        self._whole_fleet_read = False
        # The tenant the console put the cursor on (the top of the first screen), while the operator has not
        # touched a key: until then the cursor stays on the top of the attention order as the order settles.
        self._first_cursor: str | None = None
        self._operator_acted = False
        self._parent_pid = os.getppid()
        room = self.settings.war_room.room()
        # With several war rooms on one store, which one this console is: `production · emea`.
        self._environment = self.settings.environment.name + (f" · {room.name}" if room.name else "")
        self.title = f"cutover: {self._environment}"
        self.typeahead = TypeAhead(self, super().on_event)

    @property
    def operations(self) -> Operations:
        """What every action goes through, built when first asked for: actions/plan (some 20 modules) is not
        imported before the first paint (the engine, started after it, has imported it by the first key)."""
        if self._operations is None:
            from cutover.actions.plan.operations import Operations

            engine = self.engine
            self._operations = Operations(
                self.session, read_only=self.read_only, on_submit=engine.wake if engine is not None else None
            )
        return self._operations

    @property
    def available_themes(self) -> dict[str, Theme]:
        """Only the themes whose colours have been measured for contrast (the palette offers these)."""
        themes = super().available_themes
        return {name: themes[name] for name in colours.OFFERED_THEMES if name in themes}

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.Paste | events.MouseEvent):
            self._operator_acted = True  # the cursor is the operator's from now on
        # Keys that arrive while a field or dialog is opening wait for it (see typeahead).
        if self.typeahead.take(event):
            return
        if (
            isinstance(event, events.Key)
            and not event.is_forwarded
            and (opener := opening_binding(self.screen, event.key))
        ):
            # It acts on the cursor, marks and filter the keys before it leave: its turn comes behind them, in
            # the queues they travel (the focused widget's, then up to the app), and the keys after it wait.
            self.typeahead.hold_until_turn(f"{opener.description} ({event.key})")
            (self.focused or self.screen).post_message(OpenerTurn(event.key))
            return
        await super().on_event(event)

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
        self._read_when_the_store_changes()
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
            if self._operations is not None:  # built before the engine: a submission wakes it from now on
                self._operations.on_submit = engine.wake
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
            overlapping = self.engine.status().overlapping if self.engine is not None else ""
            if overlapping:
                return role, f"NO ENGINE LEADS: {overlapping}"
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
        resume_collector()  # paused by the entry point for the start-up, which ends here
        await poll_store(
            self.feed.poll,
            self._apply,
            self._feed_failed,  # a busy or broken store must not kill the console: say so, retry
            self._wake,
            interval=self.refresh_interval,
            started=self._poll_started,
            finished=self._poll_finished,
        )

    @work(thread=True, exclusive=True, group="store-changes", exit_on_error=False)
    def _read_when_the_store_changes(self) -> None:
        """On PostgreSQL: read the store as soon as any host commits a change to it (LISTEN/NOTIFY), at most
        every WOKEN_GAP seconds; the once-a-second read goes on regardless. On SQLite there is no such signal."""
        listener = self.session.store.change_listener()
        if listener is None:
            return
        worker = get_current_worker()
        try:
            while not worker.is_cancelled:
                if listener.wait(0.5) != frozenset() and self._wake is not None:
                    try:
                        self.call_from_thread(self._wake.set)
                    except RuntimeError:  # the console is closing
                        return
                    time.sleep(WOKEN_GAP)
        finally:
            listener.close()

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
                self._first_cursor = main.table.cursor_id
        elif not update.complete:
            self._first_cursor = main.table.cursor_id
        elif (
            not self._operator_acted
            and self.screen is main
            and cursor_before is not None
            and cursor_before == self._first_cursor
            and main.table.top_id != cursor_before
        ):
            # Nobody has touched a key since the console opened on the top of the order, and the top has changed
            # (the first polls move tenants in and out of flight): the cursor goes with the top, not with the
            # tenant that left it, so what is in flight and what is wrong stay on screen. From the first key on,
            # the cursor never moves by itself.
            main.table.action_first()
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
        table = main.table
        filter_words = ""
        if table.fleet_filter.active:
            shown, total = len(table.visible_ids), table.total
            filter_words = f"filter: {table.fleet_filter.describe()} ({shown:,}/{total:,})"
        role, leader = self.engine_role()
        extra, loud = header_words(
            update,
            filter_words=filter_words,
            alerts_hidden=not main.panel_shown("alerts"),
            alert_count=main.alerts.count,
            store_unreadable=bool(self._feed_error),
            leader=leader,
            key_for=self.key_for,
        )
        main.show_header(
            HeaderState(
                environment=self._environment,
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
        self.feed.focus = tenant_id  # its row is read every poll: the key figures show its metrics' age
        now = self.last_update.now if self.last_update else self.clock.now()
        main.query_one("#figures", KeyFigures).show(tenant, row, now, len(table.marked))
        self._refresh_header()

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


def _end_process_after(seconds: float, code: int) -> None:
    """End the process in `seconds` if the orderly exit has not by then (see HANGUP_GRACE_S)."""

    def end() -> None:
        time.sleep(seconds)
        os._exit(code)

    threading.Thread(target=end, name="hang-up-deadline", daemon=True).start()


if TYPE_CHECKING:
    # The type checker proves CutoverApp offers every control the screens and the palette use.
    _offers_every_control: type[ConsoleControls] = CutoverApp
