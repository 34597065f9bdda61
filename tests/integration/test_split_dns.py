"""DNS split between Route 53 (moto) and OCI DNS (the local OCI): each tenant is served where its zone lives."""

from __future__ import annotations

import dataclasses

import pytest
import pytest_asyncio

from cutover.config.providers import OciDnsSettings
from cutover.lab.seed_aws import seed_zone
from cutover.model.routing import DnsChange, Routing
from cutover.providers.aws.route53 import Route53Dns
from cutover.providers.oci.dns import OciDns
from cutover.providers.ports.errors import RecordChanged
from cutover.providers.split_dns import SplitDns
from cutover.providers.zone_dns import tenant_zone

from .conftest import FAST_RETRY, ZONE

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

OCI_ZONE = "oci.lab.example.com"


@pytest.fixture
def split_fleet(moto, local_oci, fleet, lab_fleet):
    """The first three tenants in Route 53's zone; the last three in OCI's, which the matrix spells in capitals."""
    seed_zone(moto.url, ZONE, lab_fleet[:3])
    moved = []
    for tenant in fleet[3:]:
        name = tenant.dns_name.replace(ZONE, OCI_ZONE)
        local_oci.world.set_record(OCI_ZONE, name, tenant.aws_target)
        moved.append(dataclasses.replace(tenant, dns_name=name, hosted_zone=OCI_ZONE.upper()))
    return fleet[:3] + moved


@pytest_asyncio.fixture
async def split(route53_settings, oci_access):
    dns = SplitDns(Route53Dns(route53_settings), OciDns(OciDnsSettings(oci=oci_access, retry=FAST_RETRY)), [OCI_ZONE])
    yield dns
    await dns.default.aclose()
    await dns.other.aclose()


async def test_each_tenant_is_read_from_the_provider_of_its_zone(split, split_fleet, proxy, local_oci):
    records = await split.read_routing(split_fleet)
    assert {tenant_id: record.source for tenant_id, record in records.items()} == {
        "T-0001": "route53",
        "T-0002": "route53",
        "T-0003": "route53",
        "T-0004": "oci-dns",
        "T-0005": "oci-dns",
        "T-0006": "oci-dns",
    }
    assert all(records[t.tenant_id].routing == Routing.simple(t.aws_target, 60) for t in split_fleet)
    assert len(proxy.calls("ListResourceRecordSets")) == 1  # Route 53 was asked about its own zone only


async def test_a_flip_in_the_oci_zone_changes_the_oci_record_by_compare_and_swap(split, split_fleet, local_oci):
    tenant = split_fleet[4]
    records = await split.read_routing(split_fleet)
    zone = tenant_zone(tenant)
    assert zone == OCI_ZONE
    await split.apply(
        zone, [DnsChange(tenant.tenant_id, records[tenant.tenant_id], Routing.simple(tenant.oci_target, 60))]
    )
    assert [r.rdata for r in local_oci.world.zones[OCI_ZONE].records if r.domain == tenant.dns_name] == [
        tenant.oci_target
    ]
    local_oci.world.set_record(OCI_ZONE, split_fleet[5].dns_name, "192.0.2.9")
    stale = DnsChange("T-0006", records["T-0006"], Routing.simple(split_fleet[5].oci_target, 60))
    with pytest.raises(RecordChanged) as refused:
        await split.apply(zone, [stale])
    assert refused.value.found is not None and refused.value.found.routing == Routing.simple("192.0.2.9", 60)
