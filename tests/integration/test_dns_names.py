"""A tenant with several DNS names (the runbook's Edge Case 2: `api.` beside the tenant's own name), against
moto's Route 53 and the local OCI DNS endpoint: both names change in one change set (one
ChangeResourceRecordSets, one PATCH), each a compare-and-swap; a name changed by someone else refuses the
set and neither name changes. Through the engine: a flip and a rollback move both names in one batch each,
and a tenant whose names span two zones has its first zone put back when the second refuses, and says so."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import pytest_asyncio

from cutover.actions.engine.engine import Engine
from cutover.actions.plan.dns_names import read_every_name
from cutover.actions.plan.operations import Operations
from cutover.actions.plan.plans import PlanRequest
from cutover.config.providers import OciDnsSettings, RcSettings
from cutover.config.settings import Settings, StateSettings
from cutover.lab.fleet import lab_specs
from cutover.lab.oci_server import LocalOci
from cutover.lab.seed_aws import aws_client
from cutover.lab.traffic import TrafficFeeder
from cutover.lab.web_server import LAB_LOGIN
from cutover.lab.world import seed_clouds
from cutover.model.clock import ManualClock
from cutover.model.jobs import JobState
from cutover.model.lifecycle import Lifecycle
from cutover.model.routing import DnsChange, Routing, fence_name
from cutover.model.tenant import Tenant
from cutover.providers.aws.route53 import Route53Dns
from cutover.providers.oci.dns import OciDns
from cutover.providers.ports.dns import DnsProvider
from cutover.providers.ports.errors import RecordChanged
from cutover.state.tenants import TenantStore

from .conftest import FAST_RETRY, ZONE
from .real_engine import RealHarness, lab_providers

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]  # real servers on 127.0.0.1

OTHER_ZONE = "other.example"


def api_name(tenant: Tenant | str) -> str:
    name = tenant if isinstance(tenant, str) else tenant.dns_name
    return f"api.{name}"


def give_extra_name(tenants: TenantStore, tenant_id: str, extra: str) -> Tenant:
    """Re-import the lab matrix's row of `tenant_id` with `extra` in its Extra DNS names column."""
    stored = tenants.get(tenant_id)
    spec = next(
        s
        for s in lab_specs([_lab_like(stored)], ZONE)
        if s.tenant_id == tenant_id  # the lab's own row, as the import wrote it
    )
    spec = replace(spec, extra_dns_names=extra)
    plan = tenants.plan_import((spec,), source="lab-matrix.csv", only={"extra_dns_names"})
    tenants.apply_import(plan, (spec,), "1" * 64)
    return tenants.get(tenant_id)


def _lab_like(tenant: Tenant):
    from cutover.lab.fleet import LabTenant

    return LabTenant(
        tenant.tenant_id,
        tenant.dns_name,
        tenant.aws_target,
        tenant.oci_target,
        tenant.aws_bucket,
        tenant.oci_bucket,
        tenant.aws_load_balancer,
        tenant.aws_target_group,
        tenant.oci_load_balancer,
        tenant.oci_backend_set,
    )


def add_record(moto_url: str, zone_id: str, name: str, value: str) -> None:
    aws_client("route53", moto_url).change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": name + ".",
                        "Type": "A",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": value}],
                    },
                }
            ]
        },
    )


def change_by_hand(moto_url: str, zone_id: str, name: str, value: str) -> None:
    aws_client("route53", moto_url).change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": name + ".",
                        "Type": "A",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": value}],
                    },
                }
            ]
        },
    )


def values_in_moto(moto_url: str, zone_id: str, name: str) -> list[str]:
    sets = aws_client("route53", moto_url).list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return [v["Value"] for s in sets if s["Name"] == name + "." for v in s.get("ResourceRecords", [])]


async def both(dns: DnsProvider, tenant: Tenant):
    _, named = await read_every_name(dns, [tenant])
    return named[tenant.tenant_id]


async def flip_both(dns: DnsProvider, tenant: Tenant, to: Routing, fence: str) -> None:
    records = await both(dns, tenant)
    (zone,) = {record.zone for record in records.values()}
    await dns.apply(zone, [DnsChange(tenant.tenant_id, record, to, fence=fence) for record in records.values()])


# --- Route 53 (moto) ---------------------------------------------------------------------------------


