"""The simulated world as the demo and the console see it: open it, set its speed,
load a scenario, describe it, or throw it away for a fresh one."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cutover.actions.wiring.composition import world_options
from cutover.config.settings import Settings
from cutover.model.clock import IDLE_AFTER, Clock
from cutover.model.lifecycle import DomainError
from cutover.providers.sim import OpenedWorld, WorldClock, open_world
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.simworld import SimWorldStore, WorldMissing
from cutover.state.store import Store, StoreError
from cutover.state.tenants import TenantStore

if TYPE_CHECKING:
    from cutover.providers.sim.scenario import LoadedScenario


@dataclass(frozen=True)
class WorldInfo:
    seed: int
    fleet: str  # "generated" or "imported"
    created: bool  # just now
    speed: float | None  # world seconds per wall second; None on a test's clock
    scenario: str
    faults: tuple[str, ...]  # what is injected and where it stands, in words


@dataclass(frozen=True)
class Simulation:
    opened: OpenedWorld
    scenario: LoadedScenario | None

    @property
    def clock(self) -> Clock:
        return self.opened.clock

    def info(self) -> WorldInfo:
        world = self.opened.world
        row = world.db.world()
        world.refresh_faults()  # only what the fault states need: the whole world is the engine's to read
        return WorldInfo(
            seed=row.seed,
            fleet=row.fleet,
            created=self.opened.created,
            speed=self.clock.speed if isinstance(self.clock, WorldClock) else None,
            scenario=row.scenario,
            faults=tuple(f"{fault.label} ({state})" for fault, state in world.fault_states(self.clock.now())),
        )

    async def drive(self) -> None:
        """Keep world time running while this task runs (nothing to do on a test's clock)."""
        if isinstance(self.clock, WorldClock):
            await self.clock.drive()


def open_simulation(
    settings: Settings,
    store: Store,
    *,
    clock: Clock | None = None,
    actor: Actor | None = None,
    scenario: Path | None = None,
    speed: float | None = None,
) -> Simulation:
    """Open (or create) the simulated world, set its speed and load a scenario into it.

    Raises ScenarioError (a ConfigError) with nothing injected if the scenario is bad.
    """
    # Not loaded here: this process's engine (and the headless summaries' providers) build their own world.
    opened = open_world(store, world_options(settings), clock=clock, actor=actor, load=False)
    if speed is not None and isinstance(opened.clock, WorldClock):
        opened.clock.set_speed(speed)
    loaded = None
    if scenario is not None:
        from cutover.providers.sim.scenario import inject_scenario  # pydantic models a run without one never needs

        events = EventLog(store, actor or Actor("simulator", "cutover"), opened.clock)
        tenants = TenantStore(store, events).find()
        loaded = inject_scenario(opened.world, scenario, tenants, opened.clock.now())
    return Simulation(opened, loaded)


class WorldInUse(DomainError):
    pass


def discard_world(path: Path) -> bool:
    """Delete a simulated world's store so the next run starts a fresh one.

    Refuses (WorldInUse) when the store holds anything but a generated world (an
    imported matrix, real work) or while a process is driving the world. Returns
    whether there was a store to delete.
    """
    if not path.exists():
        return False
    try:
        with Store(path, create=False) as store:
            worlds = SimWorldStore(store)
            try:
                world = worlds.world()
            except WorldMissing:
                raise WorldInUse(
                    f"{path}: holds no simulated world (an imported matrix or real work); "
                    "it is not deleted: point state.path elsewhere for the demo"
                ) from None
            if world.fleet != "generated":
                raise WorldInUse(
                    f"{path}: its simulated world runs on an imported matrix; it is not deleted: "
                    "remove it yourself if you mean to"
                )
            clock = WorldClock(store)
            if clock.running:
                raise WorldInUse(
                    f"{path}: a console or demo is driving this world (heartbeat within {IDLE_AFTER:.0f} s); "
                    "stop it first"
                )
    except StoreError as exc:
        raise WorldInUse(str(exc)) from None
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{path}{suffix}")
    return True
