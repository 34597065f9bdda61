"""OCI through the real SDK against the local OCI endpoint, which verifies every request's signature."""

from __future__ import annotations

import time
import traceback

import pytest
import pytest_asyncio

from cutover.config.access import OciAccess
from cutover.config.providers import OciDnsSettings, OciLbHealth, OciMonitoringSettings
from cutover.lab.oci_server import COMPARTMENT, NAMESPACE, LocalOci
from cutover.lab.seed_aws import object_body
from cutover.model.clock import SystemClock
from cutover.model.routing import DnsChange, Routing
from cutover.providers.fleet_metrics import FleetMetrics
from cutover.providers.oci.dns import OciDns
from cutover.providers.oci.lb_health import OciBackendHealth
from cutover.providers.oci.monitoring import OciMonitoringSide
from cutover.providers.oci.object_storage import ObjectStorageListing
from cutover.providers.ports.errors import ProviderError, RecordChanged
from cutover.providers.ports.health import BackendStatus

from .conftest import FAST_RETRY, ZONE

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


@pytest.fixture
def seeded(local_oci: LocalOci, fleet, lab_fleet) -> LocalOci:
    world = local_oci.world
    for tenant in lab_fleet:
        world.set_record(ZONE, tenant.dns_name, tenant.aws_target)
        world.add_backend_set(tenant.oci_load_balancer, tenant.backend_set, backends=3)
    return local_oci


@pytest_asyncio.fixture
async def oci_dns(oci_access, notices):
    provider = OciDns(OciDnsSettings(oci=oci_access, retry=FAST_RETRY), observer=notices)
    yield provider
    await provider.aclose()


async def test_oci_dns_reads_and_flips_with_preconditions(seeded, fleet, oci_dns):
    records = await oci_dns.read_routing(fleet)
    assert records["T-0002"].routing == Routing.simple(fleet[1].aws_target, 60)
    receipt = await oci_dns.apply(
        ZONE, [DnsChange(t.tenant_id, records[t.tenant_id], Routing.simple(t.oci_target, 60)) for t in fleet[:2]]
    )
    assert receipt.status == "INSYNC" and receipt.change_id.startswith("lab/")
    zone = seeded.world.zones[ZONE]
    assert {(r.domain, r.rdata) for r in zone.records if r.domain == fleet[0].dns_name} == {
        (fleet[0].dns_name, fleet[0].oci_target)
    }
    assert seeded.refused_signatures == 0


async def test_oci_dns_refuses_when_a_record_changed_and_changes_nothing(seeded, fleet, oci_dns):
    records = await oci_dns.read_routing(fleet[:2])
    seeded.world.set_record(ZONE, fleet[1].dns_name, "192.0.2.50", ttl=300)
    flips = [DnsChange(t.tenant_id, records[t.tenant_id], Routing.simple(t.oci_target, 60)) for t in fleet[:2]]
    with pytest.raises(RecordChanged) as refused:
        await oci_dns.apply(ZONE, flips)
    assert refused.value.tenant_id == "T-0002"
    assert refused.value.found.routing == Routing.simple("192.0.2.50", 300)
    first = [r for r in seeded.world.zones[ZONE].records if r.domain == fleet[0].dns_name]
    assert [r.rdata for r in first] == [fleet[0].aws_target]


async def test_oci_dns_refuses_a_weighted_ramp(seeded, fleet, oci_dns):
    records = await oci_dns.read_routing(fleet[:1])
    with pytest.raises(ProviderError, match="no weighted records"):
        await oci_dns.apply(
            ZONE,
            [DnsChange("T-0001", records["T-0001"], Routing.split(fleet[0].aws_target, fleet[0].oci_target, 10, 60))],
        )


async def test_throttled_and_failing_calls_are_retried_visibly(seeded, fleet, oci_dns, notices):
    seeded.inject("get_zone_records", 429)
    seeded.inject("get_zone_records", 500)
    records = await oci_dns.read_routing(fleet[:1])
    assert "T-0001" in records
    assert [(n.operation, n.attempt) for n in notices.notices] == [("GetZoneRecords", 1), ("GetZoneRecords", 2)]
    assert "429 TooManyRequests" in notices.notices[0].reason
    assert "signature" not in notices.notices[0].reason.lower()


async def refused_read(access: OciAccess, fleet, match: str) -> ProviderError:
    """The error a DNS read with this profile ends in; the provider closed after."""
    dns = OciDns(OciDnsSettings(oci=access, retry=FAST_RETRY))
    try:
        with pytest.raises(ProviderError, match=match) as refused:
            await dns.read_routing(fleet[:1])
    finally:
        await dns.aclose()
    return refused.value


async def test_a_request_signed_with_another_key_is_refused(seeded, fleet, tmp_path, local_oci):
    with LocalOci() as other:
        wrong = other.write_oci_config(tmp_path / "other")
    refused = await refused_read(OciAccess(config_file=wrong, endpoint=local_oci.url), fleet, "401 NotAuthenticated")
    assert not refused.retryable
    assert local_oci.refused_signatures == 1


