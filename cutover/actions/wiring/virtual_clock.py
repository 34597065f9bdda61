"""Virtual world time: as fast as the engine can go, for rehearsals, the headless demo and tests.

When every task of the process waits (on this clock, a wall timer, a lock), the
clock jumps straight to the next sleeper, as trio's MockClock with autojump does:
a whole migration night runs in seconds, and exactly as it would in real time.

The time is kept in the simulated world's anchor in the store (at speed 0), so
every other process on the store (a console, `cutover status`, the next engine
after a crash) reads the same world time, and time stands still while no engine
drives it: a killed engine's successor carries on from the very moment it died.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from cutover.model.clock import REREAD_EVERY, AnchoredClock, JumpingClock, world_time
from cutover.state.simworld import SimWorldStore
from cutover.state.store import Store

IDLE_YIELDS = 50  # yields to let every runnable task run before the clock may jump
REST = 0.005  # wall seconds to wait when nothing sleeps on the clock (only wall timers are pending)


class VirtualClock(JumpingClock, AnchoredClock):
    """The Clock protocol (now, sleep) over world time that the driving process moves by jumps.

    Its sleepers are a JumpingClock's; its time is read from and written to the world's anchor
    (AnchoredClock): followed while another process drives, recorded at every jump while this one does.
    """

    virtual = True

    def __init__(self, store: Store, wall: Callable[[], float] = time.time):
        AnchoredClock.__init__(self, SimWorldStore(store), wall)
        JumpingClock.__init__(self, self.world_time_at(wall()))
        self._driving = False
        self._read_at = float("-inf")

    def now(self) -> float:
        if not self._driving:
            # Another process may be driving the world: read its time (at most every REREAD_EVERY).
            wall = self._wall()
            if wall - self._read_at >= REREAD_EVERY:
                self._read_at = wall
                self.resync()
        return self._now

    def resync(self) -> None:
        """Pick up the world time another process left (a dead leader's last jump)."""
        self._row = None  # read the anchor afresh
        self._now = max(self._now, self.world_time_at(self._wall()))

    def jump(self, to: float) -> None:
        """Move to `to` (never back), wake whoever it is time for, and record the time in the world."""
        if to > self._now:
            self._now = to
            self._persist()
        self._wake_due()

    def _persist(self) -> None:
        """Record this driver's time, never moving the world back (a driver that stalled and woke late)."""
        now, wall = self._now, self._wall()
        self.reanchor(
            lambda anchor_world, anchor_wall, speed, alive_wall: (
                max(now, world_time(anchor_world, anchor_wall, speed, alive_wall, wall)),
                wall,
                0.0,
            )
        )

    async def autojump(self) -> None:
        """Run for as long as the process drives the world: jump whenever everything waits."""
        loop = asyncio.get_running_loop()
        self.resync()
        speed = self._anchors.clock_row()[2]
        self._persist()
        self._driving = True
        try:
            await self._jump_when_idle(loop)
        finally:
            self._driving = False
            # Hand the world back to wall-clock time at the speed it had (a console may open it next).
            now = self._now
            self.reanchor(lambda *_: (now, self._wall(), speed))

    async def _jump_when_idle(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            for _ in range(IDLE_YIELDS):
                await asyncio.sleep(0)
                if not loop._ready:  # type: ignore[attr-defined]  # nothing runnable: every task waits
                    break
            else:
                continue
            wake = self.next_wakeup
            if wake is None:
                await asyncio.sleep(REST)
                continue
            self.jump(wake)
