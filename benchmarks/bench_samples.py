"""The store's size per simulated hour of metric samples: before (every fleet sample kept as measured, one row
a side) and after (the fleet one row per state.sample_resolution, tenants in flight as measured, compaction and
the row cap), side by side in one run. Run by hand: python benchmarks/bench_samples.py [TENANTS] [HOURS].

The samples are written as the engine's metrics poll writes them (actions/engine/pollers.py): the whole fleet
every engine.fleet_samples_interval (5 min), 30 tenants in flight every 10 s (the simulated fleet's
resolution), compaction and pruning every PRUNE_EVERY (10 min), on the default settings (2 h retention).

Target: at 10,000 tenants, at most 5 MB of store per hour.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from cutover.actions.engine.poll_schedule import PRUNE_EVERY
from cutover.config.settings import EngineSettings, StateSettings
from cutover.state.samples import Sample, SampleStore
from cutover.state.store import Store

IN_FLIGHT = 30
FLIGHT_EVERY = 10.0
MB = 1024 * 1024


def side_figures(rng: random.Random, tenant_id: str, side: str, at: float, source: str) -> Sample:
    requests = float(rng.randint(20, 6000))
    return Sample(tenant_id, side, at, requests, float(rng.randint(0, 3)), round(rng.uniform(40, 900), 3), source)


def both(rng: random.Random, tenant_id: str, at: float) -> list[Sample]:
    return [
        side_figures(rng, tenant_id, "aws", at, "cloudwatch"),
        side_figures(rng, tenant_id, "oci", at, "oci-monitoring"),
    ]


def size_of(store: Store) -> int:
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return store.path.stat().st_size


def run(label: str, tenants: int, hours: int, compact: bool) -> list[tuple[float, int, int]]:
    """(hour, file bytes, sample rows) at the end of each simulated hour."""
    state, engine = StateSettings(), EngineSettings()
    path = Path(tempfile.mkdtemp()) / "samples.db"
    store = Store(path)
    samples = SampleStore(store)
    rng = random.Random(7)
    fleet = [f"T-{n:05d}" for n in range(1, tenants + 1)]
    flying = set(fleet[:IN_FLIGHT])
    start = 1_800_000_000.0
    empty = size_of(store)
    figures: list[tuple[float, int, int]] = []
    now, fleet_at, pruned_at = start, float("-inf"), float("-inf")
    began = time.perf_counter()
    while now < start + hours * 3600:
        samples.add(s for tenant_id in sorted(flying) for s in both(rng, tenant_id, now))
        if now - fleet_at >= engine.fleet_samples_interval:
            rest = [s for tenant_id in fleet if tenant_id not in flying for s in both(rng, tenant_id, now)]
            if compact:
                samples.add_coarse(rest, state.sample_resolution)
            else:
                samples.add(rest)
            fleet_at = now
        if now - pruned_at >= PRUNE_EVERY:
            if compact:
                samples.compact(now, state.sample_resolution, flying, moved_since=now - state.sample_retention)
                samples.prune(now, state.sample_retention, state.sample_max_rows)
            else:
                samples.prune(now, state.sample_retention)
            pruned_at = now
        now += FLIGHT_EVERY
        if (now - start) % 3600 == 0:
            figures.append(((now - start) / 3600, size_of(store) - empty, samples.rows()))
    print(f"  ({label}: {time.perf_counter() - began:.1f} s to write)")
    store.close()
    return figures


def main(tenants: int, hours: int) -> None:
    print(
        f"{tenants:,} tenants ({IN_FLIGHT} in flight, sampled every {FLIGHT_EVERY:.0f} s; the rest every "
        f"{EngineSettings().fleet_samples_interval / 60:.0f} min), {hours} simulated hours, "
        f"retention {StateSettings().sample_retention / 3600:.0f} h"
    )
    before = run("before", tenants, hours, compact=False)
    after = run("after", tenants, hours, compact=True)
    print(f"{'hour':>4}  {'before: MB':>10} {'+MB/h':>7} {'rows':>9}   {'after: MB':>10} {'+MB/h':>7} {'rows':>9}")
    last_before = last_after = 0
    for (hour, b_size, b_rows), (_, a_size, a_rows) in zip(before, after, strict=True):
        print(
            f"{hour:>4.0f}  {b_size / MB:>10.1f} {(b_size - last_before) / MB:>+7.1f} {b_rows:>9,}   "
            f"{a_size / MB:>10.1f} {(a_size - last_after) / MB:>+7.1f} {a_rows:>9,}"
        )
        last_before, last_after = b_size, a_size
    print(
        f"store per hour of samples kept (first hour): before {before[0][1] / MB:.1f} MB, "
        f"after {after[0][1] / MB:.1f} MB (target <= 5 MB at 10,000 tenants)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
