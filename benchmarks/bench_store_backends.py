"""The store on SQLite and on PostgreSQL, side by side (issue 15): what the console's 1 Hz read, the engine's
whole-fleet poll write and an audit event cost on each.

Run by hand: python benchmarks/bench_store_backends.py [SIZES...]   (default 2500 10000)

Each size gets the simulated fleet in a SQLite file and in a PostgreSQL schema (a throw-away server on
127.0.0.1 started with the binaries the tests use: pgserver's from pip, or set CUTOVER_BENCH_PG_URL to a
server of your own). Wall time, median of 5 (a PostgreSQL statement is a round trip: CPU time would hide it):
- first read: every tenant row (the console's first paint, the engine's first look at the fleet);
- 1 Hz read: the rows changed since the last read after 1 % of the fleet changed (the console's steady second);
- poll write: a whole-fleet metrics poll's observations (5 % with new figures, the rest confirmed);
- event: one audit event appended (its own transaction, the chain's head read and written).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the tests' PostgreSQL launcher

RUNS = 5
SIZES = [2_500, 10_000]


def _wall(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


@contextmanager
def postgres() -> Iterator[str]:
    url = os.environ.get("CUTOVER_BENCH_PG_URL")
    if url:
        yield url
        return
    from postgres_server import available_binaries, running_postgres

    with running_postgres(available_binaries()[0]) as started:
        yield started


def measure(location: str, tenants: int) -> dict[str, float]:
    from cutover.model.clock import ManualClock
    from cutover.providers.sim import WorldOptions, open_world
    from cutover.state.events import EventLog
    from cutover.state.identity import Actor
    from cutover.state.location import open_store
    from cutover.state.tenants import TenantStore

    clock = ManualClock()
    actor = Actor("bench", "jump-1")
    with open_store(location) as store:
        open_world(store, WorldOptions(tenants=tenants, seed=7), clock=clock, actor=actor)
        if location.startswith("postgresql://"):
            # PostgreSQL's autovacuum gathers a loaded table's statistics within a minute; without them the
            # planner scans the whole table for the change feed's few rows. Gathered here rather than waited for.
            store.db.execute("ANALYZE")
        events = EventLog(store, actor, clock)
        fleet = TenantStore(store, events)
        ids = [tenant.tenant_id for tenant in fleet.find()]
        rng = random.Random(7)
        figures: dict[str, list[float]] = {"first read": [], "1 Hz read": [], "poll write": [], "event": []}
        for run in range(RUNS):
            figures["first read"].append(_wall(lambda: fleet.raw()))
            revision = fleet.revision()
            clock.advance(15.0)
            changed = rng.sample(ids, max(1, len(ids) // 100))
            fleet.observe_many({tid: {"error_rate": rng.random() / 100, "metrics_at": clock.now()} for tid in changed})

            def read_changes(since: int = revision) -> None:
                with store.read():
                    fleet.changed_since(since)

            figures["1 Hz read"].append(_wall(read_changes))
            clock.advance(15.0)
            moved = set(rng.sample(ids, len(ids) // 20))
            observations = {
                tid: {"p95_ms": 100.0 + run + (rng.random() if tid in moved else 0.0), "metrics_at": clock.now()}
                for tid in ids
            }
            if run == 0:
                fleet.observe_many(observations)  # the first poll writes every figure: not the steady case
                observations = {tid: {**obs, "metrics_at": clock.now() + 1} for tid, obs in observations.items()}
            figures["poll write"].append(_wall(lambda o=observations: fleet.observe_many(o)))
            figures["event"].append(_wall(lambda number=run: events.append("note", f"bench {number}")))
        return {name: statistics.median(values) * 1000 for name, values in figures.items()}


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or SIZES
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start; wall ms, median of {RUNS}")
    with postgres() as server, tempfile.TemporaryDirectory() as tmp:
        from postgres_server import schema_url

        rows = []
        for size in sizes:
            sqlite = measure(str(Path(tmp) / f"bench-{size}.db"), size)
            pg = measure(schema_url(server, f"bench_{size}_{uuid.uuid4().hex[:6]}"), size)
            rows += [(size, name, sqlite[name], pg[name]) for name in sqlite]
    print(f"{'tenants':>8} {'':<11} {'SQLite':>9} {'PostgreSQL':>11}")
    for size, name, lite, pg in rows:
        print(f"{size:>8,} {name:<11} {lite:>9.2f} {pg:>11.2f}")
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")


if __name__ == "__main__":
    main()
