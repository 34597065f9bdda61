"""The engine at 10,000 tenants: what each poll costs, how long its longest write holds the store,
what planning a night's batch costs. Run by hand: python benchmarks/bench_engine.py [TENANTS].

Targets: a whole-fleet poll's write under 1 s (the console's reads wait on no lock in WAL, but
another writer would); an in-flight poll (about 30 tenants) under 50 ms; a batch plan over a
wave under 1 s.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from cutover.actions.engine.engine_core import EngineCore
from cutover.actions.engine.pollers import Pollers
from cutover.actions.engine.trigger_loop import TriggerLoop
from cutover.actions.plan.operations import Operations
from cutover.actions.plan.plans import PlanRequest
from cutover.actions.wiring.composition import build_providers
from cutover.actions.wiring.session import Session
from cutover.config.loader import LoadedConfig
from cutover.config.settings import Settings, SimulatorSettings, StateSettings
from cutover.model.clock import ManualClock
from cutover.model.lifecycle import Lifecycle
from cutover.providers.sim import WorldOptions, open_world
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.store import Store
from cutover.state.tenants import TenantStore


def timed(label: str, seconds: float) -> None:
    print(f"{label:<58} {seconds * 1000:9.1f} ms")


async def main(tenants: int) -> None:
    path = Path(tempfile.mkdtemp()) / "bench.db"
    clock = ManualClock()
    actor = Actor("bench", "jump-1")
    store = Store(path)
    started = time.perf_counter()
    open_world(store, WorldOptions(tenants=tenants, seed=7), clock=clock, actor=actor)
    timed(f"create a simulated world of {tenants:,} tenants", time.perf_counter() - started)
    settings = Settings(state=StateSettings(path=path), simulator=SimulatorSettings(tenants=tenants))
    providers = build_providers(settings, store, clock, actor=actor).providers
    events = EventLog(store, actor, clock)
    core = EngineCore(settings, store, events, providers, clock, "bench", lambda db: None)
    pollers = Pollers(core, TriggerLoop(core))

    tenant_store = TenantStore(store, events)
    migrated = tenant_store.find(lifecycle=Lifecycle.MIGRATED)[:30]
    for tenant in migrated:  # tenants in flight, as on a busy night (rollbacks from last night's batch)
        tenant_store.transition(tenant.tenant_id, Lifecycle.ROLLING_BACK, why="bench")

    for label, poll in (
        ("metrics poll, whole fleet (live view + samples)", pollers.poll_metrics),
        ("metrics poll, 30 tenants in flight", pollers.poll_metrics),
        ("DNS poll, whole fleet", pollers.poll_dns),
        ("DNS poll, 30 tenants in flight", pollers.poll_dns),
        ("sync poll, whole fleet", pollers.poll_sync),
        ("backend health poll, whole fleet", pollers.poll_health),
    ):
        clock.advance(5)
        began = time.perf_counter()
        await poll()
        timed(label, time.perf_counter() - began)

    # The longest write transaction: recording the whole fleet's observations at once.
    rows = {t.tenant_id: {"requests": 1.0, "error_rate": 0.001, "metrics_at": clock.now()} for t in tenant_store.find()}
    began = time.perf_counter()
    tenant_store.observe_many(rows)
    timed(f"one write transaction of {len(rows):,} tenants' live view", time.perf_counter() - began)

    session = Session(LoadedConfig(settings, None), store, actor, clock, events, tenant_store)
    ops = Operations(session)
    began = time.perf_counter()
    plan = ops.plan(PlanRequest.batch(wave=1, count=25))
    timed(
        f"plan a batch over wave 1 ({len(plan.targets)} chosen, {len(plan.excluded):,} excluded)",
        time.perf_counter() - began,
    )
    samples = store.db.execute("SELECT count(*) FROM metric_samples").fetchone()[0]
    print(f"{'metric samples after one fleet poll and one in-flight poll':<58} {samples:9,}")
    store.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
