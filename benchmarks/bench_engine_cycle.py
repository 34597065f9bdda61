"""The engine's whole-fleet poll cycle: CPU time (time.process_time) of each whole-fleet poll (metrics, DNS,
sync, backend health: one each) and of the cycle, at each fleet size, on the built-in simulated fleet.

Run by hand: python benchmarks/bench_engine_cycle.py [--before CHECKOUT] [--cycles N] [--parts] [SIZE ...]
(default sizes 2,500 10,000 50,000; 5 cycles). With `--before`, another checkout (e.g.
`git worktree add /tmp/engine-before main`) runs the same cycles in a subprocess with its `cutover` first on
PYTHONPATH, and the two are printed side by side. Each size and checkout runs in its own process, on a world
of the same seed.

Target (issue 17): at 50,000 tenants, one cycle costs at most 1 s of CPU.

With `--parts`, it prints beside them where a cycle's CPU goes (PARTS): the simulated providers' answers, the
store's recording of the observations and, within that, its reading of the stored values to compare with. The
wrapping that times them costs a little itself: compare cycles measured the same way.

A cycle is what a leading engine does once a fleet interval: the four polls one after another, 5 s of world
time apart; the world clock then moves on to the next fleet interval, so every poll reads fresh figures
(a new metrics datapoint, sync passes and health checks moved on) and the engine's copy of the fleet is
brought up to date from the store (actions/engine/kept_fleet.py: the rows changed since, not every row).
Thirty migrated tenants are rolling back (in flight, as on a busy night). The first cycle (everything read
and written for the first time) is shown apart; after it, what is alive is frozen out of the garbage
collector's generations, as the engine does once it has read the fleet (actions/engine/gc_freeze.py), and so
are the tenants the copy rebuilds, a quarter of the fleet at a time, as the engine freezes them; the figures are
the median of the cycles after the first. CPU time includes the collector's.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

POLLS = ("metrics", "dns", "sync", "health")
SIZES = [2_500, 10_000, 50_000]


# What `--parts` times inside the polls: the simulated providers' answers and the store's recording of the
# observations (and, within it, its reading of the stored values to compare with), by (owner, method).
PARTS = (
    ("providers.metrics", "snapshot", "simulated metrics"),
    ("providers.dns", "read_routing", "simulated DNS"),
    ("providers.sync", "status", "simulated sync"),
    ("providers.health", "backends", "simulated health"),
    ("tenants", "_record", "store: record"),
    ("tenants", "_stored", "  of it, reading"),
)


def time_parts(core: Any, spent: dict[str, float]) -> None:
    """Wrap each of PARTS on `core` (an EngineCore) so that its CPU time adds up in `spent` by label. A poll
    runs alone here, so an awaited part's time is its own."""
    for path, name, label in PARTS:
        owner = core
        for attribute in path.split("."):
            owner = getattr(owner, attribute)
        method = getattr(owner, name)
        spent[label] = 0.0

        def timed(*args: Any, _method: Any = method, _label: str = label, **kwargs: Any) -> Any:
            began = time.process_time()
            result = _method(*args, **kwargs)
            if not inspect.isawaitable(result):
                spent[_label] += time.process_time() - began
                return result

            async def awaited() -> Any:
                try:
                    return await result
                finally:
                    spent[_label] += time.process_time() - began

            return awaited()

        setattr(owner, name, timed)  # on the instance: the class and every other instance are left as they are


