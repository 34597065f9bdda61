"""A session: the configuration, the store, who is acting and on which clock.

The console and the headless commands build one of these and talk to the
store and the engine through it, never to a provider.
"""

from __future__ import annotations

from dataclasses import dataclass

from cutover.actions.wiring.composition import store_clock
from cutover.config.loader import LoadedConfig
from cutover.config.settings import Settings
from cutover.model.clock import Clock
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.location import open_store
from cutover.state.store import Store
from cutover.state.tenants import TenantStore


@dataclass
class Session:
    config: LoadedConfig
    store: Store
    actor: Actor
    clock: Clock
    events: EventLog
    tenants: TenantStore

    @property
    def settings(self) -> Settings:
        return self.config.settings

    @classmethod
    def open(
        cls,
        config: LoadedConfig,
        *,
        clock: Clock | None = None,
        create: bool = True,
        in_memory: bool = False,
        read_only: bool = False,
    ) -> Session:
        """Open the configured store; `in_memory` gives an empty throwaway one (for dry runs);
        `read_only` opens the file read-only (commands that only look)."""
        settings = config.settings
        location = ":memory:" if in_memory else settings.state.location
        store = open_store(location, settings.state.busy_timeout, create=create or in_memory, read_only=read_only)
        actor = Actor.current(settings.operator.name)
        # On the simulated fleet everything happens in the world's time (shared through the store).
        clock = clock or store_clock(settings, store)
        events = EventLog(store, actor, clock)
        return cls(config, store, actor, clock, events, TenantStore(store, events))

    def close(self) -> None:
        self.store.close()
