"""The metrics port: one fleet-wide snapshot of requests, 5xx and p95 per tenant and per side."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol, runtime_checkable

from cutover.model.tenant import Tenant

NAN = math.nan
# A tenant's figures as TenantFigures has them, in its order, as a plain tuple.
FigureValues = tuple[float | None, float, float | None, float | None, float]


@dataclass(frozen=True, slots=True)
class SideMetrics:
    requests: float
    errors: float  # 5xx
    p95_ms: float | None
    measured_at: float
    source: str

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests > 0 else None


@dataclass(frozen=True, slots=True)
class TenantMetrics:
    tenant_id: str
    aws: SideMetrics | None
    oci: SideMetrics | None

    @property
    def requests(self) -> float:
        return (self.aws.requests if self.aws else 0.0) + (self.oci.requests if self.oci else 0.0)

    @property
    def error_rate(self) -> float | None:
        """Errors over requests, both sides together: what customers see."""
        total = self.requests
        errors = (self.aws.errors if self.aws else 0.0) + (self.oci.errors if self.oci else 0.0)
        return errors / total if total > 0 else None

    @property
    def oci_share(self) -> float | None:
        """The share of requests OCI actually served: the observed traffic split."""
        total = self.requests
        return (self.oci.requests if self.oci else 0.0) / total if total > 0 else None

    @property
    def p95_ms(self) -> float | None:
        """The p95 of the side carrying most of the traffic."""
        sides = [s for s in (self.aws, self.oci) if s is not None and s.p95_ms is not None and s.requests > 0]
        return max(sides, key=lambda s: s.requests).p95_ms if sides else None

    @property
    def measured_at(self) -> float | None:
        times = [s.measured_at for s in (self.aws, self.oci) if s is not None]
        return min(times) if times else None


@dataclass(frozen=True)
class SideColumns:
    """One side's figures for the whole fleet, column by column (NaN where there is no data).

    Columns keep a 10,000-tenant snapshot cheap to build and to hand around.
    """

    source: str
    requests: Sequence[float]
    errors: Sequence[float]
    p95_ms: Sequence[float]
    measured_at: Sequence[float]


@dataclass(frozen=True)
class MetricsSnapshot:
    """A fleet-wide snapshot: per tenant and per side, requests, 5xx and p95 over `period_s`."""

    taken_at: float
    period_s: float
    tenant_ids: tuple[str, ...]
    aws: SideColumns | None
    oci: SideColumns | None
    errors: tuple[str, ...] = ()  # a side's source failing: what it said
    _index: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self._index:
            object.__setattr__(self, "_index", {tid: i for i, tid in enumerate(self.tenant_ids)})

    def __len__(self) -> int:
        return len(self.tenant_ids)

    def __contains__(self, tenant_id: object) -> bool:
        return tenant_id in self._index

    def tenant(self, tenant_id: str) -> TenantMetrics | None:
        index = self._index.get(tenant_id)
        if index is None:
            return None
        return TenantMetrics(tenant_id, _side(self.aws, index), _side(self.oci, index))

    def figures(self, tenant_id: str) -> TenantFigures | None:
        """What `tenant(tenant_id)` says of the tenant as a whole, without building it: None where it says nothing
        (not in the snapshot, or no side measured)."""
        rows = self.figure_rows([tenant_id])
        return TenantFigures(*rows[0][1]) if rows else None

    def figure_rows(self, tenant_ids: Iterable[str]) -> list[tuple[str, FigureValues]]:
        """`figures` of each of these tenants that has any, as (its ID, the figures in TenantFigures' order), in one
        pass (a whole-fleet poll asks this of every tenant): plain tuples, which the garbage collector skips."""
        rows: list[tuple[str, FigureValues]] = []
        index_of = self._index.get
        aws_columns, oci_columns = self.aws, self.oci
        for tenant_id in tenant_ids:
            index = index_of(tenant_id)
            if index is None:
                continue
            aws_requests = aws_errors = aws_p95 = aws_at = oci_requests = oci_errors = oci_p95 = oci_at = NAN
            aws = oci = False
            if aws_columns is not None:
                aws_requests, aws_at = float(aws_columns.requests[index]), float(aws_columns.measured_at[index])
                # not NaN: the side has a datapoint (as _side)
                if aws_requests == aws_requests and aws_at == aws_at:
                    aws = True
                    aws_errors, aws_p95 = float(aws_columns.errors[index]), float(aws_columns.p95_ms[index])
            if oci_columns is not None:
                oci_requests, oci_at = float(oci_columns.requests[index]), float(oci_columns.measured_at[index])
                if oci_requests == oci_requests and oci_at == oci_at:
                    oci = True
                    oci_errors, oci_p95 = float(oci_columns.errors[index]), float(oci_columns.p95_ms[index])
            if not aws and not oci:
                continue
            # The same sums, in the same order, as TenantMetrics' properties.
            total = (aws_requests if aws else 0.0) + (oci_requests if oci else 0.0)
            errors = (aws_errors if aws else 0.0) + (oci_errors if oci else 0.0)
            aws_p95_counts = aws and aws_p95 == aws_p95 and aws_requests > 0
            oci_p95_counts = oci and oci_p95 == oci_p95 and oci_requests > 0
            if aws_p95_counts and oci_p95_counts:
                p95: float | None = aws_p95 if aws_requests >= oci_requests else oci_p95  # max(): first on a tie
            else:
                p95 = aws_p95 if aws_p95_counts else oci_p95 if oci_p95_counts else None
            measured = oci_at if not aws else aws_at if not oci else min(aws_at, oci_at)
            rows.append(
                (
                    tenant_id,
                    (
                        (oci_requests if oci else 0.0) / total if total > 0 else None,
                        total,
                        errors / total if total > 0 else None,
                        p95,
                        measured,
                    ),
                )
            )
        return rows


class TenantFigures(NamedTuple):
    """A tenant's figures as a whole, both sides together (TenantMetrics' properties of the same name)."""

    oci_share: float | None
    requests: float
    error_rate: float | None
    p95_ms: float | None
    measured_at: float


def _side(columns: SideColumns | None, index: int) -> SideMetrics | None:
    if columns is None:
        return None
    requests = float(columns.requests[index])
    measured = float(columns.measured_at[index])
    if math.isnan(requests) or math.isnan(measured):
        return None
    p95 = float(columns.p95_ms[index])
    return SideMetrics(
        requests, float(columns.errors[index]), None if math.isnan(p95) else p95, measured, columns.source
    )


@runtime_checkable
class MetricsProvider(Protocol):
    source: str

    async def snapshot(self, tenants: Sequence[Tenant]) -> MetricsSnapshot:
        """One fleet-wide snapshot. A failing side is None with its error in `errors`."""