@pytest.fixture
def zone_id(moto, lab_fleet) -> str:
    from cutover.lab.seed_aws import seed_zone

    zone_id = seed_zone(moto.url, ZONE, lab_fleet)
    add_record(moto.url, zone_id, api_name(lab_fleet[0].dns_name), lab_fleet[0].aws_target)
    return zone_id


@pytest_asyncio.fixture
async def route53(route53_settings):
    provider = Route53Dns(route53_settings)
    yield provider
    await provider.aclose()


async def test_route53_flips_and_rolls_back_both_names_in_one_change_batch(
    moto, proxy, zone_id, fleet, tenants, route53
) -> None:
    tenant = give_extra_name(tenants, fleet[0].tenant_id, api_name(fleet[0]))
    await route53.zone_id(ZONE)
    proxy.clear()
    records = await both(route53, tenant)
    assert set(records) == {tenant.dns_name, api_name(tenant)}
    assert len(proxy.calls("ListResourceRecordSets")) == 1  # every name from one listing of the zone
    proxy.clear()
    await flip_both(route53, tenant, Routing.simple(tenant.oci_target, 60), fence="cutover job=flip-1 epoch=1")
    (batch,) = proxy.calls("ChangeResourceRecordSets")  # one request, both names
    assert zone_id in batch.path
    for name in (tenant.dns_name, api_name(tenant)):
        assert values_in_moto(moto.url, zone_id, name) == [tenant.oci_target]
        assert values_in_moto(moto.url, zone_id, fence_name(name)) == ['"cutover job=flip-1 epoch=1"']
    proxy.clear()
    await flip_both(route53, tenant, Routing.simple(tenant.aws_target, 60), fence="cutover job=rollback-2 epoch=1")
    assert len(proxy.calls("ChangeResourceRecordSets")) == 1
    for name in (tenant.dns_name, api_name(tenant)):
        assert values_in_moto(moto.url, zone_id, name) == [tenant.aws_target]
    # A neighbour with one name was not touched.
    assert values_in_moto(moto.url, zone_id, fleet[1].dns_name) == [fleet[1].aws_target]


async def test_route53_refuses_both_names_when_one_was_changed_by_hand(
    moto, proxy, zone_id, fleet, tenants, route53
) -> None:
    tenant = give_extra_name(tenants, fleet[0].tenant_id, api_name(fleet[0]))
    records = await both(route53, tenant)
    change_by_hand(moto.url, zone_id, api_name(tenant), "198.51.100.7")  # after the read, before the change
    to_oci = Routing.simple(tenant.oci_target, 60)
    with pytest.raises(RecordChanged) as refused:
        await route53.apply(
            ZONE, [DnsChange(tenant.tenant_id, record, to_oci, fence="job=flip-1") for record in records.values()]
        )
    assert refused.value.expected.name == api_name(tenant)
    assert "198.51.100.7" in str(refused.value) and "nothing was changed" in str(refused.value)
    assert values_in_moto(moto.url, zone_id, tenant.dns_name) == [tenant.aws_target]  # neither name changed
    assert values_in_moto(moto.url, zone_id, api_name(tenant)) == ["198.51.100.7"]
    assert values_in_moto(moto.url, zone_id, fence_name(tenant.dns_name)) == []


# --- OCI DNS (the local endpoint verifying the SDK's signatures) ----------------------------------------


@pytest.fixture
def seeded_oci(local_oci: LocalOci, lab_fleet) -> LocalOci:
    for lab in lab_fleet:
        local_oci.world.set_record(ZONE, lab.dns_name, lab.aws_target)
    local_oci.world.set_record(ZONE, api_name(lab_fleet[0].dns_name), lab_fleet[0].aws_target)
    return local_oci


@pytest_asyncio.fixture
async def oci_dns(oci_access, fleet):
    provider = OciDns(OciDnsSettings(oci=oci_access, retry=FAST_RETRY))
    yield provider
    await provider.aclose()


def oci_values(local_oci: LocalOci, name: str) -> list[str]:
    return [r.rdata for r in local_oci.world.zones[ZONE].records if r.domain == name]