async def cycles(tenants: int, count: int, parts: bool = False) -> dict[str, list[float]]:
    """CPU seconds of each poll (and of the whole cycle) over a warm-up cycle and `count` more; with `parts`,
    of each of PARTS too (as "part:LABEL")."""
    from cutover.actions.engine.engine_core import EngineCore
    from cutover.actions.engine.gc_freeze import freeze_after_start_up, freeze_rebuilt
    from cutover.actions.engine.pollers import Pollers
    from cutover.actions.engine.trigger_loop import TriggerLoop
    from cutover.actions.wiring.composition import build_providers
    from cutover.config.settings import Settings, SimulatorSettings, StateSettings
    from cutover.model.clock import ManualClock
    from cutover.model.lifecycle import Lifecycle
    from cutover.providers.sim import WorldOptions, open_world
    from cutover.state.events import EventLog
    from cutover.state.identity import Actor
    from cutover.state.store import Store
    from cutover.state.tenants import TenantStore

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        clock = ManualClock()
        actor = Actor("bench", "jump-1")
        store = Store(path)
        open_world(store, WorldOptions(tenants=tenants, seed=7), clock=clock, actor=actor)
        settings = Settings(state=StateSettings(path=path), simulator=SimulatorSettings(tenants=tenants))
        providers = build_providers(settings, store, clock, actor=actor).providers
        events = EventLog(store, actor, clock)
        core = EngineCore(settings, store, events, providers, clock, "bench", lambda db: None)
        pollers = Pollers(core, TriggerLoop(core))
        pollers.kept.on_rebuilt = lambda built: freeze_rebuilt("bench", built)  # as engine.py has it
        tenant_store = TenantStore(store, events)
        for tenant in tenant_store.find(lifecycle=Lifecycle.MIGRATED)[:30]:
            tenant_store.transition(tenant.tenant_id, Lifecycle.ROLLING_BACK, why="bench")

        polls = {
            "metrics": pollers.poll_metrics,
            "dns": pollers.poll_dns,
            "sync": pollers.poll_sync,
            "health": pollers.poll_health,
        }
        spent: dict[str, list[float]] = {name: [] for name in (*POLLS, "cycle")}
        in_parts: dict[str, float] = {}
        if parts:
            time_parts(core, in_parts)
        fleet_interval = settings.engine.fleet_interval
        for _ in range(count + 1):
            began = clock.now()
            total = 0.0
            for name in POLLS:
                cpu = time.process_time()
                await polls[name]()
                took = time.process_time() - cpu
                spent[name].append(took)
                total += took
                clock.advance(5)
            spent["cycle"].append(total)
            for label, seconds in in_parts.items():
                spent.setdefault(f"part:{label}", []).append(seconds)
                in_parts[label] = 0.0
            if len(spent["cycle"]) == 1:
                freeze_after_start_up("bench")  # as a leading engine does once it has read the fleet
            clock.advance(began + fleet_interval - clock.now())  # the next fleet interval: every poll whole again
        store.close()
        return spent


def run_worker(tenants: int, count: int, code: str | None, parts: bool = False) -> dict[str, list[float]]:
    """`cycles` in a subprocess, with `code` (a checkout) first on PYTHONPATH (None: as this process has it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUTOVER_")}
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [code, env.get("PYTHONPATH", "")]))
    done = subprocess.run(
        [sys.executable, __file__, "--worker", str(tenants), str(count), *(["--parts"] if parts else [])],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def load() -> str:
    with open("/proc/loadavg") as loadavg:
        return " ".join(loadavg.read().split()[:3])


def main(sizes: list[int], count: int, before: str | None, parts: bool = False) -> None:
    codes: list[tuple[str, str | None]] = [("this", None)] if before is None else [("before", before), ("after", None)]
    print(f"load average {load()} at the start; CPU ms, median of {count} cycles after a first one", flush=True)
    header = f"{'tenants':>8} {'poll':<8}" + "".join(f" {label:>10}" for label, _ in codes)
    for size in sizes:
        results = {label: run_worker(size, count, code, parts) for label, code in codes}
        print(header)
        for name in (*POLLS, "cycle"):
            cells = "".join(f" {statistics.median(results[label][name][1:]) * 1000:10.0f}" for label, _ in codes)
            print(f"{size:>8,} {name:<8}{cells}")
        firsts = "".join(f" {results[label]['cycle'][0] * 1000:10.0f}" for label, _ in codes)
        print(f"{size:>8,} {'1st':<8}{firsts}   (the first cycle)")
        for _, _, label in PARTS if parts else ():
            cells = "".join(
                f" {statistics.median(results[name][f'part:{label}'][1:]) * 1000:10.0f}" for name, _ in codes
            )
            print(f"{size:>8,}   {label:<18}{cells}   (within the cycle)")
        print(f"load average {load()}", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--worker"]:
        print(json.dumps(asyncio.run(cycles(int(args[1]), int(args[2]), parts="--parts" in args[3:]))))
        sys.exit(0)
    before_checkout = None
    cycle_count = 5
    show_parts = "--parts" in args
    args = [arg for arg in args if arg != "--parts"]
    while args[:1] in (["--before"], ["--cycles"]):
        if args[0] == "--before":
            before_checkout = args[1]
        else:
            cycle_count = int(args[1])
        args = args[2:]
    main([int(arg) for arg in args] or SIZES, cycle_count, before_checkout, show_parts)
