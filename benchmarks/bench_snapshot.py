"""How long the simulated fleet takes to answer the fleet-wide reads a poller makes
(target: one metrics snapshot of 10,000 tenants in <= 50 ms).

A migration night in progress: 25 tenants mid-cutover (DNS changed a minute ago,
traffic moving), the rough-night scenario's faults injected, the clock moving
10 s between polls so every poll computes fresh datapoints.

Run by hand: .venv/bin/python benchmarks/bench_snapshot.py
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from cutover.actions.wiring.composition import build_providers
from cutover.config.settings import Settings, SimulatorSettings
from cutover.model.clock import ManualClock
from cutover.model.routing import DnsChange, Routing
from cutover.providers.sim import WorldOptions, open_world
from cutover.providers.sim.scenario import inject_scenario
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

SCENARIO = Path(__file__).parent.parent / "scenarios" / "rough-night.toml"
RUNS = 25


async def timed(clock: ManualClock, call: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """(median, best) milliseconds over RUNS polls, 10 s of world time apart."""
    await call()  # warm: parameters derived, records loaded
    times = []
    for _ in range(RUNS):
        clock.advance(10)
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times)


async def bench(size: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "cutover.db")
        clock = ManualClock()
        actor = Actor("bench", "localhost")
        started = time.perf_counter()
        opened = open_world(store, WorldOptions(tenants=size), clock=clock, actor=actor)
        created = (time.perf_counter() - started) * 1000
        settings = Settings(simulator=SimulatorSettings(tenants=size))
        providers = build_providers(settings, store, clock, actor=actor).providers
        fleet = TenantStore(store, EventLog(store, actor, clock)).find()
        inject_scenario(opened.world, SCENARIO, fleet, clock.now())

        ready = [t for t in fleet if t.lifecycle.value == "ready"]
        records = await providers.dns.read_routing(ready)
        for tenant in ready:
            record = records[tenant.tenant_id]
            change = DnsChange(tenant.tenant_id, record, Routing.simple(tenant.oci_target, 60))
            await providers.dns.apply(record.zone, [change])
        clock.advance(60)

        figures = {
            "metrics snapshot": await timed(clock, lambda: providers.metrics.snapshot(fleet)),
            "sync status": await timed(clock, lambda: providers.sync.status(fleet)),
            "backend health": await timed(clock, lambda: providers.health.backends(fleet)),
            "DNS read": await timed(clock, lambda: providers.dns.read_routing(fleet)),
        }

        # Another process changes the world: the next read reloads what changed.
        other = Store(Path(tmp) / "cutover.db")
        other_dns = build_providers(settings, other, clock, actor=actor).providers.dns
        tenant = next(t for t in fleet if t.lifecycle.value == "pending")

        async def after_a_change() -> object:
            record = (await other_dns.read_routing([tenant]))[tenant.tenant_id]
            flip = tenant.oci_target if record.routing.target == tenant.aws_target else tenant.aws_target
            await other_dns.apply(record.zone, [DnsChange(tenant.tenant_id, record, Routing.simple(flip, 60))])
            started = time.perf_counter()
            await providers.metrics.snapshot(fleet)
            return time.perf_counter() - started

        reloads = []
        for _ in range(10):
            clock.advance(10)
            reloads.append(await after_a_change() * 1000)
        other.close()
        store.close()

    print(f"{size:>6,} tenants: world created in {created:6.0f} ms")
    for name, (median, best) in figures.items():
        print(f"        {name:<18} median {median:6.1f} ms, best {best:6.1f} ms")
    print(f"        {'snapshot after another process changed DNS':<18}: median {statistics.median(reloads):6.1f} ms")


def main() -> None:
    for size in (2_500, 10_000):
        asyncio.run(bench(size))


if __name__ == "__main__":
    main()
