"""A whole-fleet metrics poll records each tenant's figures from the snapshot's columns (`figures`) without
building its TenantMetrics: the live view shows exactly what `tenant()` says, in every corner."""

from __future__ import annotations

import itertools
import math

from cutover.providers.ports.metrics import MetricsSnapshot, SideColumns

NAN = math.nan
# (requests, errors, p95, measured_at) of one side of one tenant: silent, idle, equal loads, one side busier
AWS = list(itertools.product((NAN, 0.0, 40.0, 60.0), (0.0, 2.0, NAN), (NAN, 850.0), (NAN, 100.0, 90.0)))
OCI = list(itertools.product((NAN, 0.0, 40.0, 60.0), (0.0, 3.0, NAN), (NAN, 600.0), (NAN, 100.0, 90.0)))


def _same(a: float | None, b: float | None) -> bool:
    return a == b or (a is not None and b is not None and math.isnan(a) and math.isnan(b))


def test_the_figures_are_what_the_tenant_says_in_every_corner() -> None:
    pairs = list(itertools.product(AWS, OCI))
    ids = tuple(f"T-{n:05d}" for n in range(len(pairs)))

    def side(source: str, which: int) -> SideColumns:
        return SideColumns(source, *([pair[which][column] for pair in pairs] for column in range(4)))

    for aws, oci in ((side("cw", 0), side("oci", 1)), (None, side("oci", 1)), (side("cw", 0), None)):
        snapshot = MetricsSnapshot(taken_at=100.0, period_s=60.0, tenant_ids=ids, aws=aws, oci=oci)
        for tenant_id in ids:
            metrics = snapshot.tenant(tenant_id)
            figures = snapshot.figures(tenant_id)
            assert metrics is not None
            if metrics.measured_at is None:
                assert figures is None, tenant_id
                continue
            assert figures is not None, tenant_id
            assert _same(figures.oci_share, metrics.oci_share), tenant_id
            assert _same(figures.requests, metrics.requests), tenant_id
            assert _same(figures.error_rate, metrics.error_rate), tenant_id
            assert _same(figures.p95_ms, metrics.p95_ms), tenant_id
            assert figures.measured_at == metrics.measured_at, tenant_id
    assert snapshot.figures("T-99999") is None  # not in the snapshot: nothing to record


def test_the_rows_a_whole_fleet_poll_records_are_the_figures_of_every_tenant_that_has_any() -> None:
    pairs = list(itertools.product(AWS, OCI))
    ids = tuple(f"T-{n:05d}" for n in range(len(pairs)))
    aws = SideColumns("cw", *([pair[0][column] for pair in pairs] for column in range(4)))
    oci = SideColumns("oci", *([pair[1][column] for pair in pairs] for column in range(4)))
    snapshot = MetricsSnapshot(taken_at=100.0, period_s=60.0, tenant_ids=ids, aws=aws, oci=oci)

    rows = snapshot.figure_rows([*reversed(ids), "T-99999"])

    expected = [(tenant_id, snapshot.figures(tenant_id)) for tenant_id in reversed(ids)]
    assert [tenant_id for tenant_id, _ in rows] == [tenant_id for tenant_id, figures in expected if figures]
    assert 0 < len(rows) < len(ids)  # the silent tenants are left out, the rest kept in the order asked
    for (tenant_id, values), (_, figures) in zip(rows, [pair for pair in expected if pair[1]], strict=True):
        assert type(values) is tuple and all(_same(a, b) for a, b in zip(values, figures, strict=True)), tenant_id
