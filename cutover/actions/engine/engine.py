"""The engine: one object that, while it holds the war room's lease, runs the pollers,
the trigger loop, the job runner and the notifier's outbox as asyncio tasks.

    engine = Engine(settings, actor=actor)              # builds its own store connection and providers
    engine.start_in_thread()                             # the console: its own thread and event loop
    engine.status()                                      # leading / following (who leads) / stopped
    engine.stop()                                        # cancels its tasks, hands the lease over (< 2 s)

    await engine.run(stop_when=lambda: ...)              # headless commands and tests: in the foreground

Only one engine per store leads (state/leases.py: heartbeat on wall time, expiry
after `engine.lease_ttl`). The others follow: they keep trying to take the lease
and take over, resuming the dead leader's jobs, when it expires. Consoles that
follow still submit jobs; the leader picks them up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cutover.actions.engine.engine_core import EngineCore
from cutover.actions.engine.gc_freeze import freeze_after_start_up, freeze_rebuilt
from cutover.actions.engine.notify import Outbox
from cutover.actions.engine.pollers import Pollers
from cutover.actions.engine.runner import JobRunner
from cutover.actions.engine.store_waker import StoreWaker
from cutover.actions.engine.trigger_loop import TriggerLoop
from cutover.config.settings import Settings
from cutover.model.clock import Clock
from cutover.providers.ports.bundle import Providers
from cutover.providers.ports.notify import Notification, Severity
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.job_records import LeaseLost
from cutover.state.leases import Lease, LeaseGuard, LeaseKeeper, LeaseStore
from cutover.state.location import open_store
from cutover.state.store import Store, StoreBusy, StoreError, StoreFull, StoreGone

if TYPE_CHECKING:
    from cutover.actions.engine.prometheus_export import MetricsServer

log = logging.getLogger(__name__)

Builder = Callable[[Settings, Store, Clock | None], tuple[Providers, Clock]]


@dataclass(frozen=True)
class EngineStatus:
    state: str  # starting, leading, following, stopped
    holder: str  # this engine's id
    leader: str  # who leads, in words ("" when nobody does)
    error: str = ""
    # Why this engine cannot lead its war room although nobody does: another war room, whose part of the fleet
    # overlaps this one's, leads ("" otherwise).
    overlapping: str = ""


class _Stop(Exception):
    pass


def _leaf(group: BaseException, kind: type[BaseException]) -> BaseException:
    """The first exception of `kind` inside (nested) exception groups."""
    if isinstance(group, BaseExceptionGroup):
        for inner in group.exceptions:
            found = _leaf(inner, kind)
            if isinstance(found, kind) and not isinstance(found, BaseExceptionGroup):
                return found
    return group


def build_from_settings(settings: Settings, store: Store, clock: Clock | None) -> tuple[Providers, Clock]:
    """The configured providers (the composition root) over the engine's own store connection."""
    from cutover.actions.wiring.composition import build_providers

    built = build_providers(settings, store, clock)
    return built.providers, built.clock


