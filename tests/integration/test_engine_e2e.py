"""A cutover and a rollback run end to end through the engine on the real providers, against the
lab's stand-ins (moto's Route 53, CloudWatch and S3; the local OCI; rclone; the tenants' app;
SSH), on a driven clock; the records in moto are checked afterwards.

Traffic follows DNS as the lab's feeder says: each simulated minute, the requests of every
tenant are published to CloudWatch and OCI Monitoring split as the records in moto route them.
"""

from __future__ import annotations

import json

import pytest
import pytest_asyncio

from cutover.actions.plan.plans import PlanRequest
from cutover.config.providers import RcSettings
from cutover.config.settings import Settings, StateSettings
from cutover.lab.seed_aws import aws_client
from cutover.lab.traffic import TrafficFeeder
from cutover.lab.web_server import LAB_LOGIN
from cutover.lab.world import seed_clouds
from cutover.model.clock import ManualClock
from cutover.model.jobs import JobState
from cutover.model.lifecycle import Lifecycle
from cutover.state.samples import SampleStore

from .conftest import FAST_RETRY, ZONE
from .real_engine import RealHarness, lab_providers

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


@pytest_asyncio.fixture
async def harness(
    tmp_path, monkeypatch, moto, local_oci, local_rclone, lab_ssh, ssh_target, tenant_app, slack_sink, lab_fleet
):
    fleet = lab_fleet[:3]
    zone_id = seed_clouds(moto.url, local_oci.world, fleet, objects=2, zone=ZONE)
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack_sink.webhook_url)
    monkeypatch.setenv("E2E_LOGIN_JSON", json.dumps(LAB_LOGIN))
    providers = lab_providers(
        aws={"endpoint_url": moto.url},
        oci={"config_file": local_oci.config_file, "endpoint": local_oci.url},
        zone_id=zone_id,
        rclone=RcSettings(url=local_rclone.url, retry=FAST_RETRY),
        app_port=tenant_app.port,
        ssh_target=ssh_target,
    )
    settings = Settings(state=StateSettings(path=tmp_path / "war-room.db"), providers=providers)
    clock = ManualClock()
    traffic = TrafficFeeder(moto.url, zone_id, local_oci.world, fleet, error_rate=0.0, oci_p95_ms=600.0)
    h = RealHarness(settings, clock, traffic, fleet)
    h.moto_url, h.zone_id, h.lab = moto.url, zone_id, fleet
    await h.start()
    yield h
    await h.stop()


def record_in_moto(h: RealHarness, name: str) -> list[dict]:
    sets = aws_client("route53", h.moto_url).list_resource_record_sets(HostedZoneId=h.zone_id)["ResourceRecordSets"]
    return [s for s in sets if s["Name"] == name + "."]


async def test_a_cutover_and_a_rollback_through_the_engine_leave_the_right_records(harness: RealHarness, local_oci):
    h = harness
    tenant = h.lab[0]
    plan = h.ops.plan(PlanRequest.flip([tenant.tenant_id]))
    assert plan.ok, plan.problems
    job = h.ops.submit(plan, reason="lab night, first tenant")
    await h.until(lambda: h.jobs.get(job.job_id).is_terminal, what="the cutover ending")
    done = h.jobs.get(job.job_id)
    assert done.state is JobState.SUCCEEDED, (done.result, h.jobs.target(job.job_id, tenant.tenant_id).summary)
    assert h.tenants.get(tenant.tenant_id).lifecycle is Lifecycle.MIGRATED
    (record,) = record_in_moto(h, tenant.dns_name)
    assert record["ResourceRecords"] == [{"Value": tenant.oci_target}] and record["TTL"] == 60
    # The final sync really copied the tenant's objects into OCI Object Storage.
    assert len(local_oci.world.buckets[tenant.oci_bucket]) == 2

    plan = h.ops.plan(PlanRequest.rollback([tenant.tenant_id]))
    assert plan.ok, plan.problems
    job = h.ops.submit(plan, reason="lab night: customer reports errors", confirmation=plan.confirm_phrase or None)
    await h.until(lambda: h.jobs.get(job.job_id).is_terminal, what="the rollback ending")
    done = h.jobs.get(job.job_id)
    assert done.state is JobState.SUCCEEDED, done.result
    assert h.tenants.get(tenant.tenant_id).lifecycle is Lifecycle.ROLLED_BACK
    (record,) = record_in_moto(h, tenant.dns_name)
    assert record["ResourceRecords"] == [{"Value": tenant.aws_target}]
    for other in h.lab[1:]:
        (untouched,) = record_in_moto(h, other.dns_name)
        assert untouched["ResourceRecords"] == [{"Value": other.aws_target}]


