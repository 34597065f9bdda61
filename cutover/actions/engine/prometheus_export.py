"""Prometheus metrics for the war room's Grafana wall, served by the leading engine (`engine.metrics_address`).

Every scrape reads the store (in the HTTP server's thread, on its own connection): what the console shows,
as numbers. Only IDs, states and names are labels; no reason, customer name or other free text is exported,
so nothing typed by a person (or a credential pasted by mistake) reaches a metrics system.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import start_http_server
from prometheus_client.core import CollectorRegistry, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from cutover.actions.plan.windows import night_start
from cutover.config.settings import Settings
from cutover.model.clock import Clock
from cutover.model.jobs import JobState
from cutover.model.lifecycle import IN_FLIGHT
from cutover.state.facts import Facts
from cutover.state.jobs import JobStore
from cutover.state.leases import LeaseStore
from cutover.state.sources import SourceStore
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

log = logging.getLogger(__name__)


class FleetCollector(Collector):
    """The fleet, its jobs, the lease and the sources, as gauges, read at each scrape."""

    def __init__(self, store: Store, settings: Settings, clock: Clock, tenants: TenantStore, jobs: JobStore):
        self.store = store
        self.settings = settings
        self.clock = clock
        self.tenants = tenants
        self.jobs = jobs

    def collect(self) -> Iterator[Metric]:
        now = self.clock.now()
        room = self.settings.war_room.room()
        # A war room's engine serves its part of the fleet and its jobs (several war rooms lead side by side, and
        # a wall scraping them all adds them up); the night's rollbacks are the fleet's, as its safety rules count.
        fleet = [tenant for tenant in self.tenants.find() if room.holds(tenant)]
        ours = {tenant.tenant_id for tenant in fleet}
        by_state = GaugeMetricFamily("cutover_tenants", "Tenants by lifecycle and wave", labels=["lifecycle", "wave"])
        for (state, wave), count in sorted(Counter((t.lifecycle.value, str(t.wave)) for t in fleet).items()):
            by_state.add_metric([state, wave], count)
        yield by_state

        lag = GaugeMetricFamily("cutover_tenant_sync_lag_seconds", "Sync lag per tenant", labels=["tenant"])
        dns = GaugeMetricFamily("cutover_tenant_dns_oci_share", "Share DNS sends to OCI", labels=["tenant"])
        seen = GaugeMetricFamily("cutover_tenant_observed_oci_share", "Share OCI was seen serving", labels=["tenant"])
        error_rate = GaugeMetricFamily("cutover_tenant_error_rate", "5xx over requests, in flight", labels=["tenant"])
        p95 = GaugeMetricFamily("cutover_tenant_p95_ms", "p95 latency, tenants in flight", labels=["tenant"])
        p95_ratio = GaugeMetricFamily(
            "cutover_tenant_p95_baseline_ratio", "p95 over the tenant's baseline", labels=["tenant"]
        )
        for tenant in fleet:
            tid = [tenant.tenant_id]
            if tenant.sync_lag_s is not None:
                lag.add_metric(tid, tenant.sync_lag_s)
            if tenant.dns_oci_share is not None:
                dns.add_metric(tid, tenant.dns_oci_share)
            if tenant.observed_oci_share is not None:
                seen.add_metric(tid, tenant.observed_oci_share)
            if tenant.lifecycle in IN_FLIGHT:
                if tenant.error_rate is not None:
                    error_rate.add_metric(tid, tenant.error_rate)
                if tenant.p95_ms is not None:
                    p95.add_metric(tid, tenant.p95_ms)
                    if tenant.baseline_p95_ms:
                        p95_ratio.add_metric(tid, tenant.p95_ms / tenant.baseline_p95_ms)
        yield from (lag, dns, seen, error_rate, p95, p95_ratio)

        jobs = GaugeMetricFamily("cutover_jobs", "Jobs not ended, by state and kind", labels=["state", "kind"])
        active = [job for job in self.jobs.active() if room.whole_fleet or ours.issuperset(job.targets)]
        for (state, kind), count in sorted(Counter((j.state.value, j.kind) for j in active).items()):
            jobs.add_metric([state, kind], count)
        yield jobs
        yield GaugeMetricFamily(
            "cutover_holds", "Jobs held (stop the line)", value=sum(1 for j in active if j.state is JobState.HELD)
        )
        since = night_start(now, self.settings.safety.window)
        yield GaugeMetricFamily(
            "cutover_rollbacks_tonight",
            "Rollbacks since the night began",
            value=len(Facts(self.store).rollbacks_since(since)),
        )
        yield GaugeMetricFamily(
            "cutover_rollbacks_limit",
            "safety.max_rollbacks_per_night",
            value=self.settings.safety.max_rollbacks_per_night,
        )

        leader = LeaseStore(self.store, name=self.settings.war_room.room().lease).leader()
        leading = GaugeMetricFamily("cutover_leader", "1 while an engine leads", labels=["operator", "host"])
        if leader is not None:
            leading.add_metric(
                [str(leader.holder_info.get("operator", "")), str(leader.holder_info.get("host", ""))], 1
            )
        yield leading

        age = GaugeMetricFamily("cutover_source_age_seconds", "Age of each source's newest figure", labels=["source"])
        stale = GaugeMetricFamily("cutover_source_stale", "1 when a source is stale", labels=["source"])
        for source in SourceStore(self.store).all():
            if source.last_ok_at is not None:
                age.add_metric([source.name], max(0.0, now - source.last_ok_at))
            stale.add_metric([source.name], 1.0 if source.is_stale(now) else 0.0)
        yield from (age, stale)


@dataclass
class MetricsServer:
    """The HTTP endpoint while this engine leads; `url` says where it listens."""

    server: WSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        host = self.server.server_address[0]
        return f"http://{host if isinstance(host, str) else host.decode()}:{self.server.server_port}/metrics"

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.server.shutdown()
            self.server.server_close()


def serve_metrics(collector: FleetCollector, host: str, port: int) -> MetricsServer:
    """Start serving; raises OSError when the address is taken or cannot be bound."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    started = time.monotonic()
    server, thread = start_http_server(port, addr=host, registry=registry)
    log.info(
        "metrics served on %s:%s (started in %.0f ms)", host, server.server_port, 1000 * (time.monotonic() - started)
    )
    return MetricsServer(server, thread)
