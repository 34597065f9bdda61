"""The simulated fleet in tests: a world in a real store, on a driven clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cutover.actions.wiring.composition import build_providers
from cutover.config.settings import Settings, SimulatorSettings
from cutover.model.clock import ManualClock
from cutover.model.tenant import Tenant
from cutover.providers.ports.bundle import Providers
from cutover.providers.sim import WorldOptions, open_world
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.store import Store
from cutover.state.tenants import TenantStore


@dataclass
class Simulated:
    """A simulated world in a test's store, on the test's ManualClock."""

    store: Store
    clock: ManualClock
    providers: Providers
    world: Any  # cutover.providers.sim.SimWorld
    tenants: TenantStore

    def fleet(self) -> list[Tenant]:
        return self.tenants.find()

    def tenant(self, tenant_id: str) -> Tenant:
        return self.tenants.get(tenant_id)

    def in_state(self, lifecycle: str) -> list[Tenant]:
        return self.tenants.find(lifecycle=lifecycle)


def build_simulated(
    store: Store,
    clock: ManualClock,
    actor: Actor,
    *,
    size: int = 300,
    seed: int = 7,
    ambient_faults: bool = False,
    seed_night: bool = True,
) -> Simulated:
    options = WorldOptions(tenants=size, seed=seed, ambient_faults=ambient_faults, seed_night=seed_night)
    opened = open_world(store, options, clock=clock, actor=actor)
    settings = Settings(simulator=SimulatorSettings(tenants=size, seed=seed))
    providers = build_providers(settings, store, clock, actor=actor).providers
    return Simulated(store, clock, providers, opened.world, TenantStore(store, EventLog(store, actor, clock)))


def fresh_world(tmp_path_factory: Any, size: int = 80, seed: int = 7) -> Simulated:
    """A new world in a new store, for property tests: each example starts from the same night."""
    store = Store(tmp_path_factory.mktemp("world") / "cutover.db")
    return build_simulated(store, ManualClock(), Actor("alice", "jump-1"), size=size, seed=seed)
