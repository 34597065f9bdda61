"""Route 53 through aioboto3 against moto (behind the fault proxy): reads, flips, ramps, refusals, retries."""

from __future__ import annotations

import math

import pytest
import pytest_asyncio

from cutover.lab.fault_proxy import FaultProxy
from cutover.lab.fleet import lab_tenants
from cutover.lab.seed_aws import aws_client, seed_zone
from cutover.model.clock import SystemClock
from cutover.model.routing import ChangeStatus, DnsChange, Routing
from cutover.providers.aws import change_batch as cb
from cutover.providers.aws.route53 import Route53Dns
from cutover.providers.dns_sync import ChangeNotInSync, wait_in_sync
from cutover.providers.ports.errors import ProviderError, RecordChanged, Throttled

from .conftest import ZONE, Notices, store_tenants

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


def records_in_moto(endpoint: str, zone_id: str, name: str) -> list[dict]:
    route53 = aws_client("route53", endpoint)
    sets = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return [s for s in sets if s["Name"] == name + "."]


@pytest_asyncio.fixture
async def dns(route53_settings, notices: Notices):
    provider = Route53Dns(route53_settings, observer=notices)
    yield provider
    await provider.aclose()


@pytest.fixture
def zone_id(moto, lab_fleet) -> str:
    return seed_zone(moto.url, ZONE, lab_fleet)


async def test_reads_the_whole_fleet_in_pages_of_300(moto, proxy: FaultProxy, tenants, route53_settings):
    lab = lab_tenants(650, ZONE)
    seed_zone(moto.url, ZONE, lab)
    fleet = store_tenants(tenants, lab)
    proxy.clear()
    dns = Route53Dns(route53_settings)
    try:
        records = await dns.read_routing(fleet)
    finally:
        await dns.aclose()
    assert len(records) == 650
    t = records["T-0321"]
    assert t.routing == Routing.simple(lab[320].aws_target, 60)
    assert t.routing.oci_share(lab[320].aws_target, lab[320].oci_target) == 0.0
    # 650 A records + NS + SOA = 652 record sets: three pages, and one lookup of the zone by name.
    assert len(proxy.calls("ListResourceRecordSets")) == math.ceil(652 / 300)
    assert len(proxy.calls("ListHostedZonesByName")) == 1


async def test_cutover_and_rollback_flip_records_in_one_batch(moto, zone_id, fleet, dns, proxy):
    records = await dns.read_routing(fleet)
    flips = [DnsChange(t.tenant_id, records[t.tenant_id], Routing.simple(t.oci_target, 60)) for t in fleet[:3]]
    receipt = await dns.apply(ZONE, flips)
    assert receipt.tenant_ids == ("T-0001", "T-0002", "T-0003")
    assert len(proxy.calls("ChangeResourceRecordSets")) == 1
    for tenant in fleet[:3]:
        (record,) = records_in_moto(moto.url, zone_id, tenant.dns_name)
        assert record["ResourceRecords"] == [{"Value": tenant.oci_target}] and record["TTL"] == 60
    untouched = records_in_moto(moto.url, zone_id, fleet[3].dns_name)
    assert untouched[0]["ResourceRecords"] == [{"Value": fleet[3].aws_target}]

    after = await dns.read_routing(fleet[:3])
    back = [DnsChange(t.tenant_id, after[t.tenant_id], Routing.simple(t.aws_target, 60)) for t in fleet[:3]]
    await dns.apply(ZONE, back)
    again = await dns.read_routing(fleet)
    assert all(again[t.tenant_id].routing.target == t.aws_target for t in fleet)


async def test_weighted_ramp_goes_simple_to_weighted_to_simple(moto, zone_id, fleet, dns):
    one, other = fleet[0], fleet[1]
    for tenant in (one, other):  # two tenants ramp in the same zone: their "aws" records must stay apart
        current = (await dns.read_routing([tenant]))[tenant.tenant_id]
        await dns.apply(
            ZONE, [DnsChange(tenant.tenant_id, current, Routing.split(tenant.aws_target, tenant.oci_target, 10, 60))]
        )
    sets = records_in_moto(moto.url, zone_id, one.dns_name)
    assert sorted((s["SetIdentifier"], s["Weight"], s["TTL"]) for s in sets) == [("aws", 90, 60), ("oci", 10, 60)]

    current = (await dns.read_routing([one]))[one.tenant_id]
    assert current.routing.oci_share(one.aws_target, one.oci_target) == pytest.approx(0.10)
    await dns.apply(ZONE, [DnsChange(one.tenant_id, current, Routing.split(one.aws_target, one.oci_target, 50, 60))])
    current = (await dns.read_routing([one]))[one.tenant_id]
    await dns.apply(ZONE, [DnsChange(one.tenant_id, current, Routing.simple(one.oci_target, 60))])

    (final,) = records_in_moto(moto.url, zone_id, one.dns_name)
    assert "SetIdentifier" not in final and final["ResourceRecords"] == [{"Value": one.oci_target}]
    still_ramping = records_in_moto(moto.url, zone_id, other.dns_name)
    assert sorted(s["SetIdentifier"] for s in still_ramping) == ["aws", "oci"]