async def test_oci_dns_flips_and_rolls_back_both_names_in_one_patch(seeded_oci, fleet, tenants, oci_dns) -> None:
    tenant = give_extra_name(tenants, fleet[0].tenant_id, api_name(fleet[0]))
    before = seeded_oci.calls("patch_zone_records")
    await flip_both(oci_dns, tenant, Routing.simple(tenant.oci_target, 60), fence="cutover job=flip-1 epoch=1")
    assert seeded_oci.calls("patch_zone_records") == before + 1
    for name in (tenant.dns_name, api_name(tenant)):
        assert oci_values(seeded_oci, name) == [tenant.oci_target]
        assert oci_values(seeded_oci, fence_name(name)) == ['"cutover job=flip-1 epoch=1"']
    await flip_both(oci_dns, tenant, Routing.simple(tenant.aws_target, 60), fence="cutover job=rollback-2 epoch=1")
    assert seeded_oci.calls("patch_zone_records") == before + 2
    for name in (tenant.dns_name, api_name(tenant)):
        assert oci_values(seeded_oci, name) == [tenant.aws_target]


async def test_oci_dns_refuses_both_names_when_one_was_changed_by_hand(seeded_oci, fleet, tenants, oci_dns) -> None:
    tenant = give_extra_name(tenants, fleet[0].tenant_id, api_name(fleet[0]))
    records = await both(oci_dns, tenant)
    zone = seeded_oci.world.zones[ZONE]
    zone.records = [r for r in zone.records if r.domain != api_name(tenant)]
    seeded_oci.world.set_record(ZONE, api_name(tenant), "198.51.100.7")
    to_oci = Routing.simple(tenant.oci_target, 60)
    with pytest.raises(RecordChanged) as refused:
        await oci_dns.apply(
            ZONE, [DnsChange(tenant.tenant_id, record, to_oci, fence="job=flip-1") for record in records.values()]
        )
    assert refused.value.expected.name == api_name(tenant)
    assert oci_values(seeded_oci, tenant.dns_name) == [tenant.aws_target]
    assert oci_values(seeded_oci, api_name(tenant)) == ["198.51.100.7"]
    assert oci_values(seeded_oci, fence_name(tenant.dns_name)) == []


# --- through the engine, on the real providers ----------------------------------------------------------


