"""Type-ahead: the keys typed after a key that opens a field or a dialog go there, never to the keys behind it.

Over a laggy SSH link (or from a paste, or a fast typist on a loaded host) `/pacific` arrives in one read.
Textual focuses a widget later than the keys that follow are routed: the rest of the word would reach the
fleet table's bindings (sort, alerts, cut over...). So from the moment a key that opens something (`/`, `:`,
`c`, `b`, `r`, `p`, `q`...) arrives, the app holds every key after it until what it opened has the focus: a
new screen (a dialog, the palette) with its focus set, or an input on the same screen. Then the held keys go
to it, in order. If the key opened nothing (the plan was refused, the worker ended), the held keys are
dropped and the operator is told: keys meant for a dialog never fall through to the table.

The opening key itself acts in its turn, after the keys typed before it (`j j space c`: c acts on what the
cursor and the marks became, never on the row the cursor was on when the read arrived): it waits behind
them in the same queues (`waiting_turn`), and what it opens is looked for only from its turn on.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input
from textual.worker import Worker

from cutover.console.keys import OPENS_INPUT

HOLD_LIMIT_S = 30.0  # a dialog that never comes: the keys typed for it are dropped, never replayed late
CHECK_EVERY_S = 0.02


class OpenerTurn(Message):
    """An opening key's turn: posted behind the keys typed before it, it reaches the app after they are handled."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key


def opening_binding(screen: Screen, key: str) -> Binding | None:
    """The binding `key` runs now on `screen` if it opens a field or a dialog (its keys are priority bindings)."""
    active = screen.active_bindings.get(key)
    if active is None or not active.enabled or not active.binding.priority:
        return None
    return active.binding if active.binding.id in OPENS_INPUT else None


@dataclass
class _Hold:
    what: str
    stack: tuple[int, ...]  # the screens on the stack when the key arrived (by id)
    focused: Widget | None
    worker: Worker | None
    started: float = field(default_factory=time.monotonic)
    held: list[events.Event] = field(default_factory=list)
    waiting_turn: bool = False  # the opening key has not acted yet: keys typed before it are still being handled


class TypeAhead:
    """Holds the keys that arrive while a field or dialog is opening, and hands them to it once it has the focus."""

    def __init__(self, app: App, deliver: Callable[[events.Event], Awaitable[None]]) -> None:
        self._app = app
        self._deliver = deliver
        self._hold: _Hold | None = None
        self._timer: Timer | None = None
        self.dropped = 0  # keys dropped because what they were typed for never opened (tests read it)

    @property
    def holding(self) -> bool:
        return self._hold is not None

    def hold(self, what: str, worker: Worker | None = None) -> None:
        """From now on, keep the keys that arrive until `what` (a field or a dialog) has the focus."""
        app = self._app
        if self._hold is not None:
            self._hold.what = what
            if worker is not None:
                self._hold.worker = worker
            return
        self._hold = _Hold(what, tuple(id(screen) for screen in app.screen_stack), app.focused, worker)
        if self._timer is None:
            self._timer = app.set_interval(CHECK_EVERY_S, self._check, name="type-ahead")
        else:
            self._timer.resume()

    def hold_until_turn(self, what: str) -> None:
        """An opening key arrived: keep the keys after it; it acts once the keys before it are handled."""
        self.hold(what)
        if self._hold is not None:
            self._hold.waiting_turn = True

    def turn_came(self) -> None:
        """The opening key acts now: what it opens is looked for from here, on the screen as it is now."""
        hold = self._hold
        if hold is None or not hold.waiting_turn:
            return
        app = self._app
        hold.waiting_turn = False
        hold.stack = tuple(id(screen) for screen in app.screen_stack)
        hold.focused = app.focused
        hold.started = time.monotonic()

    def nothing_opened(self) -> None:
        """The opening key, in its turn, ran nothing here (the keys before it changed the screen)."""
        hold = self._hold
        if hold is None:
            return
        self._hold = None
        self._stop()
        if hold.held:
            self.dropped += len(hold.held)
            count = len(hold.held)
            self._app.notify(f"{count} key{'s' * (count != 1)} typed after {hold.what} ignored: it opens nothing here")

    def take(self, event: events.Event) -> bool:
        """Hold `event` (a key or a paste straight from the terminal) if something is opening; True if held."""
        if self._hold is None or not isinstance(event, events.Key | events.Paste) or event.is_forwarded:
            return False
        self._hold.held.append(event)
        return True

    def _opened(self, hold: _Hold) -> bool:
        app = self._app
        screen = app.screen
        if id(screen) not in hold.stack:  # a new screen (dialog, palette): once its focus is set
            return screen.focused is not None
        focused = app.focused
        return focused is not hold.focused and isinstance(focused, Input)  # a field on the same screen

    async def _check(self) -> None:
        hold = self._hold
        if hold is None:
            self._stop()
            return
        if hold.waiting_turn:
            if time.monotonic() - hold.started > HOLD_LIMIT_S:
                self._drop(hold)
            return
        if self._opened(hold):
            await self._release(hold)
        elif (hold.worker is not None and hold.worker.is_finished) or (time.monotonic() - hold.started > HOLD_LIMIT_S):
            self._drop(hold)
        elif hold.worker is None and time.monotonic() - hold.started > 1.0:
            self._drop(hold)  # a synchronous opener that opened nothing within a second

    async def _release(self, hold: _Hold) -> None:
        self._hold = None
        self._stop()
        for index, event in enumerate(hold.held):
            await self._deliver(event)
            if self._hold is not None:  # that key opens something else: the rest wait for it in turn
                self._hold.held.extend(hold.held[index + 1 :])
                return

    def _drop(self, hold: _Hold) -> None:
        self._hold = None
        self._stop()
        if hold.held:
            self.dropped += len(hold.held)
            count = len(hold.held)
            self._app.notify(
                f"{count} key{'s' * (count != 1)} typed while {hold.what} was opening ignored: it did not open",
                timeout=4,
            )

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.pause()
