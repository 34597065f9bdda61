"""One fleet-wide metrics snapshot from two sides: the AWS side and the OCI side, fetched at once.

Each side is a small object with `source`, `period_s`, `reporting_delay_s` and
`points(tenants) -> SidePoints` (CloudWatch for AWS, OCI Monitoring for OCI): every
tenant's datapoints over the last few periods. A side that fails leaves its column
set None and says why in `errors`; the other side still counts.

Both sides are read at ONE period, so a tenant's figures never add one cloud's
current minute to the other's stale one (after a rollback, OCI's last busy minute
would otherwise count beside AWS's current one: a phantom 50 % on OCI with double
the requests). That period is the newest one both sides are known for: a side is
known up to its newest datapoint, or, past its reporting delay, up to the period
it must have published by now: a load balancer publishes nothing for a minute
without requests, so a datapoint that does not come in time means no traffic.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cutover.model.clock import Clock, SystemClock
from cutover.model.tenant import Tenant
from cutover.providers.ports.errors import ProviderError
from cutover.providers.ports.metrics import MetricsSnapshot, SideColumns

NAN = float("nan")


Points = dict[float, float]  # period start -> value


@dataclass(frozen=True)
class SidePoints:
    """One side's datapoints for the fleet, per tenant (None: the tenant has no dimensions on this side)."""

    source: str
    period_s: float
    requests: Sequence[Points | None]
    errors: Sequence[Points | None]
    p95_ms: Sequence[Points | None]

    @property
    def latest(self) -> float | None:
        """The newest period any tenant has data for."""
        stamps = [stamp for points in self.requests if points for stamp in points]
        return max(stamps) if stamps else None

    def at(self, period: float | None) -> SideColumns:
        """Every tenant as of `period` (None: the newest with data). A tenant with data in the window but none
        in that period had no requests then (0); one with no data in the window has no data (NaN)."""
        count = len(self.requests)
        requests, errors, p95, measured = [NAN] * count, [NAN] * count, [NAN] * count, [NAN] * count
        period = self.latest if period is None else period
        if period is None:
            return SideColumns(self.source, requests, errors, p95, measured)
        for index in range(count):
            points = self.requests[index]
            if not points:
                continue
            requests[index] = points.get(period, 0.0)
            errors[index] = (self.errors[index] or {}).get(period, 0.0)  # no 5xx datapoint: no 5xx responses
            latency = (self.p95_ms[index] or {}).get(period)
            p95[index] = latency if latency is not None and not math.isnan(latency) else NAN
            measured[index] = period + self.period_s
        return SideColumns(self.source, requests, errors, p95, measured)

    def known_until(self, now: float, reporting_delay_s: float) -> float | None:
        """The newest period this side's figures are known for: its newest datapoint, or the newest period
        it must have published by now (its absence then means no traffic). None: no data at all."""
        latest = self.latest
        if latest is None:
            return None
        published = math.floor((now - self.period_s - reporting_delay_s) / self.period_s) * self.period_s
        return max(latest, published)


class MetricsSide(Protocol):
    source: str
    period_s: float
    reporting_delay_s: float

    async def points(self, tenants: Sequence[Tenant]) -> SidePoints: ...


class FleetMetrics:
    """MetricsProvider combining an AWS side and an OCI side (either may be absent)."""

    def __init__(self, aws: MetricsSide | None, oci: MetricsSide | None, *, clock: Clock | None = None):
        if aws is None and oci is None:
            raise ValueError("fleet metrics need at least one side")
        self.aws = aws
        self.oci = oci
        self.clock = clock or SystemClock()
        self.source = "+".join(side.source for side in (aws, oci) if side is not None)

    async def snapshot(self, tenants: Sequence[Tenant]) -> MetricsSnapshot:
        sides = [side for side in (self.aws, self.oci) if side is not None]
        answers = await asyncio.gather(*(side.points(tenants) for side in sides), return_exceptions=True)
        fetched: dict[int, SidePoints] = {}
        errors: list[str] = []
        for side, answer in zip(sides, answers, strict=True):
            if isinstance(answer, ProviderError):
                errors.append(str(answer))
            elif isinstance(answer, BaseException):
                raise answer
            else:
                fetched[id(side)] = answer
        now = self.clock.now()
        known = [
            until
            for side in sides
            if id(side) in fetched and (until := fetched[id(side)].known_until(now, side.reporting_delay_s)) is not None
        ]
        common = min(known) if len(known) > 1 else None  # one side alone: its newest period, as it is
        columns: dict[int, SideColumns | None] = {
            id(side): fetched[id(side)].at(common) if id(side) in fetched else None for side in sides
        }
        period = max(side.period_s for side in sides)
        return MetricsSnapshot(
            taken_at=self.clock.now(),
            period_s=period,
            tenant_ids=tuple(t.tenant_id for t in tenants),
            aws=columns.get(id(self.aws)) if self.aws else None,
            oci=columns.get(id(self.oci)) if self.oci else None,
            errors=tuple(errors),
        )

    async def aclose(self) -> None:
        for side in (self.aws, self.oci):
            close = getattr(side, "aclose", None)
            if close is not None:
                await close()
