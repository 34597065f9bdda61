"""The world clock: one simulated time for every process that opens the same store.

World time = anchor_world + (wall - anchor_wall) * speed, with the anchor kept in
the store (`AnchoredClock`, model/clock.py); changing the speed re-anchors, so time
never jumps. Time stands still while nobody drives it: a process that sleeps on the
clock (the engine, the demo) or runs `drive()` (a console) writes a heartbeat every
few seconds, and once the last heartbeat is older than IDLE_AFTER the world freezes
there. The next process to drive it resumes from that moment, so a demo left
overnight does not skip migration night.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from cutover.model.clock import IDLE_AFTER, AnchoredClock, world_time
from cutover.state.simworld import SimWorldStore
from cutover.state.store import Store

HEARTBEAT_EVERY = 2.0  # wall seconds between heartbeats of a driving process


class WorldClock(AnchoredClock):
    """The Clock protocol (now, sleep) over the world anchor in the store, at the anchor's speed."""

    def __init__(self, store: Store, wall: Callable[[], float] = time.time):
        self._world = SimWorldStore(store)
        super().__init__(self._world, wall)
        self._last = float("-inf")
        self._beat_at = float("-inf")

    # --- reading ---------------------------------------------------------------------

    def now(self) -> float:
        current = self.world_time_at(self._wall())
        # Another process re-anchoring may land a hair behind what this one showed.
        self._last = max(self._last, current)
        return self._last

    @property
    def speed(self) -> float:
        return self.anchor(self._wall())[2]

    @property
    def running(self) -> bool:
        """Whether some process drives the world right now."""
        wall = self._wall()
        alive = self.anchor(wall)[3]
        return alive is not None and wall - alive <= IDLE_AFTER

    # --- driving ---------------------------------------------------------------------

    def keep_alive(self) -> None:
        """Say this process drives the world: resume it if it stood still, else heartbeat."""
        wall = self._wall()
        if wall - self._beat_at < HEARTBEAT_EVERY:
            return
        self._beat_at = wall

        def compute(
            anchor_world: float, anchor_wall: float, speed: float, alive_wall: float | None
        ) -> tuple[float, float, float]:
            if alive_wall is not None and wall - alive_wall <= IDLE_AFTER:
                return anchor_world, anchor_wall, speed  # running: keep the anchor
            # It stood still: resume from where it stopped.
            return world_time(anchor_world, anchor_wall, speed, alive_wall, wall), wall, speed

        self.reanchor(compute)
        self._world.heartbeat(wall)  # the world keeps running while this process drives it

    def set_speed(self, speed: float) -> None:
        """Change how many world seconds pass per wall second (0 pauses); time does not jump."""
        if speed < 0:
            raise ValueError("the world clock's speed is 0 (paused) or more")
        wall = self._wall()

        def compute(
            anchor_world: float, anchor_wall: float, old_speed: float, alive_wall: float | None
        ) -> tuple[float, float, float]:
            return world_time(anchor_world, anchor_wall, old_speed, alive_wall, wall), wall, speed

        self.reanchor(compute)
        self._beat_at = wall

    async def sleep(self, seconds: float) -> None:
        """Sleep `seconds` of world time, driving the world meanwhile."""
        self.keep_alive()
        deadline = self.now() + max(0.0, seconds)
        while True:
            remaining = deadline - self.now()
            if remaining <= 0:
                await asyncio.sleep(0)
                return
            speed = self.speed
            wait = remaining / speed if speed > 0 else HEARTBEAT_EVERY
            await asyncio.sleep(min(wait, HEARTBEAT_EVERY))
            self.keep_alive()

    async def drive(self) -> None:
        """Keep the world running for as long as this task runs (a console's worker)."""
        while True:
            self.keep_alive()
            await asyncio.sleep(HEARTBEAT_EVERY)
