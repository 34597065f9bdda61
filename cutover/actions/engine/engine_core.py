"""What the leading engine's tasks share: the store (fenced), providers, clock, and
the latest trigger verdicts.

Only the lease holder builds one of these. Every write it makes while running
jobs goes through the fence, so an engine that lost its lease stops at its next
write instead of writing over its successor.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from cutover.actions.plan.triggers import TenantVerdict
from cutover.config.settings import Settings
from cutover.model.clock import Clock
from cutover.model.tenant import Tenant
from cutover.providers.ports.bundle import Providers
from cutover.providers.ports.metrics import TenantMetrics
from cutover.state.events import EventLog
from cutover.state.facts import ALERT, Facts, TriggerStatusStore
from cutover.state.job_records import LeaseLost
from cutover.state.jobs import JobStore
from cutover.state.leases import LeaseGuard
from cutover.state.samples import SampleStore
from cutover.state.sources import SourceStore
from cutover.state.store import Store, StoreFull
from cutover.state.tenants import TenantStore

# What stops an engine's task outright, never recorded as a tenant's or a job's failure: the lease
# passed on (or the store vanished), the store's disk is full (the engine holds everything until
# there is room), or the task was cancelled.
ENGINE_STOPS: tuple[type[BaseException], ...] = (LeaseLost, StoreFull, asyncio.CancelledError)


class Wakeup:
    """Wakes the job runner early: a job was submitted or controlled in this process."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def set(self) -> None:
        self._event.set()

    async def wait(self, timeout: float) -> None:
        """Wait for a wake-up or `timeout` WALL seconds (the store is polled for other processes' jobs).

        asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that arrives as the event
        is set, and the runner would then go on for ever after the engine was told to stop (seen once wake-ups
        came from another thread: store_waker.py)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._event.wait()
        self._event.clear()


@dataclass
class EngineCore:
    settings: Settings
    store: Store
    events: EventLog
    providers: Providers
    clock: Clock
    holder: str  # this engine's id in the lease
    fence: Any  # Callable[[sqlite_utils.Database], None]
    lease: LeaseGuard | None = None  # None for a core that never acts outside the store (an observer)
    wakeup: Wakeup = field(default_factory=Wakeup)
    verdicts: dict[str, TenantVerdict] = field(default_factory=dict)
    metrics: dict[str, TenantMetrics] = field(default_factory=dict)  # the last snapshot, per tenant in flight
    _mutexes: dict[str, asyncio.Lock] = field(default_factory=dict)
    admission: asyncio.Lock = field(default_factory=asyncio.Lock)
    _pace_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _last_change_at: float = float("-inf")

    def __post_init__(self) -> None:
        self.war_room = self.settings.war_room.room()  # the part of the fleet this engine acts on
        self.tenants = TenantStore(self.store, self.events)
        self.jobs = JobStore(self.store, self.events, fence=self.fence)
        self.facts = Facts(self.store)
        self.sources = SourceStore(self.store)
        self.samples = SampleStore(self.store)
        self.trigger_status = TriggerStatusStore(self.store)

    @contextlib.contextmanager
    def fenced(self) -> Iterator[sqlite_utils.Database]:
        """One write transaction that fails (LeaseLost) if this engine no longer leads."""
        with self.store.write() as db:
            self.fence(db)
            yield db

    @property
    def epoch(self) -> int:
        return self.lease.epoch if self.lease is not None else 0

    def before_side_effect(self) -> None:
        """Right before a change outside the store (DNS, a sync, a re-hydration): raise LeaseLost unless
        this engine surely still leads."""
        if self.lease is not None:
            self.lease.check()

    @contextlib.asynccontextmanager
    async def tenant_mutex(self, tenant_ids: Sequence[str]) -> AsyncIterator[None]:
        """Serialise DNS reads-and-changes per tenant inside this engine (a rollback against a cutover)."""
        locks = [self._mutexes.setdefault(tenant_id, asyncio.Lock()) for tenant_id in sorted(set(tenant_ids))]
        async with contextlib.AsyncExitStack() as stack:
            for lock in locks:
                await stack.enter_async_context(lock)
            yield

    def tenant(self, tenant_id: str) -> Tenant:
        return self.tenants.get(tenant_id)

    def ours(self, tenants: list[Tenant]) -> list[Tenant]:
        """Those of `tenants` in this engine's war room's part of the fleet (all of them, with one war room)."""
        room = self.war_room
        return tenants if room.whole_fleet else [tenant for tenant in tenants if room.holds(tenant)]

    def runs(self, job_id: str) -> bool:
        """The job is this war room's: every tenant it targets is in its part of the fleet."""
        return not self.tenants.outside(self.war_room, self.jobs.get(job_id).targets)

    def alert(
        self,
        text: str,
        *,
        severity: str = "warning",
        source: str = "engine",
        tenant_id: str | None = None,
        job_id: str | None = None,
        **detail: Any,
    ) -> None:
        """An alert for every console (an event of kind `alert`) and for the notifier."""
        self.events.append(
            ALERT,
            text,
            tenant_id=tenant_id,
            job_id=job_id,
            detail={"severity": severity, "source": source, **detail},
        )

    def now(self) -> float:
        return self.clock.now()

    async def dns_pace(self) -> None:
        """Space DNS change requests under the DNS API's rate limit (Route 53: 5 a second per account)."""
        async with self._pace_lock:
            wait = self._last_change_at + 1.0 / self.settings.dns.change_rate - self.clock.now()
            if wait > 0:
                await self.clock.sleep(wait)
            self._last_change_at = self.clock.now()
