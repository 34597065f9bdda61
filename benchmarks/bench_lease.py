"""The engine's lease under whole-fleet polling: is it ever starved? Run by hand:

    python benchmarks/bench_lease.py [TENANTS] [SECONDS] [--speed S] [--no-freeze-pass]

An engine leads a simulated fleet of TENANTS (default 10,000) in a thread of its own with its own event loop,
as in the console, and polls it for SECONDS (default 60) of wall time; the world runs at S simulated seconds
per real second (default 4: a whole-fleet metrics and DNS poll every 15 s, health every 4 s, sync every 8 s).
Another thread watches the lease's row on its own connection, as a standby engine would.

It prints, per pass:
- heartbeat gap: the time between two renewals seen in the store (max, median) against the TTL and TTL/3
  (the target: max <= TTL/3);
- loop held: the longest time the engine's event loop did not run a 50 ms timer on time, i.e. how late a
  heartbeat running on that loop would have been (before: the heartbeat was a task on this loop);
- GC: the longest collector pause and the full (generation 2) collections (gc.callbacks);
- lease losses: times the engine stopped leading, and lease-loss alerts in the audit trail.

Two passes side by side, one without `gc.freeze()` (before) and one with it after start-up and again whenever a
quarter of the kept fleet was built anew (now, actions/engine/gc_freeze.py), unless
--no-freeze-pass. Targets (issue 17): max heartbeat gap <= TTL/3; longest GC pause <= 100 ms at 50,000.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import cutover.actions.engine.engine as engine_module
from cutover.actions.engine.engine import Engine
from cutover.config.settings import Settings, SimulatorSettings, StateSettings
from cutover.providers.sim import WorldOptions, open_world
from cutover.state.identity import Actor
from cutover.state.leases import LeaseStore
from cutover.state.store import Store


@dataclass
class Figures:
    heartbeats: list[float] = field(default_factory=list)  # heartbeat_at values seen, in order
    loop_held: list[float] = field(default_factory=list)  # lateness of a 50 ms timer on the engine's loop
    pauses: list[float] = field(default_factory=list)  # every collection's pause
    full_pauses: list[float] = field(default_factory=list)  # generation-2 collections
    stopped_leading: int = 0
    lost_alerts: int = 0


class PauseClock:
    """Every garbage collection's pause, through gc.callbacks."""

    def __init__(self, figures: Figures):
        self.figures = figures
        self.started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.started = time.perf_counter()
            return
        pause = time.perf_counter() - self.started
        self.figures.pauses.append(pause)
        if info.get("generation") == 2:
            self.figures.full_pauses.append(pause)


def watch_lease(path: Path, engine: Engine, figures: Figures, done: threading.Event) -> None:
    """A standby's view: the lease's heartbeat as written, and whether the engine still leads."""
    with Store(path) as store:
        leases = LeaseStore(store)
        leading = False
        while not done.is_set():
            lease = leases.current()
            ours = lease is not None and lease.holder == engine.holder
            if ours and (not figures.heartbeats or lease.heartbeat_at != figures.heartbeats[-1]):
                figures.heartbeats.append(lease.heartbeat_at)
            now_leading = engine.leading
            if leading and not now_leading:
                figures.stopped_leading += 1
            leading = now_leading
            time.sleep(0.05)


async def loop_probe(figures: Figures) -> None:
    while True:
        asked = time.perf_counter()
        await asyncio.sleep(0.05)
        figures.loop_held.append(time.perf_counter() - asked - 0.05)


