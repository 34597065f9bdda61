"""Simulated DNS: compare-and-swap change sets, PENDING -> INSYNC, and the traffic
that follows a change as resolver caches expire."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sim_helpers import fresh_world

from cutover.config.settings import SIM_METRICS_RESOLUTION_S as METRICS_RESOLUTION_S
from cutover.model.routing import ChangeStatus, DnsChange, Routing
from cutover.model.tenant import Tenant
from cutover.providers.ports.errors import ProviderError, RecordChanged
from cutover.state.simworld import SimWorldStore


def run(coro):
    return asyncio.run(coro)


async def flip(sim, tenant: Tenant, to: Routing):
    record = (await sim.providers.dns.read_routing([tenant]))[tenant.tenant_id]
    return await sim.providers.dns.apply(record.zone, [DnsChange(tenant.tenant_id, record, to)])


async def oci_share(sim, tenant: Tenant) -> float:
    snapshot = await sim.providers.metrics.snapshot([tenant])
    share = snapshot.tenant(tenant.tenant_id).oci_share
    assert share is not None, "the tenant served no requests"
    return share


def to_oci(tenant: Tenant) -> Routing:
    return Routing.simple(tenant.oci_target, 60)


def to_aws(tenant: Tenant) -> Routing:
    return Routing.simple(tenant.aws_target, 60)


@pytest.mark.asyncio
async def test_every_tenant_has_a_record_on_the_side_its_lifecycle_says(simulated) -> None:
    fleet = simulated.fleet()
    records = await simulated.providers.dns.read_routing(fleet)
    assert set(records) == {t.tenant_id for t in fleet}
    for tenant in fleet:
        share = records[tenant.tenant_id].routing.oci_share(tenant.aws_target, tenant.oci_target)
        assert share == (1.0 if tenant.lifecycle.value in ("migrated", "decommissioned") else 0.0), tenant


@pytest.mark.asyncio
async def test_a_flip_moves_traffic_as_the_runbook_says_and_a_rollback_moves_it_back(simulated) -> None:
    tenant = simulated.in_state("ready")[0]
    clock = simulated.clock
    assert await oci_share(simulated, tenant) == 0.0
    t0 = clock.now()
    await flip(simulated, tenant, to_oci(tenant))
    seen = {}
    for minute in (1, 2, 3, 5):
        clock.set(t0 + minute * 60)
        seen[minute] = await oci_share(simulated, tenant)
    assert 0.15 < seen[1] < 0.45 and 0.55 < seen[2] < 0.85, seen  # about 30 % and 70 %
    assert seen[3] >= 0.95 and seen[5] == 1.0, seen

    t1 = clock.now()
    await flip(simulated, tenant, to_aws(tenant))
    clock.set(t1 + 180)
    assert await oci_share(simulated, tenant) <= 0.05
    clock.set(t1 + 300)
    assert await oci_share(simulated, tenant) == 0.0


@pytest.mark.asyncio
async def test_a_rollback_mid_shift_starts_from_where_traffic_was(simulated) -> None:
    tenant = simulated.in_state("ready")[0]
    clock = simulated.clock
    t0 = clock.now()
    await flip(simulated, tenant, to_oci(tenant))
    clock.set(t0 + 90)
    midway = await oci_share(simulated, tenant)
    await flip(simulated, tenant, to_aws(tenant))
    clock.advance(10)  # the new record is barely seen: most traffic is where it was
    assert abs(await oci_share(simulated, tenant) - midway) < 0.15
    clock.advance(300)
    assert await oci_share(simulated, tenant) == 0.0


@pytest.mark.asyncio
async def test_weighted_records_split_traffic_by_weight_with_noise(simulated) -> None:
    tenant = simulated.in_state("ready")[0]
    clock = simulated.clock
    await flip(simulated, tenant, Routing.split(tenant.aws_target, tenant.oci_target, 25, 60))
    clock.advance(400)
    shares = []
    for _ in range(30):
        shares.append(await oci_share(simulated, tenant))
        clock.advance(10)
    assert all(0.15 < s < 0.35 for s in shares), shares
    assert len(set(shares)) > 5, "a weighted split shows the noise of real resolvers"
    assert abs(sum(shares) / len(shares) - 0.25) < 0.03


@pytest.mark.asyncio
async def test_a_change_is_pending_for_10_to_60_seconds_then_insync(simulated) -> None:
    tenant = simulated.in_state("ready")[0]
    receipt = await flip(simulated, tenant, to_oci(tenant))
    assert receipt.status is ChangeStatus.PENDING and receipt.tenant_ids == (tenant.tenant_id,)
    simulated.clock.advance(9)
    assert (await simulated.providers.dns.change_status(receipt)).status is ChangeStatus.PENDING
    simulated.clock.advance(52)
    assert (await simulated.providers.dns.change_status(receipt)).status is ChangeStatus.INSYNC


@pytest.mark.asyncio
async def test_compare_and_swap_against_a_changed_record_fails_and_changes_nothing(simulated) -> None:
    first, second = simulated.in_state("ready")[:2]
    dns = simulated.providers.dns
    assert first.hosted_zone == second.hosted_zone
    stale = await dns.read_routing([first, second])
    await flip(simulated, first, to_oci(first))  # someone else changes `first` meanwhile
    changes = [
        DnsChange(second.tenant_id, stale[second.tenant_id], to_oci(second)),
        DnsChange(first.tenant_id, stale[first.tenant_id], to_aws(first)),
    ]
    with pytest.raises(RecordChanged) as refused:
        await dns.apply(first.hosted_zone, changes)
    assert refused.value.tenant_id == first.tenant_id
    assert refused.value.found.routing == to_oci(first)
    now = await dns.read_routing([first, second])
    assert now[second.tenant_id].routing == stale[second.tenant_id].routing, "the change set is all or nothing"
    assert [c.tenant_id for c in SimWorldStore(simulated.store).changes()] == [first.tenant_id]


@pytest.mark.asyncio
async def test_the_history_keeps_every_change_applied(simulated) -> None:
    tenant = simulated.in_state("ready")[0]
    receipt = await flip(simulated, tenant, to_oci(tenant))
    simulated.clock.advance(600)
    await flip(simulated, tenant, to_aws(tenant))
    history = SimWorldStore(simulated.store).changes(tenant_id=tenant.tenant_id)
    assert history[0].change_id == receipt.change_id
    assert [(h.from_routing.count(tenant.aws_target), h.to_routing.count(tenant.oci_target)) for h in history] == [
        (1, 1),
        (0, 0),
    ]
    assert [h.cutover for h in history] == [True, False]


@pytest.mark.asyncio
async def test_a_change_set_for_another_zone_is_refused(simulated) -> None:
    fleet = simulated.fleet()
    tenant = fleet[0]
    other_zone = next(t.hosted_zone for t in fleet if t.hosted_zone != tenant.hosted_zone)
    record = (await simulated.providers.dns.read_routing([tenant]))[tenant.tenant_id]
    with pytest.raises(ProviderError, match="InvalidChangeBatch"):
        await simulated.providers.dns.apply(other_zone, [DnsChange(tenant.tenant_id, record, to_oci(tenant))])


async def measured_share(sim, tenant: Tenant) -> tuple[float, float]:
    """(OCI share, when it was measured)."""
    snapshot = await sim.providers.metrics.snapshot([tenant])
    metrics = snapshot.tenant(tenant.tenant_id)
    assert metrics is not None and metrics.oci_share is not None
    return metrics.oci_share, metrics.measured_at


@pytest.mark.slow  # over a second
@settings(max_examples=25, deadline=None)
@given(
    pick=st.integers(0, 10_000),
    wait=st.floats(0, 24 * 3600),
    after_3=st.floats(180, 299),
    after_5=st.floats(300, 3600),
    rollback_after_3=st.floats(180, 299),
)
def test_property_any_flip_reaches_95_percent_by_3_minutes_and_100_by_5_and_reverses(
    tmp_path_factory, pick: int, wait: float, after_3: float, after_5: float, rollback_after_3: float
) -> None:
    """For any tenant on AWS, at any moment of the day, every datapoint measured 3 min or
    more after the flip shows at least 95 % on OCI, 5 min or more 100 %; a rollback mirrors it."""
    sim = fresh_world(tmp_path_factory)
    on_aws = [t for t in sim.fleet() if t.lifecycle.value not in ("migrated", "decommissioned")]
    tenant = on_aws[pick % len(on_aws)]
    sim.clock.advance(wait)
    t0 = sim.clock.now()
    run(flip(sim, tenant, to_oci(tenant)))
    sim.clock.set(t0 + after_3 + METRICS_RESOLUTION_S)
    share, measured = run(measured_share(sim, tenant))
    assert measured - t0 >= 180 and share >= 0.95
    sim.clock.set(t0 + after_5 + METRICS_RESOLUTION_S)
    share, measured = run(measured_share(sim, tenant))
    assert measured - t0 >= 300 and share == 1.0

    t1 = sim.clock.now()
    run(flip(sim, tenant, to_aws(tenant)))
    sim.clock.set(t1 + rollback_after_3 + METRICS_RESOLUTION_S)
    share, measured = run(measured_share(sim, tenant))
    assert measured - t1 >= 180 and share <= 0.05
    sim.clock.set(t1 + 300 + METRICS_RESOLUTION_S)
    assert run(measured_share(sim, tenant))[0] == 0.0
