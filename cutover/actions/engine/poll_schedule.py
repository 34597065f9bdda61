"""What every poller shares: when each runs (staggered, each at its interval, a rollback first), the fleet
as last brought up to date (kept_fleet.py), and each source's health with the cadence it is polled at.

The polls themselves, one a role, are `Pollers` (pollers.py)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from itertools import islice
from typing import Any, TypeVar

from cutover.actions.engine.drift import DriftWatch
from cutover.actions.engine.engine_core import ENGINE_STOPS, EngineCore
from cutover.actions.engine.kept_fleet import KeptFleet
from cutover.actions.engine.readiness import ReadinessWatch
from cutover.actions.engine.sync_watch import SyncAfterCutoverWatch
from cutover.actions.engine.trigger_loop import TriggerLoop
from cutover.actions.engine.watch import CheckpointWatch
from cutover.actions.plan.freshness import reporting_delay
from cutover.config.settings import EngineSettings
from cutover.model.jobs import JobKind, JobState, StepName, TargetState
from cutover.model.lifecycle import IN_FLIGHT
from cutover.model.tenant import Tenant
from cutover.providers.ports.errors import ProviderError
from cutover.state.watch import watched

log = logging.getLogger(__name__)

PRUNE_EVERY = 600.0
# Tenants handled between two yields of the event loop (reading 500 tenants from the store, or recording
# 500 tenants' observations, takes about 15-20 ms on a 2-core jump host): what the job runner, and a
# rollback, wait at most behind a poll's step.
YIELD_EVERY = 500
# Wall seconds the pollers wait, at most, for a rollback to make its DNS change before they poll.
ROLLBACK_FIRST_WAIT = 10.0

T = TypeVar("T")


async def paced(items: Iterable[T], every: int = YIELD_EVERY) -> AsyncIterator[T]:
    """The items, letting the loop run other tasks every `every` of them."""
    for count, item in enumerate(items, 1):
        yield item
        if count % every == 0:
            await asyncio.sleep(0)


class PollerBase:
    """The schedule, the fleet and the sources' health; `Pollers` adds the polls."""

    def __init__(self, core: EngineCore, triggers: TriggerLoop, *, judge: bool = True):
        """`judge`: hand each metrics snapshot to the trigger loop (only a leading engine does)."""
        self.core = core
        self.triggers = triggers
        self.judge = judge
        self.kept = KeptFleet(core.tenants, YIELD_EVERY)
        self._fleet_at = float("-inf")
        self._samples_at = float("-inf")
        self._pruned_at = float("-inf")
        self._cadence: dict[str, float] = {}  # source -> the interval last recorded for it
        self.drift = DriftWatch(core)
        self.after_cutover = SyncAfterCutoverWatch(core)
        self.checkpoints = CheckpointWatch(core)
        self.readiness = ReadinessWatch(core)
        self._light_at: dict[str, float] = {}  # role -> when the light part of the watch was last polled
        self.first_cycle = asyncio.Event()  # every poller has polled once: the engine has read the fleet
        self._waited_out: set[str] = set()  # rollbacks the pollers stopped waiting for (see rollbacks_first)

    @property
    def engine(self) -> EngineSettings:
        return self.core.settings.engine

    async def _every(
        self,
        role: str,
        interval: float,
        poll: Callable[[], Awaitable[object]],
        *,
        after: asyncio.Event | None = None,
        first: asyncio.Event | None = None,
    ) -> None:
        if after is not None:
            await after.wait()
        while True:
            try:
                await self.rollbacks_first()
                await poll()
            except ENGINE_STOPS:
                raise
            except ProviderError as error:
                self.source_failed(role, error.source, interval, str(error))
            except Exception as error:  # a bug must not stop the fleet being watched: say so, go on
                log.exception("%s poll failed", role)
                self.source_failed(role, f"{role}-poller", interval, f"{type(error).__name__}: {error}")
            if first is not None:
                first.set()
            await self.core.clock.sleep(interval)

    async def rollbacks_first(self) -> None:
        """Wait (a bounded while) for every rollback the engine has to run to make its DNS change.

        A rollback is the war room's emergency: its DNS change must not queue behind a poll of the whole
        fleet, which has no decision waiting on it. The runner is woken (a rollback submitted by another
        process is found at once), and the poll goes ahead once no rollback still has a DNS change to make,
        or after `ROLLBACK_FIRST_WAIT` (a rollback that waits that long waits on something else: a lock, a
        paused job; the fleet is not left unwatched for it).
        """
        if not self.judge:
            return  # an observer (a command looking once) runs no jobs
        deadline = time.monotonic() + ROLLBACK_FIRST_WAIT
        while True:
            waiting = self._rollbacks_before_dns()
            if not waiting:
                return
            if time.monotonic() >= deadline:
                log.warning("polling on: %s still moving DNS after %.0f s", ", ".join(waiting), ROLLBACK_FIRST_WAIT)
                self._waited_out.update(waiting)
                return
            self.core.wakeup.set()
            await asyncio.sleep(0.02)

    def _rollbacks_before_dns(self) -> list[str]:
        """Rollbacks to run (queued, or running) with a tenant whose DNS change has not been made yet."""
        waiting = []
        for job in self.core.jobs.active():
            if job.kind != JobKind.ROLLBACK or job.job_id in self._waited_out or not self.core.runs(job.job_id):
                continue
            if job.state not in (JobState.QUEUED, JobState.RUNNING):
                continue  # paused or held: it waits for a human, not for the pollers
            changed = {
                step.tenant_id
                for step in self.core.jobs.steps(job.job_id, all_tenants=True)
                if step.name == StepName.DNS_CHANGE and step.ended_at is not None
            }
            targets = self.core.jobs.targets(job.job_id)
            if any(
                t.state in (TargetState.PENDING, TargetState.RUNNING) and t.tenant_id not in changed for t in targets
            ):
                waiting.append(job.job_id)
        return waiting

    async def fleet(self) -> list[Tenant]:
        """Every tenant, brought up to date with the store at most once a fleet interval: read in full the first
        time, then only the rows changed since (kept_fleet.py). Its confirmation times and live metrics figures
        may be old: whatever needs one reads the tenant from the store (see kept_fleet.py)."""
        now = self.core.now()
        if now - self._fleet_at >= self.engine.fleet_interval or not self.kept.tenants:
            await self.kept.refresh()
            self._fleet_at = now
        return self.core.ours(self.kept.tenants)

    async def _observe(self, observed: dict[str, dict[str, Any]]) -> None:
        """Record observations `YIELD_EVERY` tenants per (fenced) transaction, letting the loop run between."""
        # A chunk at a time from the dict itself: no list of 50,000 (ID, observation) pairs kept for the whole
        # poll, for the garbage collector to walk again and again.
        items = iter(observed.items())
        while chunk := dict(islice(items, YIELD_EVERY)):
            with self.core.fenced():
                self.core.tenants.observe_many(chunk)
            if len(observed) > YIELD_EVERY:
                await asyncio.sleep(0)

    async def _observe_rows(self, names: tuple[str, ...], rows: Iterable[tuple[str, tuple[Any, ...]]]) -> None:
        """`_observe` for observations of the same names, each tenant's as (its ID, its values in the order of
        `names`), built as they are recorded, `YIELD_EVERY` tenants per transaction: a whole-fleet poll holds one
        transaction's observations at a time, and no dict a tenant (TenantStore.observe_rows)."""
        items = iter(rows)
        while chunk := list(islice(items, YIELD_EVERY)):
            with self.core.fenced():
                self.core.tenants.observe_rows(names, chunk)
            if len(chunk) == YIELD_EVERY:
                await asyncio.sleep(0)

    def in_flight(self) -> list[Tenant]:
        ids = self.core.facts.tenants_in(IN_FLIGHT)
        return self.core.ours([self.core.tenant(tenant_id) for group in ids.values() for tenant_id in group])

    def watched(self, role: str) -> tuple[list[Tenant], list[Tenant], set[str]]:
        """Migrated tenants under watch: all of them, those `role` polls now (the intensive part of the
        watch always, the rest every `watch.interval`), and the IDs of those it skips this time."""
        watch = self.core.settings.watch
        now = self.core.now()
        tenants = self.core.ours(watched(self.core.store, now, watch))
        light = [t for t in tenants if now >= t.lifecycle_since + watch.intensive]
        heavy = [t for t in tenants if now < t.lifecycle_since + watch.intensive]
        if light and now - self._light_at.get(role, float("-inf")) >= watch.interval:
            self._light_at[role] = now
            return tenants, heavy + light, set()
        return tenants, heavy, {t.tenant_id for t in light}

    def _fleet_due(self, last: float) -> bool:
        return bool(self.core.now() - last >= self.engine.fleet_interval)

    def source_ok(self, role: str, name: str, interval: float, at: float, *, started: float | None = None) -> None:
        """A good poll. The next one comes `interval` after this one ended: the time it took counts too."""
        cadence = interval + (max(0.0, self.core.now() - started) if started is not None else 0.0)
        self._cadence[name] = cadence
        self.core.sources.ok(name, role, cadence, at, reporting_delay_s=reporting_delay(self.core.settings, role))

    def source_idle(self, name: str) -> None:
        """Nothing in flight: the source is next polled with the whole fleet (at most a tick after it is due)."""
        cadence = self.engine.fleet_interval + self.engine.metrics_interval
        if self._cadence.get(name, 0.0) < cadence:
            self._cadence[name] = cadence
            self.core.sources.expect(name, cadence)

    def _cadence_of(self, in_flight: Sequence[Tenant], interval: float) -> float:
        return interval if in_flight else self.engine.fleet_interval + self.engine.metrics_interval

    def source_failed(self, role: str, name: str, interval: float, message: str) -> int:
        health = self.core.sources.error(
            name,
            role,
            self._cadence.get(name, interval),
            self.core.now(),
            message,
            reporting_delay_s=reporting_delay(self.core.settings, role),
        )
        threshold = self.core.settings.triggers.source_errors_before_alert
        if health.consecutive_errors == threshold:
            self.core.alert(
                f"{role} source {name} failing: {health.consecutive_errors} errors in a row: {message}",
                severity="critical" if role == "metrics" else "warning",
                source=name,
                role=role,
            )
        if role == "metrics" and self.judge:
            self.triggers.on_metrics_failure(
                self.in_flight() + self.watched("failure")[0], message, health.consecutive_errors
            )
        return health.consecutive_errors
