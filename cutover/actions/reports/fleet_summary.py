"""A fleet at a glance, read from the providers: what the demo prints each tick.

Lifecycle counts per wave come from the store; traffic, sync and backend health
from one fleet-wide call to each provider. A provider that fails is reported as
a source error, never as a crash or a silent zero.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from cutover.model.lifecycle import IN_FLIGHT, Lifecycle
from cutover.model.tenant import Tenant
from cutover.providers.ports.bundle import Providers
from cutover.providers.ports.errors import ProviderError
from cutover.providers.ports.health import BackendStatus
from cutover.providers.ports.metrics import MetricsSnapshot

MIGRATED = frozenset({Lifecycle.MIGRATED, Lifecycle.DECOMMISSIONED})


@dataclass(frozen=True)
class WaveSummary:
    wave: int
    tenants: int
    states: dict[Lifecycle, int]

    @property
    def migrated_percent(self) -> float:
        done = sum(count for state, count in self.states.items() if state in MIGRATED)
        return 100.0 * done / self.tenants if self.tenants else 0.0


@dataclass(frozen=True)
class InFlight:
    tenant_id: str
    lifecycle: Lifecycle
    oci_share: float | None  # share of requests OCI served in the last period
    error_rate: float | None


@dataclass(frozen=True)
class FleetSummary:
    at: float
    tenants: int
    waves: tuple[WaveSummary, ...]
    in_flight: tuple[InFlight, ...]
    requests: float | None  # both clouds, last period
    oci_requests: float | None
    error_rate: float | None
    sync: dict[str, int]  # sync health -> tenants
    backends_degraded: int  # tenants with a backend down
    sources: dict[str, str]  # source -> "ok" or its error
    period_s: float | None = None
    notes: tuple[str, ...] = field(default=())


async def summarise(providers: Providers, tenants: Sequence[Tenant], now: float) -> FleetSummary:
    by_wave: dict[int, Counter[Lifecycle]] = {}
    for tenant in tenants:
        by_wave.setdefault(tenant.wave, Counter())[tenant.lifecycle] += 1
    waves = tuple(WaveSummary(wave, sum(counts.values()), dict(counts)) for wave, counts in sorted(by_wave.items()))
    sources: dict[str, str] = {}

    snapshot: MetricsSnapshot | None = None
    try:
        snapshot = await providers.metrics.snapshot(tenants)
        for side in (snapshot.aws, snapshot.oci):
            if side is not None:
                sources[side.source] = "ok"
        for error in snapshot.errors:
            name, _, message = error.partition(": ")
            sources[name] = message or error
    except ProviderError as exc:
        sources[providers.metrics.source] = str(exc)

    sync: Counter[str] = Counter()
    try:
        for status in (await providers.sync.status(tenants)).values():
            sync[status.health.label] += 1
        sources[providers.sync.source] = "ok"
    except ProviderError as exc:
        sources[providers.sync.source] = str(exc)

    degraded = 0
    try:
        for health in (await providers.health.backends(tenants)).values():
            degraded += health.status in (BackendStatus.WARNING, BackendStatus.CRITICAL)
        sources[providers.health.source] = "ok"
    except ProviderError as exc:
        sources[providers.health.source] = str(exc)

    try:
        await providers.dns.read_routing(tenants)
        sources[providers.dns.source] = "ok"
    except ProviderError as exc:
        sources[providers.dns.source] = str(exc)

    requests = oci_requests = errors = None
    flight: list[InFlight] = []
    if snapshot is not None:
        requests = oci_requests = errors = 0.0
        for tenant in tenants:
            metrics = snapshot.tenant(tenant.tenant_id)
            if metrics is None:
                continue
            requests += metrics.requests
            oci_requests += metrics.oci.requests if metrics.oci else 0.0
            rate = metrics.error_rate
            errors += (rate or 0.0) * metrics.requests
            share = metrics.oci_share
            moving = share is not None and 0.0 < share < 1.0
            if tenant.lifecycle in IN_FLIGHT or moving:
                flight.append(InFlight(tenant.tenant_id, tenant.lifecycle, share, rate))
    else:
        flight = [InFlight(t.tenant_id, t.lifecycle, None, None) for t in tenants if t.lifecycle in IN_FLIGHT]

    return FleetSummary(
        at=now,
        tenants=len(tenants),
        waves=waves,
        in_flight=tuple(flight),
        requests=requests,
        oci_requests=oci_requests,
        error_rate=(errors / requests) if requests and errors is not None else None,
        sync=dict(sync),
        backends_degraded=degraded,
        sources=sources,
        period_s=snapshot.period_s if snapshot is not None else None,
    )


def share_text(share: float | None) -> str:
    return "-" if share is None or math.isnan(share) else f"{share * 100:.0f}%"