async def test_a_flip_deletes_exactly_what_was_read(zone_id, fleet, dns):
    records = await dns.read_routing(fleet[:1])
    change = DnsChange("T-0001", records["T-0001"], Routing.split(fleet[0].aws_target, fleet[0].oci_target, 25, 60))
    batch = dns.build_changes([change])
    assert [c["Action"] for c in batch] == ["DELETE", "CREATE", "CREATE"]
    assert batch[0]["ResourceRecordSet"] == {
        "Name": fleet[0].dns_name + ".",
        "Type": "A",
        "TTL": 60,
        "ResourceRecords": [{"Value": fleet[0].aws_target}],
    }


async def test_a_record_changed_since_it_was_read_is_refused_and_named(moto, zone_id, fleet, dns, proxy):
    records = await dns.read_routing(fleet[:2])
    # Someone else flips T-0002 meanwhile; Route 53 then refuses our DELETE of the old value.
    aws_client("route53", moto.url).change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": fleet[1].dns_name + ".",
                        "Type": "A",
                        "TTL": 300,
                        "ResourceRecords": [{"Value": "192.0.2.99"}],
                    },
                }
            ]
        },
    )
    flips = [DnsChange(t.tenant_id, records[t.tenant_id], Routing.simple(t.oci_target, 60)) for t in fleet[:2]]
    with pytest.raises(RecordChanged) as refused:
        await dns.apply(ZONE, flips)
    assert refused.value.tenant_id == "T-0002"
    assert refused.value.found is not None and refused.value.found.routing == Routing.simple("192.0.2.99", 300)
    assert "nothing was changed" in str(refused.value)
    assert [s.answered for s in proxy.calls("ChangeResourceRecordSets")] == [400]
    (first,) = records_in_moto(moto.url, zone_id, fleet[0].dns_name)
    assert first["ResourceRecords"] == [{"Value": fleet[0].aws_target}]


async def test_batches_route53_would_refuse_are_never_sent(zone_id, fleet, dns, proxy):
    name = fleet[0].dns_name + "."
    simple = {"Name": name, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]}
    weighted = {**simple, "SetIdentifier": "oci", "Weight": 300}
    with pytest.raises(cb.ChangeBatchRejected) as refused:
        cb.validate(
            ZONE,
            [{"Action": "CREATE", "ResourceRecordSet": simple}, {"Action": "CREATE", "ResourceRecordSet": weighted}],
        )
    text = str(refused.value)
    assert "outside 0-255" in text and "cannot share a name and type" in text
    with pytest.raises(cb.ChangeBatchRejected, match="Weight and SetIdentifier go together"):
        cb.validate(ZONE, [{"Action": "CREATE", "ResourceRecordSet": {**simple, "Weight": 5}}])
    with pytest.raises(cb.ChangeBatchRejected, match="same TTL"):
        cb.validate(
            ZONE,
            [
                {"Action": "CREATE", "ResourceRecordSet": {**simple, "SetIdentifier": "aws", "Weight": 1}},
                {"Action": "CREATE", "ResourceRecordSet": {**simple, "SetIdentifier": "oci", "Weight": 1, "TTL": 30}},
            ],
        )
    with pytest.raises(cb.ChangeBatchRejected, match="not in zone"):
        cb.validate(ZONE, [{"Action": "CREATE", "ResourceRecordSet": {**simple, "Name": "x.other.org."}}])
    upserts = [{"Action": "UPSERT", "ResourceRecordSet": {**simple, "Name": f"h{i}.{ZONE}."}} for i in range(501)]
    with pytest.raises(cb.ChangeBatchRejected, match="1002 record values in one request"):
        cb.validate(ZONE, upserts)

    # Through the provider: a too-large batch is refused before anything is sent.
    lab = fleet[0]
    records = await dns.read_routing(fleet[:1])
    huge = Routing.simple(",".join([lab.oci_target] * 1), 60)
    many = [DnsChange(f"X{i}", records["T-0001"], huge) for i in range(600)]
    with pytest.raises(cb.ChangeBatchRejected):
        await dns.apply(ZONE, many)
    assert proxy.calls("ChangeResourceRecordSets") == []


@pytest.mark.parametrize(
    ("fault", "code"),
    [("throttle", "Throttling"), ("prior_request", "PriorRequestNotComplete"), ("server_error", "ServiceUnavailable")],
)
async def test_passing_failures_are_retried_and_every_retry_is_told(zone_id, fleet, dns, proxy, notices, fault, code):
    records = await dns.read_routing(fleet[:1])
    proxy.inject(fault, "ChangeResourceRecordSets", times=2)
    receipt = await dns.apply(ZONE, [DnsChange("T-0001", records["T-0001"], Routing.simple(fleet[0].oci_target, 60))])
    assert receipt.status == ChangeStatus.INSYNC
    assert [n.attempt for n in notices.notices] == [1, 2]
    assert all(n.operation == "ChangeResourceRecordSets" and code in n.reason for n in notices.notices)
    assert all("lab" not in n.reason.split(":")[0] for n in notices.notices)
    assert [s.answered for s in proxy.calls("ChangeResourceRecordSets")][-1] == 200


