"""Both clouds are read at one minute: a stale OCI minute is never added to the current AWS minute (the phantom
50 % OCI after a rollback), and a side that reports late holds the other back rather than mixing minutes.
CloudWatch in moto and OCI Monitoring on the local endpoint, through the real SDKs."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import pytest_asyncio

from cutover.config.providers import CloudWatchSettings, OciMonitoringSettings
from cutover.lab.oci_server import COMPARTMENT, LocalOci
from cutover.lab.seed_aws import put_alb_metrics
from cutover.model.clock import SystemClock
from cutover.providers.aws.cloudwatch import CloudWatchSide
from cutover.providers.fleet_metrics import FleetMetrics
from cutover.providers.oci.monitoring import OciMonitoringSide

from .conftest import FAST_RETRY

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


def minute(minutes_ago: int) -> float:
    return time.time() // 60 * 60 - 60 * minutes_ago


def put_oci(local_oci: LocalOci, tenant, at: float, requests: float) -> None:
    for metric, value in (("HttpRequests", requests), ("HttpResponses5xx", 0.0), ("ResponseTimeHttpHeader", 640.0)):
        local_oci.world.put_metric(tenant.oci_load_balancer, tenant.backend_set, metric, at, value)


def put_aws(moto, tenant, at: float, requests: float) -> None:
    put_alb_metrics(
        moto.url, [tenant], at=dt.datetime.fromtimestamp(at, dt.UTC), requests=requests, errors=0, p95_s=0.8
    )


@pytest_asyncio.fixture
async def metrics(aws_access, oci_access, request):
    delays = getattr(request, "param", (60.0, 60.0))
    aws = CloudWatchSide(
        CloudWatchSettings(aws=aws_access, retry=FAST_RETRY, reporting_delay=delays[0]), clock=SystemClock()
    )
    oci = OciMonitoringSide(
        OciMonitoringSettings(oci=oci_access, compartment_id=COMPARTMENT, retry=FAST_RETRY, reporting_delay=delays[1]),
        clock=SystemClock(),
    )
    yield FleetMetrics(aws, oci, clock=SystemClock())
    await aws.aclose()
    await oci.aclose()


async def test_after_a_rollback_the_last_busy_oci_minute_is_not_added_to_the_current_aws_one(
    moto, local_oci, lab_fleet, fleet, metrics
) -> None:
    tenant = lab_fleet[0]
    put_oci(local_oci, tenant, minute(5), 1200)  # on OCI until the rollback, 5 minutes ago
    for ago in (4, 3, 2):
        put_aws(moto, tenant, minute(ago), 1200)  # back on AWS since; OCI publishes nothing for idle minutes
    snapshot = await metrics.snapshot(fleet)
    figures = snapshot.tenant(tenant.tenant_id)
    assert figures is not None and figures.aws is not None and figures.oci is not None
    assert figures.oci_share == 0.0  # not a phantom 50 %
    assert figures.requests == 1200  # not 2,400
    assert figures.aws.measured_at == figures.oci.measured_at  # one minute for both clouds


@pytest.mark.parametrize("metrics", [(600.0, 60.0)], indirect=True)
async def test_a_side_that_reports_late_holds_the_minute_both_are_read_at(
    moto, local_oci, lab_fleet, fleet, metrics
) -> None:
    tenant = lab_fleet[1]
    # Half and half, every minute; CloudWatch is two minutes behind OCI (still within its reporting delay).
    for ago in (4, 3):
        put_aws(moto, tenant, minute(ago), 600)
    for ago in (4, 3, 2, 1):
        put_oci(local_oci, tenant, minute(ago), 600 if ago >= 3 else 1100)
    figures = (await metrics.snapshot(fleet)).tenant(tenant.tenant_id)
    assert figures is not None and figures.aws is not None and figures.oci is not None
    assert figures.aws.measured_at == figures.oci.measured_at == minute(3) + 60
    assert figures.oci_share == pytest.approx(0.5) and figures.requests == 1200
