"""Time is injected: every threshold is evaluated on a clock that tests drive.

Clocks return epoch seconds (UTC) as floats, and can be slept on. Four clocks share two bases:

- `SystemClock`: the wall clock.
- `JumpingClock`: time that moves only by jumps, sleepers woken in deadline order once it passes
  their deadline. `ManualClock` (tests, rehearsals: moved by `advance`/`set`) and the engine's
  `VirtualClock` (actions/wiring/virtual_clock.py: jumps whenever every task waits) are ones.
- `AnchoredClock`: world time kept as an anchor in the store, so every process reading it agrees:
  world = anchor_world + (wall - anchor_wall) * speed (`world_time`). The simulator's `WorldClock`
  (providers/sim/clock.py) and the `VirtualClock` read it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


# --- time that moves by jumps -----------------------------------------------------------


class JumpingClock:
    """A clock whose time moves only when its owner moves it; `sleep` returns once it has passed the deadline."""

    def __init__(self, start: float):
        self._now = float(start)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._order), future))
        await future

    @property
    def next_wakeup(self) -> float | None:
        """When the earliest sleeper wakes, if any: lets a rehearsal jump straight there."""
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None

    def _wake_due(self) -> None:
        """Wake every sleeper whose deadline the clock has reached."""
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)


class ManualClock(JumpingClock):
    """A clock that moves only when told to: for tests and rehearsals.

    `sleep` returns once `advance` has moved the clock past the deadline.
    """

    def __init__(self, start: float = 1_800_000_000.0):
        super().__init__(start)

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        self.set(self._now + seconds)
        return self._now

    def set(self, when: float) -> None:
        if when < self._now:
            raise ValueError("a clock does not go backwards")
        self._now = float(when)
        self._wake_due()


# --- world time anchored in the store ------------------------------------------------------

IDLE_AFTER = 10.0  # wall seconds without a heartbeat after which an anchored world stands still
REREAD_EVERY = 0.25  # wall seconds a read of the anchor is reused within one process

# (anchor_world, anchor_wall, speed, alive_wall): the anchor as the store keeps it.
Anchor = tuple[float, float, float, float | None]
Reanchor = Callable[[float, float, float, float | None], tuple[float, float, float]]


def world_time(anchor_world: float, anchor_wall: float, speed: float, alive_wall: float | None, wall: float) -> float:
    """The world time at `wall`, frozen IDLE_AFTER seconds after the last heartbeat."""
    running_until = anchor_wall if alive_wall is None else max(anchor_wall, alive_wall + IDLE_AFTER)
    return anchor_world + max(0.0, min(wall, running_until) - anchor_wall) * speed


class AnchorStore(Protocol):
    """Where the anchor is kept (the simulated world's row in the store: state/simworld.py)."""

    def clock_row(self) -> Anchor: ...

    def update_clock(self, compute: Reanchor) -> None:
        """Re-anchor atomically: `compute(*anchor)` returns the new (anchor_world, anchor_wall, speed)."""


class AnchoredClock:
    """World time read from an anchor kept in the store, shared by every process that opens it."""

    def __init__(self, anchors: AnchorStore, wall: Callable[[], float] = time.time):
        self._anchors = anchors
        self._wall = wall
        self._row: Anchor | None = None
        self._row_read_at = float("-inf")

    def anchor(self, wall: float) -> Anchor:
        """The anchor, read again once it is REREAD_EVERY old (or after a re-anchor)."""
        if self._row is None or wall - self._row_read_at >= REREAD_EVERY or wall < self._row_read_at:
            self._row = self._anchors.clock_row()
            self._row_read_at = wall
        return self._row

    def world_time_at(self, wall: float) -> float:
        return world_time(*self.anchor(wall), wall)

    def reanchor(self, compute: Reanchor) -> None:
        """Move the anchor (atomically, in the store); the next read sees the new one."""
        self._anchors.update_clock(compute)
        self._row = None
