"""OCI Monitoring as the OCI side of the fleet's metrics: one MQL query per metric for the whole fleet.

Each query groups by load balancer and backend set, so three summarize_metrics_data
calls (requests, 5xx, latency) cover every tenant, however many. OCI allows 10
calls a second per tenancy; the budget keeps below that.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections.abc import Sequence

from cutover.config.providers import OciMonitoringSettings
from cutover.config.tenant_patterns import fill_pattern
from cutover.model.clock import Clock, SystemClock
from cutover.model.tenant import Tenant
from cutover.providers.fleet_metrics import SidePoints
from cutover.providers.oci.session import OciService
from cutover.providers.ports.errors import ProviderError, ProviderObserver
from cutover.providers.ports.metrics import SideColumns

NAN = float("nan")
NAMESPACE = "oci_lbaas"


def lb_keys(tenant: Tenant, load_balancer_id: str | None, backend_set: str) -> tuple[str, str] | None:
    """(load balancer OCID, backend set name) of a tenant: its matrix row first, then the patterns."""

    def fill(pattern: str) -> str:
        return fill_pattern(pattern, tenant_id=tenant.tenant_id, dns_name=tenant.dns_name, name=tenant.name)

    lb = tenant.oci_load_balancer or (fill(load_balancer_id) if load_balancer_id else "")
    bs = tenant.oci_backend_set or fill(backend_set)
    return (lb, bs) if lb and bs else None


def _resolution_s(resolution: str) -> float:
    return float(resolution[:-1]) * (60 if resolution.endswith("m") else 3600)


class OciMonitoringSide:
    def __init__(
        self,
        settings: OciMonitoringSettings,
        *,
        observer: ProviderObserver | None = None,
        clock: Clock | None = None,
        source: str = "oci-monitoring",
    ):
        self.source = source
        self.settings = settings
        self.period_s = _resolution_s(settings.resolution)
        self.reporting_delay_s = settings.reporting_delay
        self.clock = clock or SystemClock()
        self.monitoring = OciService.of(settings, "monitoring", source, observer)

    async def aclose(self) -> None:
        await self.monitoring.aclose()

    def queries(self) -> dict[str, str]:
        s = self.settings
        by = '{lbComponent = "Backendset"}.groupBy(resourceId, backendSetName)'
        return {
            "requests": f"{s.requests_metric}[{s.resolution}]{by}.sum()",
            "errors": f"{s.errors_metric}[{s.resolution}]{by}.sum()",
            "latency": f"{s.latency_metric}[{s.resolution}]{by}.percentile(0.95)",
        }

    async def _series(
        self, query: str, start: dt.datetime, end: dt.datetime
    ) -> dict[tuple[str, str], dict[float, float]]:
        import oci

        details = oci.monitoring.models.SummarizeMetricsDataDetails(
            namespace=NAMESPACE, query=query, start_time=start, end_time=end, resolution=self.settings.resolution
        )
        answer = await self.monitoring.call(
            "summarize_metrics_data",
            self.settings.compartment_id,
            details,
            compartment_id_in_subtree=self.settings.in_subtree,
        )
        series: dict[tuple[str, str], dict[float, float]] = {}
        for item in answer.data:
            dims = item.dimensions or {}
            key = (str(dims.get("resourceId", "")), str(dims.get("backendSetName", "")))
            points = series.setdefault(key, {})
            for point in item.aggregated_datapoints or []:
                points[point.timestamp.timestamp()] = float(point.value)
        return series

    async def columns(self, tenants: Sequence[Tenant]) -> SideColumns:
        """Every tenant as of the newest period any backend set has data for."""
        return (await self.points(tenants)).at(None)

    async def points(self, tenants: Sequence[Tenant]) -> SidePoints:
        keys = [lb_keys(t, self.settings.load_balancer_id, self.settings.backend_set) for t in tenants]
        if tenants and not any(keys):
            raise ProviderError(
                self.source,
                "no tenant has an OCI load balancer: add oci_load_balancer to the matrix "
                "or set load_balancer_id in [providers.metrics.oci]",
            )
        period = self.period_s
        end_s = math.floor(self.clock.now() / period) * period
        end = dt.datetime.fromtimestamp(end_s, dt.UTC)
        start = dt.datetime.fromtimestamp(end_s - 5 * period, dt.UTC)
        queries = self.queries()
        requests, errors, latency = await asyncio.gather(
            *(self._series(queries[name], start, end) for name in ("requests", "errors", "latency"))
        )
        return _points(self.source, keys, requests, errors, latency, period)


def _points(
    source: str,
    keys: Sequence[tuple[str, str] | None],
    requests: dict[tuple[str, str], dict[float, float]],
    errors: dict[tuple[str, str], dict[float, float]],
    latency: dict[tuple[str, str], dict[float, float]],
    period: float,
) -> SidePoints:
    """Each tenant's datapoints, by its backend set (oci_lbaas response times are in ms already)."""
    return SidePoints(
        source,
        period,
        [requests.get(key) if key else None for key in keys],
        [errors.get(key) if key else None for key in keys],
        [latency.get(key) if key else None for key in keys],
    )
