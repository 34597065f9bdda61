"""Pollers: the leading engine's view of the fleet, written to the store for every console.

Tenants in flight (cutting over, monitoring, rolling back) are polled often:
metrics every `engine.metrics_interval`, DNS every `engine.dns_interval`. The
whole fleet is refreshed less often (`engine.fleet_interval`), and sync status
and backend health fleet-wide at their own intervals. Each poll records its
source's health (state/sources.py) with the cadence it is polled at now (the
in-flight interval, or the fleet interval when nothing is in flight) plus the time
the poll took, and its reporting delay (actions/plan/freshness.py): a healthy source is
never shown stale. A failing source is an alert after a few consecutive errors.
Metric samples (sparklines) are kept every poll for tenants in flight and under
watch; the rest are sampled every `engine.fleet_samples_interval` and kept coarse,
one row per `state.sample_resolution` (state/samples.py), so 10,000 tenants do not
write 20,000 rows every five seconds. Every `PRUNE_EVERY`, the fine samples of tenants
that left flight (and moved longer than the retention ago) are compacted, and samples
past `state.sample_retention` or over `state.sample_max_rows` pruned.

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
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from cutover.actions.engine.drift import DnsRead
from cutover.actions.engine.poll_schedule import PRUNE_EVERY, YIELD_EVERY, PollerBase, paced
from cutover.actions.plan.dns_names import names_observation, read_every_name, seen_of
from cutover.model.lifecycle import IN_FLIGHT, SYNC_HEALTH_VALUES, Lifecycle, SyncHealth
from cutover.model.tenant import Tenant
from cutover.providers.ports.metrics import MetricsSnapshot
from cutover.state.samples import Sample, SampleValues
from cutover.state.tenants import ConcurrentChange
from cutover.state.ttl_history import ttl_observation
from cutover.state.watch import watched

log = logging.getLogger(__name__)

# What the whole-fleet polls record of each tenant, in the order of the values they hand the store.
HEALTH_OBSERVED = ("backends_healthy", "backends_total", "health_at")
DNS_OBSERVED = ("dns_oci_share", "dns_routing", "dns_at")
LIVE_OBSERVED = ("observed_oci_share", "requests", "error_rate", "p95_ms", "metrics_at")
SYNC_OBSERVED = (
    "sync_health",
    "sync_percent",
    "sync_eta_s",
    "sync_lag_s",
    "pending_objects",
    "pending_bytes",
    "checksum_mismatches",
    "last_pass_at",
    "observed_at",
)


class Pollers(PollerBase):
    """The polls, one a role: metrics, DNS, sync status, backend health."""

    _metrics_fleet_at = float("-inf")  # when the metrics poll last read the whole fleet
    _dns_fleet_at = float("-inf")  # when the DNS poll last read the whole fleet

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
        samples: list[SampleValues] = []
        now = self.core.now()
        keep_all_samples = now - self._samples_at >= self.engine.fleet_samples_interval
        prune = now - self._pruned_at >= PRUNE_EVERY
        fine = {t.tenant_id for t in in_flight}  # they keep every sample, and so do all under watch; the rest coarse
        if keep_all_samples or prune:
            fine |= {t.tenant_id for t in watched(self.core.store, now, self.core.settings.watch)}
        if prune:  # compaction folds the whole table: every war room's tenants in flight keep theirs too
            fine |= {tid for group in self.core.facts.tenants_in(IN_FLIGHT).values() for tid in group}
        # A tenant with no figure is left out: it keeps the last one and its age (the gate calls it stale), never
        # blanked. The figures are in the order of LIVE_OBSERVED, a YIELD_EVERY tenants between yields.
        ids = [tenant.tenant_id for tenant in tenants]
        live: list[tuple[str, tuple[Any, ...]]] = []
        for start in range(0, len(ids), YIELD_EVERY):
            live += snapshot.figure_rows(ids[start : start + YIELD_EVERY])
            if len(ids) > YIELD_EVERY:
                await asyncio.sleep(0)
        coarse: list[SampleValues] = []
        # Each once: a tenant in flight may be under watch too.
        sampled = dict.fromkeys(ids if keep_all_samples else (tenant.tenant_id for tenant in in_flight))
        async for tenant_id in paced(sampled):
            if (metrics := snapshot.tenant(tenant_id)) is None:
                continue
            kept = samples if tenant_id in fine else coarse
            for side, measured in (("aws", metrics.aws), ("oci", metrics.oci)):
                if measured is not None:
                    kept.append(
                        (
                            tenant_id,
                            side,
                            measured.measured_at,
                            measured.requests,
                            measured.errors,
                            measured.p95_ms,
                            measured.source,
                        )
                    )
        # Short transactions rather than one long one: other writers (a console's job) wait less. Each one's
        # Samples are made as it writes them (see SampleValues).
        await self._observe_rows(LIVE_OBSERVED, live)
        for start in range(0, len(samples), 2 * YIELD_EVERY):
            written = [Sample(*values) for values in samples[start : start + 2 * YIELD_EVERY]]
            with self.core.fenced():
                self.core.samples.add(written)
            if len(samples) > 2 * YIELD_EVERY:
                await asyncio.sleep(0)
        state = self.core.settings.state
        for start in range(0, len(coarse), 2 * YIELD_EVERY):
            written = [Sample(*values) for values in coarse[start : start + 2 * YIELD_EVERY]]
            with self.core.fenced():
                self.core.samples.add_coarse(written, state.sample_resolution)
            await asyncio.sleep(0)
        if keep_all_samples and whole:
            self._samples_at = now
        if prune:
            self.core.samples.compact(now, state.sample_resolution, fine, moved_since=now - state.sample_retention)
            self.core.samples.prune(now, state.sample_retention, state.sample_max_rows)
            self._pruned_at = now

    async def poll_dns(self) -> None:
        provider = self.core.providers.dns
        whole = self._fleet_due(self._dns_fleet_at)
        in_flight = self.in_flight() + self.watched("dns")[1]
        tenants = await self.fleet() if whole else in_flight
        if not tenants:
            self.source_idle(provider.source)
            return
        started = self.core.now()
        plain, fuller, read_at = await self._read_dns(tenants)
        if whole:
            self._dns_fleet_at = read_at
        await self._observe_rows(DNS_OBSERVED, plain)
        await self._observe(fuller)
        interval = self._cadence_of(in_flight, self.engine.dns_interval)
        self.source_ok("dns", provider.source, interval, self.core.now(), started=started)
        if self.judge:
            found = {tenant_id: DnsRead(values[0], values[1]) for tenant_id, values in plain}
            found.update((tenant_id, DnsRead(o["dns_oci_share"], o["dns_routing"])) for tenant_id, o in fuller.items())
            self.drift.check(tenants, found)

    async def _read_dns(
        self, tenants: Sequence[Tenant]
    ) -> tuple[list[tuple[str, tuple[Any, ...]]], dict[str, dict[str, Any]], float]:
        """(Each tenant's DNS observation: of most, their values in the order of DNS_OBSERVED, plain tuples the
        garbage collector skips; of a tenant whose TTL history moves or that has several names, a dict with them;
        when it was read). The records read are let go on return, before the poll awaits its writes: at 50,000
        tenants a whole-fleet poll's records, alive while other polls ran between its transactions, were most of
        what full collections then walked (with another poll's answers, up to 107 ms)."""
        records, several = await read_every_name(self.core.providers.dns, tenants)
        read_at = self.core.now()
        by_id = {tenant.tenant_id: tenant for tenant in tenants}
        assume = self.core.settings.dns.assume_previous_ttl
        plain: list[tuple[str, tuple[Any, ...]]] = []
        fuller: dict[str, dict[str, Any]] = {}
        async for tenant_id, record in paced(records.items()):
            tenant = by_id.get(tenant_id)
            if tenant is None or several.get(tenant_id):
                continue
            routing = record.routing
            values = (routing.oci_share(tenant.aws_target, tenant.oci_target), record.describe(), record.measured_at)
            history = ttl_observation(tenant, routing.ttl, record.measured_at, assume_previous=assume)
            if history:
                fuller[tenant_id] = {**dict(zip(DNS_OBSERVED, values, strict=True)), **history}
            else:
                plain.append((tenant_id, values))
        now = self.core.now()
        for tenant_id, named in several.items():
            if named and tenant_id in by_id:
                fuller[tenant_id] = names_observation(
                    by_id[tenant_id], seen_of(by_id[tenant_id], named, now), assume_previous=assume
                )
        return plain, fuller, read_at

    async def poll_sync(self) -> None:
        provider = self.core.providers.sync
        tenants = await self.fleet()
        if not tenants:
            return
        started = self.core.now()
        statuses = await provider.status(tenants)
        await self._observe_rows(
            SYNC_OBSERVED,
            (
                (
                    tenant_id,
                    (
                        # its value, as the store keeps it: a tuple of plain values is one the collector skips
                        SYNC_HEALTH_VALUES.get(status.health, status.health),
                        status.percent,
                        _finite(status.eta_s),
                        status.lag_s,
                        status.pending_objects,
                        status.pending_bytes,
                        status.checksum_mismatches,
                        status.last_pass_at,
                        status.measured_at,
                    ),
                )
                for tenant_id, status in statuses.items()
            ),
        )
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
        await self._observe_rows(
            HEALTH_OBSERVED,
            (
                (tenant_id, (health.healthy, health.total, health.measured_at))
                for tenant_id, health in found.items()
                if health.hydrated_at is None
            ),
        )
        await self._observe_rows(  # and those that report a hydration, with it
            (*HEALTH_OBSERVED, "hydrated_at"),
            (
                (tenant_id, (health.healthy, health.total, health.measured_at, health.hydrated_at))
                for tenant_id, health in found.items()
                if health.hydrated_at is not None
            ),
        )
        self.source_ok("health", provider.source, self.engine.health_interval, self.core.now(), started=started)


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isinf(value) or math.isnan(value) else value
