"""The console's feed (FleetFeed.poll) reading every row every second, against reading the store's change feed.

Run by hand: .venv/bin/python benchmarks/bench_feed.py [SIZES...]   (default 2500 10000 50000)

For each fleet size (the simulated fleet, in a store file) and each way of reading, it prints the CPU time of
one poll of the feed, median of 5:
- steady: a second where nothing changed;
- 1 %: a second after 1 % of the tenants' error rates changed;
- poll: the second after a whole-fleet health poll recorded every tenant (every figure confirmed at a new
  time, 5 % of the tenants' backends changed: a new 5 % lose one, or get it back): the engine's poll writes what
  changed, confirming the rest;
- first: the first full read.
"old" reads every row every poll (FleetFeed.full_reads, the read before the change feed); "new" reads the rows
whose revision moved. Targets (issue 17), at 50,000: steady <= 10 ms, 1 % <= 50 ms, a poll changing 5 % <= 100 ms.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cutover.actions.wiring.session import Session

RUNS = 5


def _cpu(action: Callable[[], object]) -> float:
    started = time.process_time()
    action()
    return time.process_time() - started


def health_poll(session: Session, ids: list[str], down: set[str], at: float) -> None:
    """Record a whole-fleet health poll as the engine does: 500 tenants a transaction, `down` with a backend down."""
    for start in range(0, len(ids), 500):
        session.tenants.observe_many(
            {
                tid: {"backends_healthy": 2 if tid in down else 3, "backends_total": 3, "health_at": at}
                for tid in ids[start : start + 500]
            }
        )


def measure(count: int) -> dict[str, dict[str, float]]:
    from cutover.actions.wiring.composition import world_clock
    from cutover.actions.wiring.session import Session
    from cutover.config.loader import LoadedConfig
    from cutover.config.settings import Settings, SimulatorSettings, StateSettings
    from cutover.console.feed import FleetFeed
    from cutover.model.clock import ManualClock

    rng = random.Random(17)
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cutover.db"
        settings = Settings(state=StateSettings(path=path), simulator=SimulatorSettings(tenants=count))
        session = Session.open(LoadedConfig(settings, None), create=True)
        world_clock(settings, session.store, actor=session.actor)  # builds the simulated fleet
        ids = [row[0] for _, page in session.tenants.raw_pages(5_000) for row in page]
        clock = ManualClock(start=time.time())
        for way in ("old", "new"):
            feed = FleetFeed(session.store, session.events, clock, settings)
            feed.full_reads = way == "old"
            first = _cpu(feed.poll)
            down: set[str] = set()
            health_poll(session, ids, down, clock.now())  # every row has its backends once: later polls change 5 %
            clock.advance(1.0)
            feed.poll()
            steady, one_percent, after_poll = [], [], []
            for _ in range(RUNS):
                clock.advance(1.0)
                steady.append(_cpu(feed.poll))
                some = rng.sample(ids, max(1, count // 100))
                session.tenants.observe_many({tid: {"error_rate": rng.random() / 100} for tid in some})
                clock.advance(1.0)
                one_percent.append(_cpu(feed.poll))
                down ^= set(rng.sample(ids, max(1, count // 20)))  # 5 % of the tenants change: down or back up
                at = clock.now()
                health_poll(session, ids, down, at)
                clock.advance(1.0)
                after_poll.append(_cpu(feed.poll))
            figures[way] = {
                "steady": statistics.median(steady),
                "1 %": statistics.median(one_percent),
                "poll": statistics.median(after_poll),
                "first": first,
            }
        session.close()
    return figures


def main(sizes: list[int]) -> None:
    load = os.getloadavg()
    print(f"console feed, CPU ms a poll (median of {RUNS}); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'tenants':>8}  {'read':<4} {'steady':>9} {'1 %':>9} {'poll':>9} {'first':>9}")
    for count in sizes:
        figures = measure(count)
        for way in ("old", "new"):
            f = figures[way]
            print(
                f"{count:>8,}  {way:<4} {f['steady'] * 1000:>9.1f} {f['1 %'] * 1000:>9.1f} "
                f"{f['poll'] * 1000:>9.1f} {f['first'] * 1000:>9.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [2_500, 10_000, 50_000])
