"""Samples at rest: the fleet kept coarse, tenants in flight at their full cadence, the table within its bound."""

from __future__ import annotations

from pathlib import Path

import pytest

from cutover.config.matrix import parse_matrix
from cutover.console.detail_read import series_from_samples
from cutover.model.clock import ManualClock
from cutover.model.lifecycle import Lifecycle
from cutover.state.samples import Sample, SampleStore
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

pytestmark = pytest.mark.both_stores


MINUTE = 60.0


def both_sides(tenant_id: str, at: float, aws: float, oci: float, errors: float = 0.0, p95: float = 100.0):
    return [
        Sample(tenant_id, "aws", at, aws, errors, p95, "cloudwatch"),
        Sample(tenant_id, "oci", at, oci, 0.0, p95 / 2, "oci-monitoring"),
    ]


def test_fleet_samples_folded_into_buckets_keep_the_ratios_the_sparklines_draw(store: Store) -> None:
    samples = SampleStore(store)
    # Every 5 minutes for an hour: OCI's share climbs from 0 to 55 %, errors on the AWS side in the first half hour.
    measured = [
        both_sides("T-1", at * 5 * MINUTE, 100 - at * 5, at * 5, errors=2.0 if at < 6 else 0.0, p95=100 + at)
        for at in range(12)
    ]
    written = samples.add_coarse([s for pair in measured for s in pair], resolution=15 * MINUTE)
    assert written == 24
    kept = samples.history("T-1", since=0)
    # One sample a side per 15 minutes, at the bucket's start.
    assert [s.measured_at for s in kept if s.side == "aws"] == [0.0, 900.0, 1800.0, 2700.0]
    first = [s for s in kept if s.measured_at == 0.0]
    assert {s.side: s.requests for s in first} == {"aws": 100 + 95 + 90, "oci": 0 + 5 + 10}
    assert {s.side: s.errors for s in first} == {"aws": 6.0, "oci": 0.0}
    assert {s.side: s.p95_ms for s in first} == {"aws": 102.0, "oci": 51.0}  # the worst of the bucket
    assert {s.side: s.source for s in first} == {"aws": "cloudwatch", "oci": "oci-monitoring"}
    share, errors, p95 = series_from_samples(kept)
    assert share == [15 / 300, 60 / 300, 105 / 300, 150 / 300]  # OCI's share rises bucket by bucket
    assert errors == [6 / 300, 6 / 300, 0.0, 0.0]
    assert p95 == [102.0, 105.0, 108.0, 111.0]


def test_fine_samples_of_a_tenant_out_of_flight_are_compacted_to_the_coarse_resolution(store: Store) -> None:
    samples = SampleStore(store)
    for tenant_id in ("T-1", "T-2"):
        samples.add(s for at in range(0, 3600, 10) for s in both_sides(tenant_id, float(at), 90.0, 10.0, errors=1.0))
    before = samples.history("T-1", since=0)

    moved = samples.compact(before=3600.0, resolution=30 * MINUTE, keep={"T-2"}, moved_since=3600.0)

    assert moved == 720  # T-1's 360 moments, two sides each
    after = samples.history("T-1", since=0)
    assert [(s.measured_at, s.side) for s in after] == [(0.0, "aws"), (0.0, "oci"), (1800.0, "aws"), (1800.0, "oci")]
    assert [s.requests for s in after] == [180 * 90.0, 180 * 10.0, 180 * 90.0, 180 * 10.0]
    # The sums a report adds up are those of the samples compacted.
    for side in ("aws", "oci"):
        assert sum(s.requests or 0 for s in after if s.side == side) == sum(
            s.requests or 0 for s in before if s.side == side
        )
        assert sum(s.errors or 0 for s in after if s.side == side) == sum(
            s.errors or 0 for s in before if s.side == side
        )
    # The tenant in flight keeps every sample, at its full cadence.
    assert len(samples.history("T-2", since=0)) == 720


def test_compaction_leaves_the_bucket_not_yet_ended_and_adds_to_a_bucket_already_kept(store: Store) -> None:
    samples = SampleStore(store)
    samples.add_coarse(both_sides("T-1", 0.0, 50.0, 50.0), resolution=15 * MINUTE)
    samples.add([*both_sides("T-1", 300.0, 10.0, 20.0), *both_sides("T-1", 1000.0, 7.0, 7.0)])

    samples.compact(before=1000.0, resolution=15 * MINUTE, keep=(), moved_since=1e9)

    kept = samples.history("T-1", since=0)
    assert [(s.measured_at, s.side, s.requests) for s in kept] == [
        (0.0, "aws", 60.0),
        (0.0, "oci", 70.0),
        (1000.0, "aws", 7.0),  # its bucket (900-1800) has not ended: kept as measured
        (1000.0, "oci", 7.0),
    ]