async def test_a_weighted_ramp_through_the_engine_walks_the_records_to_oci(harness: RealHarness):
    h = harness
    tenant = h.lab[1]
    plan = h.ops.plan(PlanRequest.ramp([tenant.tenant_id], stages=(25, 100), hold=120))
    assert plan.ok, plan.problems
    job = h.ops.submit(plan, reason="lab night: careful tenant", confirmation=plan.confirm_phrase or None)
    seen: set[tuple] = set()

    def watch() -> bool:
        seen.add(
            tuple(sorted((s.get("SetIdentifier", ""), s.get("Weight", -1)) for s in record_in_moto(h, tenant.dns_name)))
        )
        return h.jobs.get(job.job_id).is_terminal

    await h.until(watch, what="the ramp ending", limit=2 * 3600)
    done = h.jobs.get(job.job_id)
    assert done.state is JobState.SUCCEEDED, (done.result, h.jobs.target(job.job_id, tenant.tenant_id).summary)
    assert (("aws", 75), ("oci", 25)) in seen  # the 25 % stage was a weighted pair in moto
    (record,) = record_in_moto(h, tenant.dns_name)
    assert "SetIdentifier" not in record and record["ResourceRecords"] == [{"Value": tenant.oci_target}]


async def test_a_rollbacks_recovery_time_is_honest_on_the_real_metrics(harness: RealHarness):
    """After a rollback the observed share comes back to AWS as soon as a whole minute shows it (about two
    minutes after DNS is in sync, not five), and no poll ever adds OCI's last busy minute to AWS's current
    one (no doubled requests, no phantom OCI share)."""
    h = harness
    tenant = h.lab[2]
    job = h.ops.submit(h.ops.plan(PlanRequest.flip([tenant.tenant_id])), reason="lab night")
    await h.until(lambda: h.jobs.get(job.job_id).is_terminal, what="the cutover ending")
    assert h.jobs.get(job.job_id).state is JobState.SUCCEEDED
    plan = h.ops.plan(PlanRequest.rollback([tenant.tenant_id]))
    rollback = h.ops.submit(plan, reason="lab night: errors", confirmation=plan.confirm_phrase or None)
    await h.until(lambda: h.jobs.get(rollback.job_id).is_terminal, what="the rollback ending")
    assert h.jobs.get(rollback.job_id).state is JobState.SUCCEEDED
    recovery = h.jobs.step(rollback.job_id, tenant.tenant_id, "traffic_back").detail
    # Once DNS is in sync, traffic is seen back as soon as one whole minute on AWS has been published (the
    # lab's 20 s delay and a poll): read unaligned, OCI's last busy minute held it back for 4 to 5 minutes.
    assert recovery["traffic_back_after_s"] - recovery["insync_after_s"] <= 180, recovery
    decided = recovery["decided_at"]
    sides: dict[tuple[float, str], float] = {}
    for sample in SampleStore(h.store).history(tenant.tenant_id, since=decided - 600):
        sides[(sample.measured_at, sample.side)] = sample.requests or 0.0  # one value per minute and side
    per_minute: dict[float, float] = {}
    for (minute, _), requests in sides.items():
        per_minute[minute] = per_minute.get(minute, 0.0) + requests
    assert per_minute and max(per_minute.values()) <= h.feeder.requests * 1.01, per_minute  # never doubled