@pytest_asyncio.fixture
async def harness(
    tmp_path, monkeypatch, moto, proxy, local_oci, local_rclone, lab_ssh, ssh_target, tenant_app, slack_sink, lab_fleet
):
    fleet = lab_fleet[:3]
    zone_id = seed_clouds(moto.url, local_oci.world, fleet, objects=2, zone=ZONE)
    add_record(moto.url, zone_id, api_name(fleet[0].dns_name), fleet[0].aws_target)
    other = aws_client("route53", moto.url).create_hosted_zone(Name=OTHER_ZONE, CallerReference="lab-other")
    other_id = other["HostedZone"]["Id"].removeprefix("/hostedzone/")
    add_record(moto.url, other_id, f"api.t-0001.{OTHER_ZONE}", fleet[0].aws_target)
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack_sink.webhook_url)
    monkeypatch.setenv("E2E_LOGIN_JSON", json.dumps(LAB_LOGIN))
    providers = lab_providers(
        aws={"endpoint_url": proxy.url},  # through the proxy, which counts the change batches
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
    h.moto_url, h.zone_id, h.other_id, h.lab, h.proxy = moto.url, zone_id, other_id, fleet, proxy
    yield h
    await h.stop()


def use_dns(h: RealHarness, dns: DnsProvider) -> None:
    """The engine and the operations facade on another DNS provider (before the engine starts)."""
    h.providers = replace(h.providers, dns=dns)
    h.engine = Engine(h.settings, actor=h.actor, store=h.store, providers=h.providers, clock=h.clock)
    h.ops = Operations(h.session, providers=h.providers, on_submit=h.engine.wake)


async def test_the_engine_flips_and_rolls_back_a_two_name_tenant_one_batch_each(harness: RealHarness) -> None:
    h = harness
    tenant = give_extra_name(h.tenants, "T-0001", api_name(h.lab[0].dns_name))
    await h.start()
    await h.until(lambda: len(h.tenants.get("T-0001").names_seen) == 2, what="both names read")
    h.proxy.clear()
    plan = h.ops.plan(PlanRequest.flip(["T-0001"]))
    assert plan.ok, plan.problems
    job = h.ops.submit(plan, reason="edge case 2 in the lab")
    await h.until(lambda: h.jobs.get(job.job_id).is_terminal, what="the cutover ending")
    target = h.jobs.target(job.job_id, "T-0001")
    assert h.jobs.get(job.job_id).state is JobState.SUCCEEDED, target.summary
    (batch,) = h.proxy.calls("ChangeResourceRecordSets")  # one request for both names
    assert h.zone_id in batch.path
    step = h.jobs.step(job.job_id, "T-0001", "dns_change")
    assert list(step.request_ids) == [step.detail["change_id"]] and "(2 names)" in step.result
    for name in (tenant.dns_name, api_name(tenant)):
        assert values_in_moto(h.moto_url, h.zone_id, name) == [tenant.oci_target]

    h.proxy.clear()
    plan = h.ops.plan(PlanRequest.rollback(["T-0001"]))
    job = h.ops.submit(plan, reason="customer reports errors", confirmation=plan.confirm_phrase or None)
    await h.until(lambda: h.jobs.get(job.job_id).is_terminal, what="the rollback ending")
    assert h.jobs.get(job.job_id).state is JobState.SUCCEEDED, h.jobs.target(job.job_id, "T-0001").summary
    assert len(h.proxy.calls("ChangeResourceRecordSets")) == 1
    for name in (tenant.dns_name, api_name(tenant)):
        assert values_in_moto(h.moto_url, h.zone_id, name) == [tenant.aws_target]
    assert h.tenants.get("T-0001").lifecycle is Lifecycle.ROLLED_BACK


class SomeoneChangesTheSecondZone:
    """Route 53 as it is, but just before the engine's change to `zone` lands, someone changes `name` there
    by hand: the worst moment, after the first zone's change was made."""

    def __init__(self, real: DnsProvider, moto_url: str, zone_id: str, zone: str, name: str):
        self.real, self.moto_url, self.zone_id, self.zone, self.name = real, moto_url, zone_id, zone, name
        self.source = real.source
        self.stepped_in = False

    async def read_routing(self, tenants):
        return await self.real.read_routing(tenants)

    async def read_names(self, names):
        return await self.real.read_names(names)

    async def apply(self, zone, changes):
        if zone == self.zone and not self.stepped_in:
            self.stepped_in = True
            change_by_hand(self.moto_url, self.zone_id, self.name, "198.51.100.7")
        return await self.real.apply(zone, changes)

    async def change_status(self, receipt):
        return await self.real.change_status(receipt)

    async def aclose(self):
        await self.real.aclose()


async def test_names_in_two_zones_put_the_first_zone_back_when_the_second_refuses(harness: RealHarness) -> None:
    h = harness
    other_name = f"api.t-0001.{OTHER_ZONE}"
    tenant = give_extra_name(h.tenants, "T-0001", f"{other_name}@{OTHER_ZONE}")
    use_dns(h, SomeoneChangesTheSecondZone(h.providers.dns, h.moto_url, h.other_id, OTHER_ZONE, other_name))
    await h.start()
    await h.until(lambda: len(h.tenants.get("T-0001").names_seen) == 2, what="both names read")
    plan = h.ops.plan(PlanRequest.flip(["T-0001"]))
    assert plan.ok, plan.problems
    job = h.ops.submit(plan, reason="edge case 2 over two zones")
    await h.until(lambda: h.jobs.get(job.job_id).is_terminal, what="the cutover ending")
    summary = h.jobs.target(job.job_id, "T-0001").summary
    assert h.jobs.get(job.job_id).state is JobState.FAILED
    assert f"{other_name}@{OTHER_ZONE} refused (record changed: expected {tenant.aws_target} (TTL 60), " in summary
    assert summary.endswith(f"; {ZONE} put back to AWS"), summary
    # The first zone's name went to OCI and came back; the name changed by hand is as that person left it.
    assert values_in_moto(h.moto_url, h.zone_id, tenant.dns_name) == [tenant.aws_target]
    assert values_in_moto(h.moto_url, h.other_id, other_name) == ["198.51.100.7"]
    assert values_in_moto(h.moto_url, h.zone_id, fence_name(tenant.dns_name))[0].endswith(' put-back"')
    assert len(h.proxy.calls("ChangeResourceRecordSets")) == 3  # zone A, zone B (refused), zone A back
    events = h.session.events.find(tenant_id="T-0001")
    assert any(e.kind == "dns.put_back" and e.what == f"T-0001: {ZONE} put back to AWS" for e in events)
    assert any(e.kind == "alert" and f"{ZONE} put back to AWS" in e.what for e in events)
    stored = h.tenants.get("T-0001")
    assert stored.lifecycle is Lifecycle.FAILED
    # The store shows what DNS says now: its own name on AWS, the API name where the person left it.
    assert stored.dns_split and stored.dns_oci_share is None
    assert [(s.name, s.oci_share) for s in stored.names_seen] == [(tenant.dns_name, 0.0), (other_name, None)]
    print(summary)