async def test_a_missing_profile_is_a_clear_error(seeded, fleet, local_oci):
    access = OciAccess(config_file=local_oci.config_file, profile="WARROOM", endpoint=local_oci.url)
    await refused_read(access, fleet, r"no profile \[WARROOM\]")


async def test_a_wrong_pass_phrase_is_a_clear_error_that_does_not_show_it(tmp_path, local_oci, fleet):
    pass_phrase = "oci-pass-phrase-K3y9-never-shown"
    config = local_oci.write_oci_config(tmp_path / "oci", pass_phrase=pass_phrase)
    config.write_text(config.read_text().replace(pass_phrase, pass_phrase[::-1]))
    refused = await refused_read(
        OciAccess(config_file=config, endpoint=local_oci.url), fleet, "cannot load the API key"
    )
    text = "".join(traceback.format_exception(refused))
    assert pass_phrase not in text and pass_phrase[::-1] not in text


async def test_backend_health_sweeps_cheaply(seeded, fleet, lab_fleet, oci_access):
    seeded.world.load_balancers[lab_fleet[1].oci_load_balancer][lab_fleet[1].backend_set].down.add("10.0.0.10:8080")
    settings = OciLbHealth(kind="oci_lb", oci=oci_access, compartment_id=COMPARTMENT, retry=FAST_RETRY)
    health = OciBackendHealth(settings, clock=SystemClock())
    try:
        first = await health.backends(fleet)
        assert (first["T-0001"].healthy, first["T-0001"].total, first["T-0001"].status) == (3, 3, BackendStatus.OK)
        assert (first["T-0002"].healthy, first["T-0002"].status) == (2, BackendStatus.WARNING)
        assert first["T-0002"].unhealthy == ("10.0.0.10:8080",)
        assert seeded.calls("get_backend_set_health") == len(fleet)
        second = await health.backends(fleet)
    finally:
        await health.aclose()
    # Second sweep: one list call, and a detail call only for the load balancer that is not OK.
    assert seeded.calls("get_backend_set_health") == len(fleet) + 1
    assert seeded.calls("list_load_balancer_healths") == 2
    assert second["T-0003"].healthy == 3 and second["T-0002"].healthy == 2


async def test_monitoring_serves_the_fleet_with_one_query_per_metric(seeded, fleet, lab_fleet, oci_access):
    minute = time.time() // 60 * 60 - 120
    for tenant in lab_fleet[:4]:
        seeded.world.put_metric(tenant.oci_load_balancer, tenant.backend_set, "HttpRequests", minute, 500)
        seeded.world.put_metric(tenant.oci_load_balancer, tenant.backend_set, "HttpResponses5xx", minute, 10)
        seeded.world.put_metric(tenant.oci_load_balancer, tenant.backend_set, "ResponseTimeHttpHeader", minute, 640)
    settings = OciMonitoringSettings(oci=oci_access, compartment_id=COMPARTMENT, retry=FAST_RETRY)
    side = OciMonitoringSide(settings, clock=SystemClock())
    try:
        snapshot = await FleetMetrics(None, side, clock=SystemClock()).snapshot(fleet)
    finally:
        await side.aclose()
    t1 = snapshot.tenant("T-0001")
    assert t1.oci.requests == 500 and t1.error_rate == pytest.approx(0.02) and t1.p95_ms == 640
    assert t1.oci.measured_at == minute + 60
    assert snapshot.tenant("T-0005").oci is None
    assert seeded.calls("summarize_metrics_data") == 3


async def test_object_storage_lists_md5s(seeded, lab_fleet, oci_access):
    bucket = lab_fleet[0].oci_bucket
    for index in range(3):
        seeded.world.put_object(bucket, f"raw/part-{index:03d}.parquet", object_body("T-0001", index))
    listing = ObjectStorageListing(oci_access, NAMESPACE, FAST_RETRY)
    try:
        objects = await listing.list(bucket)
    finally:
        await listing.aclose()
    import hashlib

    assert objects["raw/part-001.parquet"].md5 == hashlib.md5(object_body("T-0001", 1)).hexdigest()
    assert len(objects) == 3


async def test_a_record_that_appeared_meanwhile_is_prohibited(seeded, fleet, oci_dns):
    records = await oci_dns.read_routing(fleet[:1])
    absent = records["T-0001"]._replace(version="[]")
    seeded.world.zones[ZONE].records = [r for r in seeded.world.zones[ZONE].records if r.domain != fleet[0].dns_name]
    seeded.world.set_record(ZONE, fleet[0].dns_name, "192.0.2.7")
    with pytest.raises(RecordChanged) as refused:
        await oci_dns.apply(ZONE, [DnsChange("T-0001", absent, Routing.simple(fleet[0].oci_target, 60))])
    assert refused.value.found.routing.target == "192.0.2.7"
    operations = oci_dns.build_operations([DnsChange("T-0001", absent, Routing.simple(fleet[0].oci_target, 60))])
    assert [op["operation"] for op in operations] == ["PROHIBIT", "ADD"]
