"""The DNS fence: every change the engine makes replaces the name's fencing TXT record in the same
atomic change, so a change planned before someone else's change can never apply, even when the
tenant's record has come back to the value it expected (a flip and its rollback: the ABA case).

The same sequence on each DNS the engine drives: Route 53 (moto), OCI DNS (the local endpoint that
verifies the SDK's signatures) and the simulated Route 53.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import pytest_asyncio

from cutover.config.providers import OciDnsSettings
from cutover.lab.oci_server import LocalOci
from cutover.model.routing import DnsChange, DnsRecord, Routing, fence_name
from cutover.model.tenant import Tenant
from cutover.providers.aws.route53 import Route53Dns
from cutover.providers.oci.dns import OciDns
from cutover.providers.ports.dns import DnsProvider
from cutover.providers.ports.errors import RecordChanged

from .conftest import FAST_RETRY, ZONE
from .test_route53 import records_in_moto

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


async def read(dns: DnsProvider, tenant: Tenant) -> DnsRecord:
    return (await dns.read_routing([tenant]))[tenant.tenant_id]


async def flip_and_roll_back_behind_a_stalled_change(dns: DnsProvider, tenant: Tenant) -> tuple[DnsRecord, DnsChange]:
    """Engine A reads the record and stalls; engine B flips the tenant, an operator rolls it back.

    Returns the record as the rollback left it and A's stale change, planned on what A read."""
    on_aws, on_oci = Routing.simple(tenant.aws_target, 60), Routing.simple(tenant.oci_target, 60)
    read_by_a = await read(dns, tenant)
    stale = DnsChange(tenant.tenant_id, read_by_a, on_oci, fence="cutover job=flip-1 step=4 epoch=1")
    await dns.apply(read_by_a.zone, [DnsChange(tenant.tenant_id, read_by_a, on_oci, fence="job=flip-1 epoch=2")])
    flipped = await read(dns, tenant)
    assert flipped.routing == on_oci and flipped.fence == "job=flip-1 epoch=2"
    await dns.apply(flipped.zone, [DnsChange(tenant.tenant_id, flipped, on_aws, fence="job=rollback-2 epoch=2")])
    rolled_back = await read(dns, tenant)
    assert rolled_back.routing == read_by_a.routing  # A's compare-and-swap on the value alone would pass
    return rolled_back, stale


async def assert_the_stale_change_is_refused(dns: DnsProvider, tenant: Tenant) -> None:
    rolled_back, stale = await flip_and_roll_back_behind_a_stalled_change(dns, tenant)
    with pytest.raises(RecordChanged) as refused:
        await dns.apply(rolled_back.zone, [stale])
    assert refused.value.only_fence
    assert "was changed by someone else since it was read" in str(refused.value)
    after = await read(dns, tenant)
    assert after.routing == Routing.simple(tenant.aws_target, 60)
    assert after.fence == "job=rollback-2 epoch=2"


async def test_route53_refuses_a_change_planned_before_a_flip_and_its_rollback(moto, zone_id, fleet, dns) -> None:
    await assert_the_stale_change_is_refused(dns, fleet[0])
    (txt,) = records_in_moto(moto.url, zone_id, fence_name(fleet[0].dns_name))
    assert txt["Type"] == "TXT" and txt["ResourceRecords"] == [{"Value": '"job=rollback-2 epoch=2"'}]
    (record,) = records_in_moto(moto.url, zone_id, fleet[0].dns_name)
    assert record["ResourceRecords"] == [{"Value": fleet[0].aws_target}]


async def test_oci_dns_refuses_a_change_planned_before_a_flip_and_its_rollback(seeded_oci, fleet, oci_dns) -> None:
    await assert_the_stale_change_is_refused(oci_dns, fleet[0])
    zone = seeded_oci.world.zones[ZONE]
    assert [r.rdata for r in zone.records if r.domain == fence_name(fleet[0].dns_name)] == ['"job=rollback-2 epoch=2"']
    assert [r.rdata for r in zone.records if r.domain == fleet[0].dns_name] == [fleet[0].aws_target]


async def test_the_simulated_route53_refuses_a_change_planned_before_a_flip_and_its_rollback(simulated) -> None:
    tenant = simulated.in_state("ready")[0]
    await assert_the_stale_change_is_refused(simulated.providers.dns, tenant)
    changes = simulated.world.db.changes(tenant_id=tenant.tenant_id)
    assert len(changes) == 2  # the flip and the rollback; the stale change left no trace


async def test_a_fence_that_appeared_after_the_read_refuses_the_change(moto, zone_id, fleet, dns) -> None:
    """A first fenced change expects no fencing record (Route 53 refuses a CREATE of one that exists)."""
    tenant = fleet[1]
    read_by_a = await read(dns, tenant)
    assert read_by_a.fence == ""
    await dns.apply(
        read_by_a.zone,
        [DnsChange(tenant.tenant_id, read_by_a, Routing.simple(tenant.oci_target, 60), fence="job=flip-1 epoch=2")],
    )
    back = await read(dns, tenant)
    await dns.apply(
        back.zone,
        [DnsChange(tenant.tenant_id, back, Routing.simple(tenant.aws_target, 60), fence="job=rollback-2 epoch=2")],
    )
    stale = DnsChange(tenant.tenant_id, read_by_a, Routing.simple(tenant.oci_target, 60), fence="job=flip-1 epoch=1")
    with pytest.raises(RecordChanged):
        await dns.apply(read_by_a.zone, [stale])
    assert (await read(dns, tenant)).routing.target == tenant.aws_target


async def test_a_batch_with_one_fenced_out_tenant_changes_nobody(moto, zone_id, fleet, dns) -> None:
    """All or nothing: the stale tenant refuses the whole change set, its neighbours included."""
    rolled_back, stale = await flip_and_roll_back_behind_a_stalled_change(dns, fleet[0])
    neighbour = await read(dns, fleet[2])
    fresh = DnsChange(fleet[2].tenant_id, neighbour, Routing.simple(fleet[2].oci_target, 60), fence="job=flip-1")
    with pytest.raises(RecordChanged) as refused:
        await dns.apply(rolled_back.zone, [fresh, stale])
    assert refused.value.tenant_id == fleet[0].tenant_id
    assert (await read(dns, fleet[2])).routing.target == fleet[2].aws_target


# --- fixtures -----------------------------------------------------------------------------------------


@pytest.fixture
def zone_id(moto, lab_fleet) -> str:
    from cutover.lab.seed_aws import seed_zone

    return seed_zone(moto.url, ZONE, lab_fleet)


@pytest_asyncio.fixture
async def dns(route53_settings):
    provider = Route53Dns(route53_settings)
    yield provider
    await provider.aclose()


@pytest.fixture
def seeded_oci(local_oci: LocalOci, lab_fleet: Sequence) -> LocalOci:
    for tenant in lab_fleet:
        local_oci.world.set_record(ZONE, tenant.dns_name, tenant.aws_target)
    return local_oci


@pytest_asyncio.fixture
async def oci_dns(oci_access, fleet):
    provider = OciDns(OciDnsSettings(oci=oci_access, retry=FAST_RETRY))
    yield provider
    await provider.aclose()