class Engine:
    def __init__(
        self,
        settings: Settings,
        *,
        actor: Actor,
        store: Store | None = None,
        providers: Providers | None = None,
        clock: Clock | None = None,
        build: Builder | None = None,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        """Give `store`, `providers` and `clock` (tests), or let the engine open the configured
        store and `build` providers itself (in the thread it runs in)."""
        self.settings = settings
        self.actor = actor
        self.store = store
        self.providers = providers
        self.clock = clock
        self.build = build
        self.wall = wall
        self.monotonic = monotonic
        self.lost_lease = ""  # why this engine lost its lease while leading, if it did
        self.fleet_observed = False  # while leading, every whole-fleet poller has polled once
        self.metrics_url = ""  # where its Prometheus metrics are served while it leads, if configured
        self.store_gone = ""  # the store's file was deleted or replaced under it: why it stopped
        self._stopped_acting = ""  # why it last stopped acting (its guard or a fenced write said so)
        self._full_since: float | None = None  # monotonic time the store's disk was found full
        self.holder = f"{actor.host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._state = "starting"
        self._leader = ""
        self._error = ""
        self._overlapping = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._core: EngineCore | None = None
        self._owns_store = store is None

    # --- status and control, from any thread -------------------------------------------------

    def status(self) -> EngineStatus:
        return EngineStatus(self._state, self.holder, self._leader, self._error, self._overlapping)

    @property
    def leading(self) -> bool:
        return self._state == "leading"

    def wake(self, *_: Any) -> None:
        """A job was submitted or controlled in this process: look at the store now."""
        core, loop = self._core, self._loop
        if core is not None and loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(core.wakeup.set)

    def request_stop(self) -> None:
        loop, event = self._loop, self._stop_event
        if loop is not None and event is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)

    def start_in_thread(self) -> None:
        """Run in a thread of its own with its own event loop (the console's way)."""
        if self._thread is not None:
            raise RuntimeError("this engine already runs")
        self._thread = threading.Thread(target=lambda: asyncio.run(self.run()), name="cutover-engine", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop the thread: cancel the tasks, hand the lease over. True when it stopped in time."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    # --- running ----------------------------------------------------------------------------------

    async def run(self, *, stop_when: Callable[[], bool] | None = None) -> None:
        """Lead when possible, follow otherwise, until stopped (or `stop_when` says so)."""
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        store = self.store or open_store(self.settings.state.location, self.settings.state.busy_timeout)
        builds_providers = self.providers is None
        try:
            providers, clock = self._providers(store)
            room = self.settings.war_room.room()
            leases = LeaseStore(store, self.wall, name=room.lease)
            engine = self.settings.engine
            while not self._stop_event.is_set():
                if stop_when is not None and stop_when():
                    break
                try:
                    store.check_identity()
                except StoreGone as gone:
                    await self._store_gone(gone, providers)
                    break
                try:
                    lease, holder = leases.acquire(
                        self.holder,
                        self._info(),
                        engine.lease_ttl,
                        conflicts=lambda other: room.overlaps(other.war_room),
                    )
                except StoreFull as full:
                    await self._hold_for_room(full, providers)
                    continue
                except (sqlite3.OperationalError, StoreBusy) as busy:  # locked longer than we wait
                    self._error = f"cannot reach the store: {busy}"
                    await self._pause(engine.heartbeat)
                    continue
                if lease is None:
                    self._state = "following"
                    self._leader = holder.describe(self.wall()) if holder else ""
                    overlapping = ""
                    if holder is not None and holder.name != room.lease:
                        other = holder.war_room
                        self._leader = ""
                        overlapping = f"{other.title} leads an overlapping part"  # short: the header says it
                        if overlapping != self._overlapping:  # once, not at every try
                            log.warning(
                                "engine %s cannot lead %s: %s leads (%s) and their parts overlap",
                                self.holder,
                                room.describe(),
                                other.describe(),
                                holder.describe(self.wall()),
                            )
                    self._overlapping = overlapping
                    if self._stopped_acting:  # we stopped on a lost lease, and indeed another engine leads
                        self.lost_lease = self.lost_lease or self._stopped_acting
                    await self._pause(engine.heartbeat)
                    continue
                self._stopped_acting = self._overlapping = ""
                if self._full_since is not None:
                    self._room_again(store, clock)
                try:
                    await self._lead(store, providers, clock, leases, lease, holder, stop_when)
                except LeaseLost as lost:
                    log.warning("engine %s stopped acting: %s", self.holder, lost)
                    self._state = "following"
                    self._error = self._stopped_acting = str(lost)
                except StoreFull as full:
                    await self._hold_for_room(full, providers)
                    continue
                if self._error and not self._stop_event.is_set():
                    await self._pause(engine.heartbeat)  # after a failure, never spin
        finally:
            self._state = "stopped"
            self._core = None
            if builds_providers and self.providers is not None:
                # Their HTTP sessions (aiohttp under aioboto3, httpx) close on this loop, before it ends:
                # otherwise SIGTERM during a flip prints "Unclosed client session" once per client.
                try:
                    await self.providers.aclose()
                except Exception:
                    log.warning("engine %s: closing the providers failed", self.holder, exc_info=True)
                self.providers = None
            if self._owns_store:
                store.close()

    async def _hold_for_room(self, full: StoreFull, providers: Providers) -> None:
        """The store's disk is full: hold every job (nothing runs, nothing is lost) until writes work again."""
        self._state = "following"
        self._error = f"holding every job: {full}"
        if self._full_since is None:
            self._full_since = time.monotonic()
            log.critical("engine %s holds every job: %s", self.holder, full)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    providers.notifier.post(
                        Notification(
                            f"cutover engine holds every job: {full}. Free disk space beside the store; "
                            "jobs go on from their last recorded step",
                            Severity.CRITICAL,
                        )
                    ),
                    10,
                )
        await self._pause(self.settings.engine.heartbeat)

    def _room_again(self, store: Store, clock: Clock) -> None:
        held = time.monotonic() - (self._full_since or time.monotonic())
        self._full_since = None
        EventLog(store, self.actor, clock).append(
            "alert",
            f"the store's disk was full for {held:.0f} s: the engine held every job and leads again; "
            "jobs go on from their last recorded step",
            detail={"severity": "warning", "source": "engine"},
        )

    async def _store_gone(self, gone: StoreGone, providers: Providers) -> None:
        """Stop for good and say so where it can still be heard: the log, the notifier, `status()`."""
        self.store_gone = self._error = str(gone)
        self.lost_lease = ""
        log.critical("engine %s stops: %s", self.holder, gone)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                providers.notifier.post(Notification(f"cutover engine stopped: {gone}", Severity.CRITICAL)), 10
            )

    def _providers(self, store: Store) -> tuple[Providers, Clock]:
        if self.providers is not None and self.clock is not None:
            return self.providers, self.clock
        providers, clock = (self.build or build_from_settings)(self.settings, store, self.clock)
        self.providers, self.clock = providers, clock
        return providers, clock

    def _info(self) -> dict[str, Any]:
        return {
            "war_room": self.settings.war_room.room().to_json(),
            "operator": self.actor.operator,
            "host": self.actor.host,
            "pid": os.getpid(),
            "ssh_client": self.actor.ssh_client,
        }

    async def _pause(self, seconds: float) -> None:
        assert self._stop_event is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_event.wait(), seconds)

    async def _lead(
        self,
        store: Store,
        providers: Providers,
        clock: Clock,
        leases: LeaseStore,
        lease: Lease,
        previous: Lease | None,
        stop_when: Callable[[], bool] | None,
    ) -> None:
        events = EventLog(store, self.actor, clock)
        guard = LeaseGuard(leases, self.holder, lease.epoch, self.settings.engine.lease_ttl, self.monotonic)
        core = EngineCore(
            self.settings, store, events, providers, clock, self.holder, leases.fence(self.holder, lease.epoch), guard
        )
        if previous is not None and previous.holder != self.holder and not previous.released:
            events.append(
                "engine.takeover",
                f"engine {self.holder} took over from {previous.holder}, whose lease expired",
                detail={"previous": previous.holder_info, "expired_at": previous.expires_at, "epoch": lease.epoch},
            )
        else:
            after = f" after {previous.holder}" if previous is not None and previous.holder != self.holder else ""
            events.append("engine.lead", f"engine {self.holder} leads{after}", detail={"epoch": lease.epoch})
        log.info("engine %s leads (lease epoch %d)", self.holder, lease.epoch)
        self._core = core
        self._state, self._leader, self._error = "leading", "this engine", ""
        triggers = TriggerLoop(core)
        runner = JobRunner(core)
        virtual = getattr(clock, "virtual", False)
        if virtual:
            clock.resync()  # type: ignore[attr-defined]  # carry on from where the last leader left the world
        metrics = self._serve_metrics(core, events)
        lost = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_lost() -> None:
            with contextlib.suppress(RuntimeError):  # the loop already closed: nobody is left to tell
                loop.call_soon_threadsafe(lost.set)

        # The heartbeat runs in a thread of its own, never behind a poll on this loop (see LeaseKeeper).
        cause = ""  # why the lease was lost, if it was
        keeper = LeaseKeeper(leases, guard, self.settings.engine.heartbeat, on_lost, self.monotonic).start()

        def wake_runner() -> None:
            with contextlib.suppress(RuntimeError):  # the loop already closed: nobody is left to wake
                loop.call_soon_threadsafe(core.wakeup.set)

        waker = StoreWaker(store, wake_runner).start()  # on PostgreSQL: another host's submission, at once
        try:
            async with asyncio.TaskGroup() as group:
                if virtual:
                    group.create_task(clock.autojump())  # type: ignore[attr-defined]
                group.create_task(self._keep_lease(keeper, lost))
                pollers = Pollers(core, triggers)
                # What start-up loaded first (modules, settings, providers), then the copy of the fleet as it is
                # built: a full collection during the first read walked it all (90-130 ms at 50,000).
                freeze_rebuilt(f"engine {self.holder}", 0)
                pollers.kept.on_rebuilt = lambda built: freeze_rebuilt(f"engine {self.holder}", built)
                group.create_task(pollers.run())
                group.create_task(self._freeze_after(pollers.first_cycle))
                group.create_task(runner.run())
                group.create_task(Outbox(core).run())
                group.create_task(self._watch_stop(stop_when))
        except* _Stop:
            pass
        except* LeaseLost as group_lost:
            leaf = _leaf(group_lost, LeaseLost)
            cause = str(leaf)
            self._lease_lost_alert(events, leaf, keeper)
            raise leaf from None
        except* StoreFull as full:
            raise _leaf(full, StoreFull) from None
        except* Exception as failed:
            # A bug must not leave the war room without an engine: say so, hand over, try again.
            error = _leaf(failed, Exception)
            log.error("engine %s stopped leading on an error", self.holder, exc_info=error)
            self._error = f"{type(error).__name__}: {error}"
            with contextlib.suppress(Exception):
                events.append(
                    "alert",
                    f"engine {self.holder} stopped leading on an error: {self._error}",
                    detail={"severity": "critical", "source": "engine"},
                )
        finally:
            keeper.stop()
            waker.stop()
            self._core = None
            if metrics is not None:
                metrics.stop()
                self.metrics_url = ""
            try:
                released = leases.release(self.holder, lease.epoch)
                if released:
                    events.append("engine.release", f"engine {self.holder} handed the lease over")
            except StoreError as unreachable:  # full or locked: the lease expires on its own
                log.warning("engine %s could not hand the lease over: %s", self.holder, unreachable)
                released = True
            if not released and not self.lost_lease:
                # Not ours to release: another engine took it over while this one was stalled.
                self.lost_lease = cause or "another engine took the lease over while this one was stalled"

    def _serve_metrics(self, core: EngineCore, events: EventLog) -> MetricsServer | None:
        """Prometheus metrics while this engine leads, if configured; a taken port is an alert, not a stop."""
        bind = self.settings.engine.metrics_bind
        if bind is None:
            return None
        from cutover.actions.engine.prometheus_export import FleetCollector, serve_metrics  # only when configured

        collector = FleetCollector(core.store, self.settings, core.clock, core.tenants, core.jobs)
        try:
            served = serve_metrics(collector, *bind)
        except OSError as exc:
            events.append(
                "alert",
                f"engine {self.holder} cannot serve metrics on {bind[0]}:{bind[1]}: {exc}",
                detail={"severity": "warning", "source": "engine"},
            )
            return None
        self.metrics_url = served.url
        return served

    async def _keep_lease(self, keeper: LeaseKeeper, lost: asyncio.Event) -> None:
        """Wait for the keeper's thread to say the lease is lost, and stop leading with its reason."""
        await lost.wait()
        failure = keeper.failure or LeaseLost("the lease's heartbeat stopped")
        raise failure

    def _lease_lost_alert(self, events: EventLog, lost: BaseException, keeper: LeaseKeeper) -> None:
        """A lost lease is an alert for every console, with its cause and how late the renewals were."""
        if self._stop_event is not None and self._stop_event.is_set():
            return
        text = f"engine {self.holder} lost the war room's lease and stopped acting: {lost}; "
        text += keeper.describe_renewals()
        log.error("%s", text)
        with contextlib.suppress(Exception):  # the store may be why (deleted, full): the log has it then
            events.append(
                "alert",
                text,
                detail={
                    "severity": "critical",
                    "source": "engine",
                    "cause": str(lost),
                    "since_renewal_s": round(keeper.since_renewal(), 3),
                    "longest_gap_s": round(keeper.longest_gap, 3),
                    "lease_ttl_s": keeper.guard.ttl,
                },
            )

    async def _freeze_after(self, read_the_fleet: asyncio.Event) -> None:
        """Once this engine leads and has read the fleet, keep what it loaded out of the collector's way:
        a full collection then walks only what is new, not the 50,000 tenants (see actions/engine/gc_freeze.py)."""
        self.fleet_observed = False
        await read_the_fleet.wait()
        self.fleet_observed = True
        freeze_after_start_up(f"engine {self.holder}")

    async def _watch_stop(self, stop_when: Callable[[], bool] | None) -> None:
        assert self._stop_event is not None
        while not self._stop_event.is_set():
            if stop_when is not None and stop_when():
                break
            await self._pause(0.2)
        raise _Stop()