def one_pass(base: Path, tenants: int, seconds: float, speed: float, *, freeze: bool) -> tuple[Figures, Settings]:
    path = base / f"lease-{'freeze' if freeze else 'nofreeze'}.db"
    with Store(path) as store:
        began = time.perf_counter()
        open_world(store, WorldOptions(tenants=tenants, seed=7))
        print(f"  world of {tenants:,} tenants created in {time.perf_counter() - began:.1f} s")
    settings = Settings(
        state=StateSettings(path=path), simulator=SimulatorSettings(tenants=tenants, speed=speed, seed=7)
    )
    figures = Figures()
    real_freeze, real_refreeze = engine_module.freeze_after_start_up, engine_module.freeze_rebuilt
    if not freeze:
        engine_module.freeze_after_start_up = lambda who: 0  # type: ignore[assignment]  # the "before" pass
        engine_module.freeze_rebuilt = lambda who, built: 0  # type: ignore[assignment]
    gc.unfreeze()
    gc.collect()
    pauses = PauseClock(figures)
    engine = Engine(settings, actor=Actor("bench", "jump-1"))
    done = threading.Event()
    watcher = threading.Thread(target=watch_lease, args=(path, engine, figures, done), daemon=True)
    try:
        engine.start_in_thread()
        deadline = time.monotonic() + 120
        while not engine.leading:
            if time.monotonic() > deadline:
                raise SystemExit(f"the engine did not lead within 120 s: {engine.status()}")
            time.sleep(0.05)
        gc.callbacks.append(pauses)
        watcher.start()
        assert engine._loop is not None
        probe = asyncio.run_coroutine_threadsafe(loop_probe(figures), engine._loop)
        time.sleep(seconds)
        probe.cancel()
    finally:
        done.set()
        if pauses in gc.callbacks:
            gc.callbacks.remove(pauses)
        engine.stop(timeout=10)
        engine_module.freeze_after_start_up, engine_module.freeze_rebuilt = real_freeze, real_refreeze
        gc.unfreeze()
    with Store(path) as store:
        figures.lost_alerts = store.db.execute(
            "SELECT count(*) FROM events WHERE kind = 'alert' AND what LIKE '%lost the war room''s lease%'"
        ).fetchone()[0]
    return figures, settings


def show(label: str, figures: Figures, settings: Settings) -> None:
    ttl, beat = settings.engine.lease_ttl, settings.engine.heartbeat
    gaps = [b - a for a, b in zip(figures.heartbeats, figures.heartbeats[1:], strict=False)]
    held = figures.loop_held or [0.0]
    if gaps:
        print(
            f"    heartbeat gap            max {max(gaps):6.2f} s   median {statistics.median(gaps):5.2f} s   "
            f"({len(gaps)} gaps; heartbeat {beat:g} s, TTL {ttl:g} s, target max <= {ttl / 3:.1f} s)"
        )
    else:
        print("    heartbeat gap            no renewal seen")
    print(
        f"    loop held (on-loop beat)  max {max(held):6.2f} s   p99 {statistics.quantiles(held, n=100)[98]:5.3f} s"
        if len(held) >= 2
        else f"    loop held (on-loop beat)  max {max(held):6.2f} s"
    )
    pauses = figures.pauses or [0.0]
    full = figures.full_pauses or [0.0]
    print(
        f"    GC pause                 max {max(pauses) * 1000:6.0f} ms  full collections {len(figures.full_pauses)}, "
        f"longest {max(full) * 1000:.0f} ms, median {statistics.median(full) * 1000:.0f} ms"
    )
    print(f"    lease losses             {figures.stopped_leading} (alerts: {figures.lost_alerts})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tenants", nargs="?", type=int, default=10_000)
    parser.add_argument("seconds", nargs="?", type=float, default=60.0)
    parser.add_argument("--speed", type=float, default=4.0, help="simulated seconds per real second")
    parser.add_argument("--no-freeze-pass", action="store_true", help="only the pass with gc.freeze()")
    args = parser.parse_args()
    load = os.getloadavg()
    print(
        f"bench_lease: {args.tenants:,} tenants, {args.seconds:g} s a pass, world speed {args.speed:g}x, "
        f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        passes = [True] if args.no_freeze_pass else [False, True]
        for freeze in passes:
            label = "now, gc.freeze() at start-up, as the fleet is built" if freeze else "without gc.freeze() (before)"
            print(f"- {label}")
            figures, settings = one_pass(Path(tmp), args.tenants, args.seconds, args.speed, freeze=freeze)
            show(label, figures, settings)
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
