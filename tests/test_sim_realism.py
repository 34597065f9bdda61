"""The simulated fleet looks like the runbooks' fleet: day and night, baselines,
OCI faster than AWS, now and then a lost node that comes back."""

from __future__ import annotations

import itertools
import math
import statistics
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cutover.model.routing import DnsChange, Routing
from cutover.providers.ports.health import BackendStatus

NEW_YORK = ZoneInfo("America/New_York")


def at_local_hour(clock, hour: int) -> None:
    """Move the clock forward to the next time it is `hour`:00 in New York."""
    now = datetime.fromtimestamp(clock.now(), NEW_YORK)
    target = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if target.timestamp() <= clock.now():
        target = datetime.fromtimestamp(target.timestamp() + 86400, NEW_YORK).replace(hour=hour)
    clock.set(target.timestamp())


@pytest.mark.asyncio
async def test_datapoints_are_whole_counts_measured_in_the_last_10_seconds(simulated) -> None:
    fleet = simulated.fleet()
    snapshot = await simulated.providers.metrics.snapshot(fleet)
    assert len(snapshot) == len(fleet) and snapshot.period_s == 60
    for tenant in fleet:
        metrics = snapshot.tenant(tenant.tenant_id)
        for side in (metrics.aws, metrics.oci):
            assert side.requests == int(side.requests) and 0 <= side.errors <= side.requests
            assert 0 <= snapshot.taken_at - side.measured_at < 10
            assert (side.p95_ms is None) == (side.requests == 0)


@pytest.mark.asyncio
async def test_traffic_follows_the_day_lowest_before_dawn(simulated) -> None:
    east = [t for t in simulated.fleet() if t.region == "us-east-1"]
    metrics = simulated.providers.metrics

    async def total() -> float:
        snapshot = await metrics.snapshot(east)
        return sum(snapshot.tenant(t.tenant_id).requests for t in east)

    at_local_hour(simulated.clock, 4)
    night = await total()
    at_local_hour(simulated.clock, 16)
    day = await total()
    assert 0.15 < night / day < 0.3


@pytest.mark.asyncio
async def test_errors_sit_around_each_tenants_baseline(simulated) -> None:
    fleet = [t for t in simulated.fleet() if t.lifecycle.value == "pending"]
    at_local_hour(simulated.clock, 14)
    requests = errors = 0.0
    for _ in range(30):
        snapshot = await simulated.providers.metrics.snapshot(fleet)
        for tenant in fleet:
            aws = snapshot.tenant(tenant.tenant_id).aws
            requests += aws.requests
            errors += aws.errors
        simulated.clock.advance(60)
    expected = statistics.mean(t.baseline_error_rate for t in fleet)
    assert 0.5 * expected < errors / requests < 2 * expected


@pytest.mark.asyncio
async def test_oci_answers_about_29_percent_faster_than_aws(simulated) -> None:
    sample = [t for t in simulated.fleet() if t.lifecycle.value == "pending"][:60]
    dns = simulated.providers.dns
    records = await dns.read_routing(sample)
    for tenant in sample:
        half = Routing.split(tenant.aws_target, tenant.oci_target, 50, 60)
        await dns.apply(tenant.hosted_zone, [DnsChange(tenant.tenant_id, records[tenant.tenant_id], half)])
    at_local_hour(simulated.clock, 15)
    snapshot = await simulated.providers.metrics.snapshot(sample)
    ratios = [
        snapshot.tenant(t.tenant_id).oci.p95_ms / snapshot.tenant(t.tenant_id).aws.p95_ms
        for t in sample
        if snapshot.tenant(t.tenant_id).oci.requests and snapshot.tenant(t.tenant_id).aws.requests
    ]
    assert len(ratios) == len(sample)
    assert 0.64 < statistics.median(ratios) < 0.78  # 850 / 1200 = 0.71
    aws_vs_baseline = [snapshot.tenant(t.tenant_id).aws.p95_ms / t.baseline_p95_ms for t in sample]
    assert all(0.8 < r < 1.25 for r in aws_vs_baseline)


@pytest.mark.asyncio
async def test_now_and_then_a_node_is_lost_for_minutes_and_comes_back(make_simulated) -> None:
    sim = make_simulated(size=300, ambient_faults=True)
    with_cluster = [t for t in sim.fleet() if t.lifecycle.value != "pending"]
    down_spells: dict[str, list[float]] = {}
    samples = 0
    for _ in range(2 * 24 * 12):  # two days, every 5 minutes
        sim.clock.advance(300)
        for tenant_id, health in (await sim.providers.health.backends(with_cluster)).items():
            samples += 1
            if health.healthy < health.total:
                assert health.status is BackendStatus.WARNING and health.total == 3 and len(health.unhealthy) == 1
                down_spells.setdefault(tenant_id, []).append(sim.clock.now())
    assert down_spells, "in two days some tenant loses a node"
    degraded = sum(len(times) for times in down_spells.values())
    assert degraded / samples < 0.01, "but rarely"
    for times in down_spells.values():
        spell = 1
        for before, after in itertools.pairwise(times):
            spell = spell + 1 if after - before == 300 else 1
            assert spell * 300 <= 25 * 60, "a lost node is back within about 20 minutes"
    last = {tid: times[-1] for tid, times in down_spells.items()}
    now = sim.clock.now()
    healthy_again = [tid for tid, at in last.items() if now - at > 30 * 60]
    assert healthy_again, "a lost node comes back"


@pytest.mark.asyncio
async def test_pending_tenants_have_no_cluster_yet(simulated) -> None:
    pending = simulated.in_state("pending")[:5]
    for health in (await simulated.providers.health.backends(pending)).values():
        assert (health.healthy, health.total, health.status) == (0, 0, BackendStatus.UNKNOWN)
    result = await simulated.providers.health.validate(pending[0])
    assert result.passed == 0 and all("no OCI cluster" in c.evidence for c in result.checks)


@pytest.mark.asyncio
async def test_a_record_pointing_nowhere_loses_the_traffic(simulated) -> None:
    tenant = simulated.in_state("ready")[0]
    dns = simulated.providers.dns
    record = (await dns.read_routing([tenant]))[tenant.tenant_id]
    before = (await simulated.providers.metrics.snapshot([tenant])).tenant(tenant.tenant_id).requests
    await dns.apply(tenant.hosted_zone, [DnsChange(tenant.tenant_id, record, Routing.simple("203.0.113.9", 60))])
    simulated.clock.advance(310)
    after = (await simulated.providers.metrics.snapshot([tenant])).tenant(tenant.tenant_id)
    assert before > 0 and after.requests == 0 and (after.error_rate is None or math.isnan(after.error_rate))
