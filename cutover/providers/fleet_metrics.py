"""One fleet-wide metrics snapshot from two sides: the AWS side and the OCI side, fetched at once.

Each side is a small object with `source` and `columns(tenants) -> SideColumns`
(CloudWatch for AWS, OCI Monitoring for OCI). A side that fails leaves its
column set None and says why in `errors`; the other side still counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

from cutover.providers.interfaces import MetricsSnapshot, ProviderError, SideColumns
from cutover.state.clock import Clock, SystemClock
from cutover.state.tenants import Tenant

NAN = float("nan")


class MetricsSide(Protocol):
    source: str
    period_s: float

    async def columns(self, tenants: Sequence[Tenant]) -> SideColumns: ...


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
        answers = await asyncio.gather(*(side.columns(tenants) for side in sides), return_exceptions=True)
        columns: dict[int, SideColumns | None] = {}
        errors: list[str] = []
        for side, answer in zip(sides, answers, strict=True):
            if isinstance(answer, ProviderError):
                columns[id(side)] = None
                errors.append(str(answer))
            elif isinstance(answer, BaseException):
                raise answer
            else:
                columns[id(side)] = answer
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