async def test_throttling_that_does_not_end_gives_up_after_the_attempts(zone_id, fleet, dns, proxy, notices):
    records = await dns.read_routing(fleet[:1])
    proxy.inject("throttle", "ChangeResourceRecordSets", times=50)
    with pytest.raises(Throttled, match="Throttling"):
        await dns.apply(ZONE, [DnsChange("T-0001", records["T-0001"], Routing.simple(fleet[0].oci_target, 60))])
    assert len(proxy.calls("ChangeResourceRecordSets")) == 4  # FAST_RETRY.attempts
    assert len(notices.notices) == 3


async def test_requests_are_paced_to_five_a_second(zone_id, fleet, dns, proxy):
    records = await dns.read_routing(fleet[:1])
    receipt = await dns.apply(ZONE, [DnsChange("T-0001", records["T-0001"], Routing.simple(fleet[0].oci_target, 60))])
    proxy.inject("pending", "GetChange", times=100)
    pending = receipt.__class__(
        *[*vars(receipt).values()][:3], ChangeStatus.PENDING, receipt.submitted_at, receipt.source
    )
    proxy.clear()
    proxy.inject("pending", "GetChange", times=100)
    import asyncio

    await asyncio.gather(*(dns.change_status(pending) for _ in range(11)))
    arrivals = sorted(seen.at for seen in proxy.calls("GetChange"))
    assert len(arrivals) == 11
    assert arrivals[-1] - arrivals[0] >= 10 / 5 * 0.95  # 11 requests at 5 a second span at least 2 s


async def test_waits_for_insync_and_gives_up_after_the_timeout(zone_id, fleet, dns, proxy):
    records = await dns.read_routing(fleet[:2])
    proxy.inject("pending", "ChangeResourceRecordSets")
    proxy.inject("pending", "GetChange", times=3)
    receipt = await dns.apply(ZONE, [DnsChange("T-0001", records["T-0001"], Routing.simple(fleet[0].oci_target, 60))])
    assert receipt.status == ChangeStatus.PENDING
    done = await wait_in_sync(dns, receipt, clock=SystemClock(), timeout=10, interval=0.05)
    assert done.status == ChangeStatus.INSYNC
    assert len(proxy.calls("GetChange")) == 4

    proxy.inject("pending", "ChangeResourceRecordSets")
    proxy.inject("pending", "GetChange", times=1000)
    receipt = await dns.apply(ZONE, [DnsChange("T-0002", records["T-0002"], Routing.simple(fleet[1].oci_target, 60))])
    with pytest.raises(ChangeNotInSync, match="still PENDING after"):
        await wait_in_sync(dns, receipt, clock=SystemClock(), timeout=0.5, interval=0.1)


async def test_a_slow_answer_is_retried_and_a_landed_first_try_is_recognised(
    moto, zone_id, fleet, route53_settings, proxy, notices
):
    slow = route53_settings.model_copy(update={"aws": route53_settings.aws.model_copy(update={"read_timeout": 0.5})})
    dns = Route53Dns(slow, observer=notices)
    try:
        records = await dns.read_routing(fleet[:1])
        # The first try is applied but its answer comes too late; the retry is then refused
        # because the old record is gone: the provider recognises its own change in place.
        proxy.inject("slow", "ChangeResourceRecordSets", delay=1.0)
        receipt = await dns.apply(
            ZONE, [DnsChange("T-0001", records["T-0001"], Routing.simple(fleet[0].oci_target, 60))]
        )
    finally:
        await dns.aclose()
    assert receipt.status == ChangeStatus.INSYNC
    assert notices.notices and "timeout" in notices.notices[0].reason.lower()
    (record,) = records_in_moto(moto.url, zone_id, fleet[0].dns_name)
    assert record["ResourceRecords"] == [{"Value": fleet[0].oci_target}]


async def test_an_unknown_zone_is_a_clear_error(moto, fleet, dns):
    with pytest.raises(ProviderError, match=r"no hosted zone named lab\.example\.com"):
        await dns.read_routing(fleet[:1])


async def test_a_matrix_may_name_the_hosted_zone_by_its_id(moto, zone_id, fleet, tenants, route53_settings, proxy):
    tenants.store.db.execute("UPDATE tenants SET hosted_zone = ?", [zone_id])
    fleet = tenants.find()
    dns = Route53Dns(route53_settings.model_copy(update={"zones": {}}))
    try:
        records = await dns.read_routing(fleet)
        receipt = await dns.apply(
            zone_id, [DnsChange("T-0001", records["T-0001"], Routing.simple(fleet[0].oci_target, 60))]
        )
    finally:
        await dns.aclose()
    assert len(records) == len(fleet) and receipt.zone == zone_id
    assert proxy.calls("ListHostedZonesByName") == []
    (record,) = records_in_moto(moto.url, zone_id, fleet[0].dns_name)
    assert record["ResourceRecords"] == [{"Value": fleet[0].oci_target}]
