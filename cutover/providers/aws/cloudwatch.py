"""CloudWatch as the AWS side of the fleet's metrics: ALB figures per tenant's target group.

Three queries per tenant (RequestCount Sum, HTTPCode_Target_5XX_Count Sum,
TargetResponseTime p95), 500 queries per GetMetricData call: 2,500 tenants cost
15 calls. Error rates are computed by us from the two sums, not with metric math.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

from cutover.config.providers import CloudWatchSettings
from cutover.config.tenant_patterns import fill_pattern
from cutover.model.clock import Clock, SystemClock
from cutover.model.tenant import Tenant
from cutover.providers.aws.session import AwsService
from cutover.providers.fleet_metrics import SidePoints
from cutover.providers.ports.errors import ProviderError, ProviderObserver
from cutover.providers.ports.metrics import SideColumns

NAMESPACE = "AWS/ApplicationELB"
NAN = float("nan")
# query id prefix -> (metric, statistic)
QUERIES = (
    ("r", "RequestCount", "Sum"),
    ("e", "HTTPCode_Target_5XX_Count", "Sum"),
    ("p", "TargetResponseTime", "p95"),
)


def dimensions(tenant: Tenant, settings: CloudWatchSettings) -> tuple[str, str] | None:
    """(LoadBalancer, TargetGroup) of a tenant: its matrix row first, then the configured patterns."""

    def pick(own: str, pattern: str | None) -> str:
        if own:
            return own
        if pattern:
            return fill_pattern(pattern, tenant_id=tenant.tenant_id, dns_name=tenant.dns_name, name=tenant.name)
        return ""

    load_balancer = pick(tenant.aws_load_balancer, settings.load_balancer)
    target_group = pick(tenant.aws_target_group, settings.target_group)
    return (load_balancer, target_group) if load_balancer and target_group else None


class CloudWatchSide:
    def __init__(
        self,
        settings: CloudWatchSettings,
        *,
        observer: ProviderObserver | None = None,
        clock: Clock | None = None,
        source: str = "cloudwatch",
    ):
        self.source = source
        self.settings = settings
        self.period_s = settings.period
        self.reporting_delay_s = settings.reporting_delay
        self.clock = clock or SystemClock()
        self.cloudwatch = AwsService(settings.aws, "cloudwatch", source, retry=settings.retry, observer=observer)
        self.unmapped: tuple[str, ...] = ()  # tenants with no ALB dimensions, as of the last snapshot

    async def aclose(self) -> None:
        await self.cloudwatch.aclose()

    def queries(self, tenants: Sequence[Tenant]) -> list[dict[str, Any]]:
        period = int(self.settings.period)
        queries: list[dict[str, Any]] = []
        unmapped = []
        for index, tenant in enumerate(tenants):
            dims = dimensions(tenant, self.settings)
            if dims is None:
                unmapped.append(tenant.tenant_id)
                continue
            metric_dims = [{"Name": "LoadBalancer", "Value": dims[0]}, {"Name": "TargetGroup", "Value": dims[1]}]
            for prefix, metric, stat in QUERIES:
                queries.append(
                    {
                        "Id": f"{prefix}{index}",
                        "MetricStat": {
                            "Metric": {"Namespace": NAMESPACE, "MetricName": metric, "Dimensions": metric_dims},
                            "Period": period,
                            "Stat": stat,
                        },
                        "ReturnData": True,
                    }
                )
        self.unmapped = tuple(unmapped)
        return queries

    async def columns(self, tenants: Sequence[Tenant]) -> SideColumns:
        """Every tenant as of the newest period any tenant has data for."""
        return (await self.points(tenants)).at(None)

    async def points(self, tenants: Sequence[Tenant]) -> SidePoints:
        queries = self.queries(tenants)
        if tenants and not queries:
            raise ProviderError(
                self.source,
                "no tenant has ALB dimensions: add aws_load_balancer and aws_target_group to the matrix, "
                "or set load_balancer and target_group in [providers.metrics.aws]",
            )
        # Whole periods only, aligned as CloudWatch aligns them: the period still filling is left out.
        period = self.settings.period
        end_s = math.floor(self.clock.now() / period) * period
        end = dt.datetime.fromtimestamp(end_s, dt.UTC)
        start = dt.datetime.fromtimestamp(end_s - math.ceil(self.settings.lookback / period) * period, dt.UTC)
        values: dict[str, dict[float, float]] = {}
        size = self.settings.queries_per_call
        for first in range(0, len(queries), size):
            chunk = queries[first : first + size]
            token: str | None = None
            while True:
                params: dict[str, Any] = {
                    "MetricDataQueries": chunk,
                    "StartTime": start,
                    "EndTime": end,
                    "ScanBy": "TimestampDescending",
                }
                if token:
                    params["NextToken"] = token
                answer = await self.cloudwatch.call("GetMetricData", **params)
                for result in answer.get("MetricDataResults", []):
                    points = values.setdefault(result["Id"], {})
                    for stamp, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                        points[stamp.timestamp()] = float(value)
                token = answer.get("NextToken")
                if not token:
                    break
        return self._points(tenants, values)

    def _points(self, tenants: Sequence[Tenant], values: dict[str, dict[float, float]]) -> SidePoints:
        """Each tenant's datapoints, by query id (r: requests, e: 5XX, p: p95 in seconds, made ms here)."""
        count = range(len(tenants))
        p95 = [
            {stamp: seconds * 1000.0 for stamp, seconds in values[f"p{i}"].items()} if f"p{i}" in values else None
            for i in count
        ]
        return SidePoints(
            self.source,
            self.settings.period,
            [values.get(f"r{i}") for i in count],
            [values.get(f"e{i}") for i in count],
            p95,
        )
