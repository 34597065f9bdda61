"""A cutover and a rollback run end to end through the engine on the real providers, against the
lab's stand-ins (moto's Route 53, CloudWatch and S3; the local OCI; rclone; the tenants' app;
SSH), on a driven clock; the records in moto are checked afterwards.

Traffic follows DNS as the lab's feeder says: each simulated minute, the requests of every
tenant are published to CloudWatch and OCI Monitoring split as the records in moto route them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest
import pytest_asyncio
from engine_helpers import make_ready, settle

from cutover.actions.composition import build_providers
from cutover.actions.engine import Engine
from cutover.actions.operations import Operations, PlanRequest
from cutover.actions.session import Session
from cutover.config.loader import LoadedConfig
from cutover.config.providers import (
    CloudMetrics,
    CloudWatchSettings,
    HydrationSettings,
    OciLbHealth,
    OciMonitoringSettings,
    RcloneSync,
    RcSettings,
    Route53Dns,
    SlackNotifier,
    ValidationSettings,
)
from cutover.config.settings import ProvidersSettings, Settings, StateSettings
from cutover.lab.oci_server import COMPARTMENT
from cutover.lab.seed_aws import aws_client, put_alb_metrics, seed_buckets, seed_zone
from cutover.lab.web_server import LAB_LOGIN
from cutover.state.clock import ManualClock
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.jobs import JobState, JobStore
from cutover.state.lifecycle import Lifecycle
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

from .conftest import FAST_RETRY, ZONE, store_tenants

pytestmark = pytest.mark.asyncio


class TrafficFeeder:
    """Publishes one minute of traffic per simulated minute, split as DNS in moto says."""

    def __init__(self, moto_url: str, zone_id: str, oci_world, lab_fleet, requests: float = 1200.0):
        self.moto_url, self.zone_id, self.oci_world, self.lab = moto_url, zone_id, oci_world, lab_fleet
        self.requests = requests
        self.published: set[float] = set()

    def shares(self) -> dict[str, float]:
        sets = aws_client("route53", self.moto_url).list_resource_record_sets(HostedZoneId=self.zone_id)
        shares = {}
        for tenant in self.lab:
            mine = [s for s in sets["ResourceRecordSets"] if s["Name"] == tenant.dns_name + "."]
            total = sum(float(s.get("Weight", 1)) for s in mine)
            oci = sum(
                float(s.get("Weight", 1))
                for s in mine
                if tenant.oci_target in [v["Value"] for v in s.get("ResourceRecords", [])]
            )
            shares[tenant.tenant_id] = oci / total if total else 0.0
        return shares

    def feed(self, now: float) -> None:
        minute = now - now % 60 - 60
        if minute in self.published:
            return
        self.published.add(minute)
        at = dt.datetime.fromtimestamp(minute, dt.UTC)
        for tenant_id, share in self.shares().items():
            tenant = next(t for t in self.lab if t.tenant_id == tenant_id)
            if share < 1:
                aws = self.requests * (1 - share)
                put_alb_metrics(self.moto_url, [tenant], at=at, requests=aws, errors=0, p95_s=0.8)
            if share > 0:
                oci = self.requests * share
                for metric, value in (
                    ("HttpRequests", oci),
                    ("HttpResponses5xx", 0.0),
                    ("ResponseTimeHttpHeader", 600.0),
                ):
                    self.oci_world.put_metric(tenant.oci_load_balancer, tenant.backend_set, metric, minute, value)


class RealHarness:
    def __init__(self, tmp_path: Path, settings: Settings, clock: ManualClock, feeder: TrafficFeeder, lab_fleet):
        self.clock = clock
        self.feeder = feeder
        self.actor = Actor("alice", "jump-1")
        self.settings = settings
        self.store = Store(settings.state.path)
        events = EventLog(self.store, self.actor, clock)
        self.tenants = TenantStore(self.store, events)
        store_tenants(self.tenants, lab_fleet)
        for tenant in self.tenants.list():
            make_ready(self.tenants, tenant.tenant_id, clock.now())
        self.providers = build_providers(settings, self.store, clock, actor=self.actor).providers
        self.session = Session(LoadedConfig(settings, None), self.store, self.actor, clock, events, None)  # type: ignore[arg-type]
        self.session.tenants = self.tenants
        self.engine = Engine(settings, actor=self.actor, store=self.store, providers=self.providers, clock=clock)
        self.ops = Operations(self.session, providers=self.providers, on_submit=self.engine.wake)
        self.jobs = JobStore(self.store, events)
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self.engine.run())
        await self.until(lambda: self.engine.leading, what="the engine leading")

    async def stop(self) -> None:
        if self._task is not None:
            self.engine.request_stop()
            await self._task
        await self.providers.aclose()
        self.store.close()

    async def until(self, done, *, limit: float = 3 * 3600.0, what: str) -> float:
        """Jump the clock from sleeper to sleeper, giving real I/O (HTTP, SSH) time to land first."""
        start = self.clock.now()
        while True:
            for _ in range(3):
                await settle()
                await asyncio.sleep(0.01)
            self.feeder.feed(self.clock.now())
            if done():
                return self.clock.now() - start
            wake = self.clock.next_wakeup
            if wake is None or wake - start > limit:
                raise AssertionError(f"{what} did not happen within {limit:.0f} simulated seconds")
            self.clock.set(max(wake, self.clock.now()))


@pytest_asyncio.fixture
async def harness(
    tmp_path, monkeypatch, moto, local_oci, local_rclone, lab_ssh, ssh_target, tenant_app, slack_sink, lab_fleet
):
    fleet = lab_fleet[:3]
    zone_id = seed_zone(moto.url, ZONE, fleet)
    seed_buckets(moto.url, fleet, objects=2)
    for tenant in fleet:
        local_oci.world.add_backend_set(tenant.oci_load_balancer, tenant.backend_set, backends=3)
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack_sink.webhook_url)
    monkeypatch.setenv("E2E_LOGIN_JSON", json.dumps(LAB_LOGIN))
    oci = {"config_file": local_oci.config_file, "endpoint": local_oci.url}
    aws = {"endpoint_url": moto.url}
    providers = ProvidersSettings(
        dns=Route53Dns(kind="route53", aws=aws, zones={ZONE: zone_id}, retry=FAST_RETRY),
        metrics=CloudMetrics(
            kind="cloud",
            aws=CloudWatchSettings(aws=aws, retry=FAST_RETRY),
            oci=OciMonitoringSettings(oci=oci, compartment_id=COMPARTMENT, retry=FAST_RETRY),
        ),
        sync=RcloneSync(kind="rclone", rc=RcSettings(url=local_rclone.url, retry=FAST_RETRY)),
        health=OciLbHealth(
            kind="oci_lb",
            oci=oci,
            compartment_id=COMPARTMENT,
            retry=FAST_RETRY,
            validation=ValidationSettings(scheme="http", port=tenant_app.port),
            hydration=HydrationSettings(ssh=ssh_target),
        ),
        notifier=SlackNotifier(kind="slack", retry=FAST_RETRY),
    )
    settings = Settings(state=StateSettings(path=tmp_path / "war-room.db"), providers=providers)
    clock = ManualClock()
    h = RealHarness(tmp_path, settings, clock, TrafficFeeder(moto.url, zone_id, local_oci.world, fleet), fleet)
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
