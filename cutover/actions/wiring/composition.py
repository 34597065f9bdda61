"""The composition root: providers built from the configuration.

Each role (dns, metrics, sync, health, notifier) names a provider `kind` in
`[providers]`; BUILDERS maps a kind to the function that builds it. The console
reaches providers only through here.

When every role is simulated, the clock to use is the simulated world's (shared
through the store by every process that opens it); otherwise it is the wall
clock. A test passes its own clock and everything runs on that.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from cutover.actions.wiring import real_providers
from cutover.config.loader import ConfigError
from cutover.config.settings import Settings
from cutover.model.clock import Clock, SystemClock
from cutover.providers.ports.errors import ProviderError as ProviderError  # for the CLI, which cannot import providers
from cutover.providers.sim import SimWorld, WorldClock, WorldOptions, open_world
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.simworld import SimWorldStore
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

if TYPE_CHECKING:
    from cutover.providers.ports.bundle import Providers

# The providers (and the ports' bundle, a scenario's loader) are imported when they are built: a process that
# only opens the store and its world's clock (the console, before its first paint) does without them.

T = TypeVar("T")
ROLES = ("dns", "metrics", "sync", "health", "notifier")


@dataclass
class Composition:
    """What builders share while the providers are built."""

    settings: Settings
    store: Store
    clock: Clock
    actor: Actor | None = None
    cache: dict[str, Any] = field(default_factory=dict)

    def world(self) -> SimWorld:
        """The simulated world, opened (and created if new) once for every simulated role,
        with the configured scenario loaded (once: loading it again changes nothing)."""
        if "world" not in self.cache:
            world = open_world(self.store, world_options(self.settings), clock=self.clock, actor=self.actor).world
            scenario = self.settings.simulator.scenario
            if scenario is not None:
                from cutover.providers.sim.scenario import inject_scenario

                events = EventLog(self.store, self.actor or Actor("simulator", "cutover"), self.clock)
                inject_scenario(world, scenario, TenantStore(self.store, events).find(), self.clock.now())
            self.cache["world"] = world
        world_now: SimWorld = self.cache["world"]
        return world_now


ProviderBuilder = Callable[[Composition, str], Any]


def _simulated_classes() -> dict[str, Callable[[SimWorld], Any]]:
    from cutover.providers.sim import SimDns, SimHealth, SimMetrics, SimNotifier, SimSync

    return {"dns": SimDns, "metrics": SimMetrics, "sync": SimSync, "health": SimHealth, "notifier": SimNotifier}


def _simulated(composition: Composition, role: str) -> Any:
    return _simulated_classes()[role](composition.world())


# kind -> builder(composition, role). Real providers register their kinds here.
BUILDERS: dict[str, ProviderBuilder] = {"simulated": _simulated, **real_providers.BUILDERS}


def register(kind: str, builder: ProviderBuilder) -> None:
    BUILDERS[kind] = builder


@dataclass(frozen=True)
class Built:
    providers: Providers
    clock: Clock  # the clock every component of this process must use
    world: SimWorld | None  # the simulated world, when any role is simulated


def world_options(settings: Settings) -> WorldOptions:
    sim = settings.simulator
    return WorldOptions(tenants=sim.tenants, seed=sim.seed, speed=sim.speed, batch=settings.batch.count)


def all_simulated(settings: Settings) -> bool:
    return all(getattr(settings.providers, role).kind == "simulated" for role in ROLES)


def world_clock(settings: Settings, store: Store, *, actor: Actor | None = None) -> Clock:
    """The clock a process should use with these settings, opening the world if it needs one."""
    if not all_simulated(settings):
        return SystemClock()
    opened = open_world(store, world_options(settings), actor=actor, load=False)  # its clock, not its records
    if settings.simulator.virtual_time:
        from cutover.actions.wiring.virtual_clock import VirtualClock

        return VirtualClock(store)
    return opened.clock


def has_world(store: Store) -> bool:
    """The store holds a simulated world."""
    return SimWorldStore(store).has_world()


def store_clock(settings: Settings, store: Store) -> Clock:
    """The clock for what a store holds, creating nothing: its simulated world's clock
    when every role is simulated and the store has a world, else the wall clock."""
    if all_simulated(settings) and SimWorldStore(store).has_world():
        return WorldClock(store)
    return SystemClock()


def build_providers(
    settings: Settings, store: Store, clock: Clock | None = None, *, actor: Actor | None = None
) -> Built:
    """One provider per role, as configured, and the clock to run them on."""
    if clock is None:
        clock = world_clock(settings, store, actor=actor)
    composition = Composition(settings, store, clock, actor)
    built: dict[str, Any] = {}
    for role in ROLES:
        kind = getattr(settings.providers, role).kind
        builder = BUILDERS.get(kind)
        if builder is None:
            raise ConfigError(
                [f"providers.{role}: kind {kind!r} has no provider in this build; available: {', '.join(BUILDERS)}"]
            )
        built[role] = builder(composition, role)
    from cutover.providers.ports.bundle import Providers

    return Built(Providers(**built), clock, composition.cache.get("world"))


async def using_providers(
    settings: Settings,
    store: Store,
    clock: Clock | None,
    use: Callable[[Providers], Awaitable[T]],
    *,
    actor: Actor | None,
) -> T:
    """`use(providers)` on freshly built providers, closed afterwards on the same event loop: a
    provider's HTTP sessions left to the garbage collector print "Unclosed client session"."""
    built = build_providers(settings, store, clock, actor=actor)
    try:
        return await use(built.providers)
    finally:
        await built.providers.aclose()
