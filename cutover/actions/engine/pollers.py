"""Pollers: the leading engine's view of the fleet, written to the store for every console.

Tenants in flight (cutting over, monitoring, rolling back) are polled often:
metrics every `engine.metrics_interval`, DNS every `engine.dns_interval`. The
whole fleet is refreshed less often (`engine.fleet_interval`), and sync status
and backend health fleet-wide at their own intervals. Each poll records its
source's health (state/sources.py) with the cadence it is polled at now (the
in-flight interval, or the fleet interval when nothing is in flight) plus the time
the poll took, and its reporting delay (actions/plan/freshness.py): a healthy source is
never shown stale. A failing source is an alert after a few consecutive errors.
Metric samples (sparklines) are kept every poll for tenants in flight and every
`engine.fleet_samples_interval` for the rest, so 10,000 tenants do not write
20,000 rows every five seconds.

Tenants on OCI (monitoring, migrated) have their rollback readiness measured every
`rollback.readiness_interval` (actions/engine/readiness.py): listings, one tenant at a time.

Migrated tenants under watch (state/watch.py) are polled with the tenants in flight
for the intensive part of their watch and every `watch.interval` after it; the trigger
loop keeps judging them, and their checkpoint is judged when it falls due.

After each metrics snapshot of the tenants in flight, the trigger loop judges it; after
each DNS poll, the drift watch compares every record with the store's intent.

Whole-fleet polls share the engine's event loop with the job runner (and, at 50,000 tenants,
each costs about a second of CPU): they start one after another rather than together, read the
fleet a page at a time and record it `YIELD_EVERY` tenants per transaction, letting other tasks
run in between, so no single step holds the loop for long. Before every poll, a rollback waiting
to move DNS goes first (`rollbacks_first`): a rollback never queues behind a whole-fleet poll.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from cutover.actions.engine.drift import DnsRead, DriftWatch
from cutover.actions.engine.engine_core import ENGINE_STOPS, EngineCore
from cutover.actions.engine.readiness import ReadinessWatch
from cutover.actions.engine.sync_watch import SyncAfterCutoverWatch
from cutover.actions.engine.trigger_loop import TriggerLoop
from cutover.actions.engine.watch import CheckpointWatch
from cutover.actions.plan.dns_names import names_observation, read_every_name, seen_of
from cutover.actions.plan.freshness import reporting_delay
from cutover.config.settings import EngineSettings
from cutover.model.jobs import JobKind, JobState, TargetState
from cutover.model.lifecycle import Lifecycle, SyncHealth
from cutover.model.tenant import Tenant
from cutover.providers.ports.errors import ProviderError
from cutover.providers.ports.metrics import MetricsSnapshot
from cutover.state.samples import Sample
from cutover.state.tenants import ConcurrentChange
from cutover.state.ttl_history import ttl_observation
from cutover.state.watch import watched

log = logging.getLogger(__name__)

IN_FLIGHT = (Lifecycle.CUTTING_OVER, Lifecycle.MONITORING, Lifecycle.ROLLING_BACK)
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


class Pollers:
    def __init__(self, core: EngineCore, triggers: TriggerLoop, *, judge: bool = True):
        """`judge`: hand each metrics snapshot to the trigger loop (only a leading engine does)."""
        self.core = core
        self.triggers = triggers
        self.judge = judge
        self._fleet: list[Tenant] = []
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

    async def run(self) -> None:
        rollback = self.core.settings.rollback
        polls: list[tuple[str, float, Callable[[], Awaitable[object]]]] = [
            ("metrics", self.engine.metrics_interval, self.poll_metrics),
            ("dns", self.engine.dns_interval, self.poll_dns),
            ("sync", self.engine.sync_interval, self.poll_sync),
            ("health", self.engine.health_interval, self.poll_health),
            ("readiness", rollback.readiness_interval, self.readiness.poll),
        ]
        firsts = [asyncio.Event() for _ in polls[:-1]] + [self.first_cycle]
        async with asyncio.TaskGroup() as group:
            # Staggered: each starts once the one before has done its first (whole-fleet) poll, so the
            # four whole-fleet polls of a new leader do not all land on the loop in the same second.
            for number, (role, interval, poll) in enumerate(polls):
                before = firsts[number - 1] if number else None
                group.create_task(self._every(role, interval, poll, after=before, first=firsts[number]))

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
            if job.kind != JobKind.ROLLBACK or job.job_id in self._waited_out:
                continue
            if job.state not in (JobState.QUEUED, JobState.RUNNING):
                continue  # paused or held: it waits for a human, not for the pollers
            changed = {
                step.tenant_id
                for step in self.core.jobs.steps(job.job_id, all_tenants=True)
                if step.name == "dns_change" and step.ended_at is not None
            }
            targets = self.core.jobs.targets(job.job_id)
            if any(
                t.state in (TargetState.PENDING, TargetState.RUNNING) and t.tenant_id not in changed for t in targets
            ):
                waiting.append(job.job_id)
        return waiting

    # --- what to poll --------------------------------------------------------------------------

    async def fleet(self) -> list[Tenant]:
        """Every tenant, re-read from the store at most once a fleet interval (a page at a time)."""
        now = self.core.now()
        if now - self._fleet_at >= self.engine.fleet_interval or not self._fleet:
            fleet: list[Tenant] = []
            for page in self.core.tenants.pages(YIELD_EVERY):
                fleet.extend(page)
                await asyncio.sleep(0)
            self._fleet = fleet
            self._fleet_at = now
        return self._fleet

    async def _observe(self, observed: dict[str, dict[str, Any]]) -> None:
        """Record observations `YIELD_EVERY` tenants per (fenced) transaction, letting the loop run between."""
        items = list(observed.items())
        for start in range(0, len(items), YIELD_EVERY):
            with self.core.fenced():
                self.core.tenants.observe_many(dict(items[start : start + YIELD_EVERY]))
            if len(items) > YIELD_EVERY:
                await asyncio.sleep(0)

    def in_flight(self) -> list[Tenant]:
        ids = self.core.facts.tenants_in(IN_FLIGHT)
        return [self.core.tenant(tenant_id) for group in ids.values() for tenant_id in group]

    def watched(self, role: str) -> tuple[list[Tenant], list[Tenant], set[str]]:
        """Migrated tenants under watch: all of them, those `role` polls now (the intensive part of the
        watch always, the rest every `watch.interval`), and the IDs of those it skips this time."""
        watch = self.core.settings.watch
        now = self.core.now()
        tenants = watched(self.core.store, now, watch)
        light = [t for t in tenants if now >= t.lifecycle_since + watch.intensive]
        heavy = [t for t in tenants if now < t.lifecycle_since + watch.intensive]
        if light and now - self._light_at.get(role, float("-inf")) >= watch.interval:
            self._light_at[role] = now
            return tenants, heavy + light, set()
        return tenants, heavy, {t.tenant_id for t in light}

    def _fleet_due(self, last: float) -> bool:
        return bool(self.core.now() - last >= self.engine.fleet_interval)

    # --- health of sources ---------------------------------------------------------------------

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

    # --- metrics -------------------------------------------------------------------------------

    _metrics_fleet_at = float("-inf")

    async def poll_metrics(self) -> None:
        provider = self.core.providers.metrics
        everyone, watching, skipped = self.watched("metrics")
        in_flight = self.in_flight() + watching
        whole = self._fleet_due(self._metrics_fleet_at)
        tenants = await self.fleet() if whole else in_flight
        if not tenants:
            self.source_idle(provider.source)
            return
        started = self.core.now()
        snapshot = await provider.snapshot(tenants)
        interval = self._cadence_of(in_flight, self.engine.metrics_interval)
        failed_sides = (snapshot.aws is None) + (snapshot.oci is None)
        if snapshot.errors:
            self.source_failed("metrics", provider.source, interval, "; ".join(snapshot.errors))
        else:
            self.source_ok("metrics", provider.source, interval, snapshot.taken_at, started=started)
        if failed_sides == 2:
            return
        if whole:
            self._metrics_fleet_at = self.core.now()
        await self._record_metrics(snapshot, tenants, in_flight, whole)
        latest = {t.tenant_id: snapshot.tenant(t.tenant_id) for t in in_flight}
        self.core.metrics = {tenant_id: m for tenant_id, m in latest.items() if m is not None}
        if not snapshot.errors and self.judge:
            self.triggers.on_snapshot(snapshot, in_flight, skipped=skipped)
            self.checkpoints.check(everyone)

    async def _record_metrics(
        self, snapshot: MetricsSnapshot, tenants: Sequence[Tenant], in_flight: Sequence[Tenant], whole: bool
    ) -> None:
        live: dict[str, dict[str, Any]] = {}
        samples: list[Sample] = []
        now = self.core.now()
        keep_all_samples = now - self._samples_at >= self.engine.fleet_samples_interval
        sampled = {t.tenant_id for t in (tenants if keep_all_samples else in_flight)}
        async for tenant in paced(tenants):
            metrics = snapshot.tenant(tenant.tenant_id)
            if metrics is None or metrics.measured_at is None:
                continue  # no figure: keep the last one and its age (the gate calls it stale), never blank it
            live[tenant.tenant_id] = {
                "observed_oci_share": metrics.oci_share,
                "requests": metrics.requests,
                "error_rate": metrics.error_rate,
                "p95_ms": metrics.p95_ms,
                "metrics_at": metrics.measured_at,
            }
            if tenant.tenant_id in sampled:
                for side, figures in (("aws", metrics.aws), ("oci", metrics.oci)):
                    if figures is not None:
                        samples.append(
                            Sample(
                                tenant.tenant_id,
                                side,
                                figures.measured_at,
                                figures.requests,
                                figures.errors,
                                figures.p95_ms,
                                figures.source,
                            )
                        )
        # Short transactions rather than one long one: other writers (a console's job) wait less.
        await self._observe(live)
        for start in range(0, len(samples), 2 * YIELD_EVERY):
            with self.core.fenced():
                self.core.samples.add(samples[start : start + 2 * YIELD_EVERY])
            if len(samples) > 2 * YIELD_EVERY:
                await asyncio.sleep(0)
        if keep_all_samples and whole:
            self._samples_at = now
        if now - self._pruned_at >= PRUNE_EVERY:
            self.core.samples.prune(now, self.core.settings.state.sample_retention)
            self._pruned_at = now

    # --- DNS -----------------------------------------------------------------------------------

    _dns_fleet_at = float("-inf")

    async def poll_dns(self) -> None:
        provider = self.core.providers.dns
        whole = self._fleet_due(self._dns_fleet_at)
        in_flight = self.in_flight() + self.watched("dns")[1]
        tenants = await self.fleet() if whole else in_flight
        if not tenants:
            self.source_idle(provider.source)
            return
        started = self.core.now()
        records, several = await read_every_name(provider, tenants)
        if whole:
            self._dns_fleet_at = self.core.now()
        by_id = {tenant.tenant_id: tenant for tenant in tenants}
        assume = self.core.settings.dns.assume_previous_ttl
        observed = {
            tenant_id: {
                "dns_oci_share": record.routing.oci_share(by_id[tenant_id].aws_target, by_id[tenant_id].oci_target),
                "dns_routing": record.describe(),
                "dns_at": record.measured_at,
                **ttl_observation(by_id[tenant_id], record.routing.ttl, record.measured_at, assume_previous=assume),
            }
            async for tenant_id, record in paced(records.items())
            if tenant_id in by_id
        }
        now = self.core.now()
        for tenant_id, named in several.items():
            if named and tenant_id in by_id:
                observed[tenant_id] = names_observation(
                    by_id[tenant_id], seen_of(by_id[tenant_id], named, now), assume_previous=assume
                )
        await self._observe(observed)
        interval = self._cadence_of(in_flight, self.engine.dns_interval)
        self.source_ok("dns", provider.source, interval, self.core.now(), started=started)
        if self.judge:
            found = {tenant_id: DnsRead(o["dns_oci_share"], o["dns_routing"]) for tenant_id, o in observed.items()}
            self.drift.check(tenants, found)

    # --- sync and backends (whole fleet) ----------------------------------------------------------

    async def poll_sync(self) -> None:
        provider = self.core.providers.sync
        tenants = await self.fleet()
        if not tenants:
            return
        started = self.core.now()
        statuses = await provider.status(tenants)
        observed = {
            tenant_id: {
                "sync_health": status.health,
                "sync_percent": status.percent,
                "sync_eta_s": _finite(status.eta_s),
                "sync_lag_s": status.lag_s,
                "pending_objects": status.pending_objects,
                "pending_bytes": status.pending_bytes,
                "checksum_mismatches": status.checksum_mismatches,
                "last_pass_at": status.last_pass_at,
                "observed_at": status.measured_at,
            }
            async for tenant_id, status in paced(statuses.items())
        }
        await self._observe(observed)
        self.source_ok("sync", provider.source, self.engine.sync_interval, self.core.now(), started=started)
        if self.judge:
            await self._initial_copies_done(statuses)
            self.after_cutover.check(tenants)

    async def _initial_copies_done(self, statuses: dict[str, Any]) -> None:
        """A syncing tenant whose initial copy is done (continuous sync runs) moves on to validating."""
        syncing = self.core.facts.tenants_in([Lifecycle.SYNCING])[Lifecycle.SYNCING]
        # Each move is its own transaction with its audit event (about 0.5 ms): a yield every 50 of them.
        async for tenant_id in paced(syncing, every=50):
            status = statuses.get(tenant_id)
            if status is None or status.health is not SyncHealth.CONTINUOUS:
                continue
            with self.core.fenced():
                try:
                    self.core.tenants.transition(
                        tenant_id,
                        Lifecycle.VALIDATING,
                        why="initial sync complete: continuous sync running",
                        expect=Lifecycle.SYNCING,
                    )
                except ConcurrentChange:
                    continue  # moved by someone else meanwhile

    async def poll_health(self) -> None:
        provider = self.core.providers.health
        tenants = await self.fleet()
        if not tenants:
            return
        started = self.core.now()
        found = await provider.backends(tenants)
        observed = {
            tenant_id: {
                "backends_healthy": health.healthy,
                "backends_total": health.total,
                "health_at": health.measured_at,
                **({"hydrated_at": health.hydrated_at} if health.hydrated_at is not None else {}),
            }
            async for tenant_id, health in paced(found.items())
        }
        await self._observe(observed)
        self.source_ok("health", provider.source, self.engine.health_interval, self.core.now(), started=started)


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isinf(value) or math.isnan(value) else value