def test_a_tenant_that_moved_within_the_retention_keeps_its_samples_as_measured(
    tenants: TenantStore, clock: ManualClock
) -> None:
    """A rollback's or a cutover's samples stay measurable (the tenant report's downtime) until they age out."""
    parsed = parse_matrix("Tenant ID,Size,SLA,DNS name\nT-1,2GB,Std,t1.example.com\nT-2,2GB,Std,t2.example.com\n")
    tenants.apply_import(tenants.plan_import(parsed.tenants, "m.csv"), parsed.tenants, "x")
    start = clock.now()
    clock.advance(3600)
    tenants.transition("T-1", Lifecycle.SYNCING, why="test")
    samples = SampleStore(tenants.store)
    for tenant_id in ("T-1", "T-2"):
        samples.add(s for at in range(0, 3600, 60) for s in both_sides(tenant_id, start + at, 5.0, 5.0))

    samples.compact(before=clock.now(), resolution=15 * MINUTE, keep=(), moved_since=clock.now() - 1800)

    assert len(samples.history("T-1", since=0)) == 120  # moved half an hour ago: as measured
    assert len(samples.history("T-2", since=0)) == 8  # untouched for longer: four buckets, two sides


def test_retention_keeps_the_samples_within_their_bound_oldest_first(store: Store) -> None:
    samples = SampleStore(store)
    for minute in range(0, 300, 5):  # five hours of a 60-tenant fleet, coarse, and one tenant in flight
        at = minute * MINUTE
        samples.add_coarse([s for n in range(60) for s in both_sides(f"T-{n}", at, 10.0, 10.0)], resolution=15 * MINUTE)
        samples.add(both_sides("T-in-flight", at, 3.0, 3.0))
        samples.prune(now=at, retention=10 * 3600.0, max_rows=1000)
        assert samples.rows() <= 1000
    kept = samples.history("T-0", since=0)
    newest = max(s.measured_at for s in kept)
    assert newest == 285 * MINUTE  # the newest bucket stays ...
    assert min(s.measured_at for s in kept) > 0  # ... the oldest went
    assert samples.rows() > 900  # no more than needed went
    flight = samples.history("T-in-flight", since=0)
    # Oldest first across both resolutions: what the tenant in flight kept is no older than the bucket before.
    assert min(s.measured_at for s in kept) - 15 * MINUTE < min(s.measured_at for s in flight) > 0


def test_retention_by_age_drops_both_resolutions(store: Store) -> None:
    samples = SampleStore(store)
    samples.add_coarse(both_sides("T-1", 0.0, 1.0, 1.0) + both_sides("T-1", 4000.0, 1.0, 1.0), resolution=900)
    samples.add(both_sides("T-2", 0.0, 1.0, 1.0) + both_sides("T-2", 4000.0, 1.0, 1.0))
    assert samples.prune(now=7200.0, retention=3600.0) == 3  # one coarse row (both sides), two fine rows
    assert [s.measured_at for s in samples.history("T-1", since=0)] == [3600.0, 3600.0]
    assert [s.measured_at for s in samples.history("T-2", since=0)] == [4000.0, 4000.0]


@pytest.mark.slow  # an hour of engine time
@pytest.mark.asyncio
async def test_the_engine_keeps_a_watched_tenant_at_full_cadence_and_the_rest_of_the_fleet_coarse(
    tmp_path: Path,
) -> None:
    from engine_helpers import Harness

    from cutover.actions.plan.plans import PlanRequest

    h = Harness(tmp_path, ready=2)
    await h.start()
    try:
        job = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="night 3")
        await h.until(h.job_done(job.job_id), what="the flip")
        assert h.tenants.get("T-0001").lifecycle is Lifecycle.MIGRATED  # under watch from now
        began = h.clock.now()
        await h.until(lambda: h.clock.now() >= began + 3600, limit=2 * 3600, what="an hour")
        samples = SampleStore(h.store)
        watched = {s.measured_at for s in samples.history("T-0001", since=began) if s.side == "oci"}
        assert len(watched) >= 3600 / h.settings.engine.metrics_interval / 2  # the sim measures every 10 s
        other = samples.history("T-0002", since=began)
        buckets = sorted({s.measured_at for s in other})
        assert 3 <= len(buckets) <= 5  # one per 15 minutes, both sides in each
        assert all(b % h.settings.state.sample_resolution == 0 for b in buckets)
        assert all({s.side for s in other if s.measured_at == b} == {"aws", "oci"} for b in buckets)
        share, _, _ = series_from_samples(other)
        assert len(share) == len(buckets)
    finally:
        await h.stop()
