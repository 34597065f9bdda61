"""CloudWatch (the AWS side of the metrics) and S3 listings, through aioboto3 against moto."""

from __future__ import annotations

import datetime as dt
import math

import pytest
import pytest_asyncio

from cutover.config.providers import CloudWatchSettings
from cutover.lab.fleet import lab_tenants
from cutover.lab.seed_aws import aws_client, put_alb_metrics, seed_buckets
from cutover.model.clock import SystemClock
from cutover.providers.aws.cloudwatch import CloudWatchSide
from cutover.providers.aws.s3 import S3Listing
from cutover.providers.fleet_metrics import FleetMetrics
from cutover.providers.listings import compare_listings

from .conftest import FAST_RETRY, ZONE, store_tenants

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


def minute_ago() -> dt.datetime:
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    return now - dt.timedelta(minutes=2)


@pytest_asyncio.fixture
async def side(aws_access, notices):
    provider = CloudWatchSide(
        CloudWatchSettings(aws=aws_access, retry=FAST_RETRY), observer=notices, clock=SystemClock()
    )
    yield provider
    await provider.aclose()


async def test_fleet_metrics_per_tenant_with_ratios_computed_by_us(moto, proxy, fleet, lab_fleet, side):
    at = minute_ago()
    put_alb_metrics(moto.url, lab_fleet[:3], at=at, requests=1000, errors=20, p95_s=0.85)
    put_alb_metrics(moto.url, lab_fleet[3:5], at=at, requests=400, errors=0, p95_s=1.2)
    snapshot = await FleetMetrics(side, None, clock=SystemClock()).snapshot(fleet)
    t1 = snapshot.tenant("T-0001")
    assert t1 is not None and t1.aws is not None
    assert (t1.aws.requests, t1.aws.errors) == (1000, 20)
    assert t1.error_rate == pytest.approx(0.02)
    assert t1.p95_ms == pytest.approx(850)
    assert t1.aws.measured_at == at.timestamp() + 60
    t4 = snapshot.tenant("T-0004")
    assert t4.error_rate == 0.0 and t4.p95_ms == pytest.approx(1200)
    assert snapshot.tenant("T-0006").aws is None  # no datapoints: no data, not zero traffic
    assert snapshot.errors == ()
    assert len(proxy.calls("GetMetricData")) == 1


async def test_500_queries_a_call(moto, proxy, tenants, aws_access):
    lab = lab_tenants(170, ZONE)
    fleet = store_tenants(tenants, lab)
    put_alb_metrics(moto.url, lab, at=minute_ago(), requests=10, errors=1, p95_s=0.1)
    proxy.clear()
    side = CloudWatchSide(CloudWatchSettings(aws=aws_access, retry=FAST_RETRY), clock=SystemClock())
    try:
        columns = await side.columns(fleet)
    finally:
        await side.aclose()
    assert len(proxy.calls("GetMetricData")) == math.ceil(170 * 3 / 500)
    assert all(value == 10 for value in columns.requests)


async def test_tenants_without_dimensions_have_no_data_and_are_listed(moto, tenants, aws_access):
    lab = lab_tenants(2, ZONE)
    fleet = store_tenants(tenants, lab)
    tenants.store.db.execute("UPDATE tenants SET aws_target_group = '' WHERE tenant_id = 'T-0002'")
    fleet = tenants.find()
    side = CloudWatchSide(CloudWatchSettings(aws=aws_access), clock=SystemClock())
    try:
        put_alb_metrics(moto.url, lab, at=minute_ago(), requests=10, errors=0, p95_s=0.1)
        columns = await side.columns(fleet)
    finally:
        await side.aclose()
    assert columns.requests[0] == 10 and math.isnan(columns.requests[1])
    assert side.unmapped == ("T-0002",)


async def test_a_failing_side_is_reported_and_the_snapshot_still_comes(moto, proxy, fleet, side, notices):
    proxy.inject("throttle", "GetMetricData", times=10)
    snapshot = await FleetMetrics(side, None, clock=SystemClock()).snapshot(fleet)
    assert snapshot.aws is None
    assert len(snapshot.errors) == 1 and "Throttling" in snapshot.errors[0]
    assert len(notices.notices) == FAST_RETRY.attempts - 1


async def test_s3_listing_has_md5s_and_compares_with_a_copy(moto, lab_fleet, aws_access):
    expected = seed_buckets(moto.url, lab_fleet[:1], objects=3)
    bucket = lab_fleet[0].aws_bucket
    s3 = aws_client("s3", moto.url)
    s3.create_bucket(Bucket="copy")
    for key in list(expected[bucket])[:2]:
        s3.copy_object(Bucket="copy", Key=key, CopySource={"Bucket": bucket, "Key": key})
    s3.put_object(Bucket="copy", Key="stray", Body=b"x")
    listing = S3Listing(aws_access)
    try:
        source = await listing.list(bucket)
        copy = await listing.list("copy")
    finally:
        await listing.aclose()
    assert {key: info.md5 for key, info in source.items()} == expected[bucket]
    verification = compare_listings("T-0001", source, copy, at=0.0, by="s3")
    assert (verification.missing_on_dst, verification.missing_on_src, verification.differ) == (1, 1, 0)
    assert not verification.lag_zero


async def test_a_tenant_whose_traffic_left_aws_reads_zero_not_its_last_minute(moto, fleet, lab_fleet, side):
    latest = minute_ago()
    earlier = latest - dt.timedelta(minutes=1)
    put_alb_metrics(moto.url, lab_fleet[:2], at=earlier, requests=900, errors=0, p95_s=0.5)
    put_alb_metrics(moto.url, lab_fleet[1:2], at=latest, requests=950, errors=0, p95_s=0.5)
    columns = await side.columns(fleet)
    # T-0001 was cut over: its ALB published nothing for the newest minute.
    assert columns.requests[0] == 0 and columns.requests[1] == 950
    assert columns.measured_at[0] == columns.measured_at[1] == latest.timestamp() + 60
    assert math.isnan(columns.requests[2])  # never any data: unknown, not zero
