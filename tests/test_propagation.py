"""Propagation across resolvers: after a DNS change Cutover asks the zone's authoritative server and the
configured resolvers until each answers the new value. Real UDP DNS servers on 127.0.0.1 (the lab's,
on dnspython): an authoritative one and a caching resolver that keeps the old answer for its TTL."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import Harness

from cutover.actions.engine.propagation import servers_of, watch
from cutover.actions.plan.plans import PlanRequest
from cutover.config.settings import DnsSettings, Settings
from cutover.lab.dns_server import AuthoritativeServer, CachingResolver, ZoneLookup, sim_zone_lookup
from cutover.model.clock import ManualClock
from cutover.model.jobs import JobState
from cutover.providers.dns_probe import DnsProbe

NAME = "t1.tenants.example"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def zone() -> ZoneLookup:
    zone = ZoneLookup()
    zone.set(NAME, "52.0.0.1", ttl=60)
    return zone


@pytest.fixture
def authoritative(zone: ZoneLookup):
    with AuthoritativeServer(zone) as server:
        yield server


@pytest.fixture
def resolver(authoritative: AuthoritativeServer, clock: ManualClock):
    with CachingResolver(authoritative.address, clock.now) as server:
        yield server


@pytest.mark.asyncio
async def test_a_resolver_answers_the_new_value_only_after_its_cached_ttl(
    clock: ManualClock, zone: ZoneLookup, authoritative: AuthoritativeServer, resolver: CachingResolver
) -> None:
    probe = DnsProbe(timeout=1)
    t0 = clock.now()
    cached = await probe.ask(resolver.address, NAME, "A", t0)  # a client asks: the resolver caches 60 s
    assert cached.answers == ("52.0.0.1",) and cached.ttl == 60
    clock.advance(20)
    zone.set(NAME, "129.213.0.1", ttl=60)  # the DNS change, 20 s later

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    rounds = []
    result = await watch(
        probe,
        NAME,
        "129.213.0.1",
        servers_of([authoritative.address], [resolver.address]),
        t0 + 20,
        now=clock.now,
        sleep=sleep,
        poll=5,
        timeout=600,
        progress=rounds.append,
    )
    auth, cache = result.servers
    assert auth.seen_at == t0 + 20 and auth.asked == 1  # the authoritative server has it at once
    assert cache.seen_at == t0 + 60  # the resolver only once its cached 60 s ran out
    assert cache.asked == 9
    # Along the way, the resolver was seen serving the old answer with the TTL it had left.
    assert rounds[0].servers[1].last == "still 52.0.0.1 (40 s left)"
    assert rounds[0].describe() == f"propagating: 1/2 servers ({resolver.address} still 52.0.0.1 (40 s left))"
    assert result.describe() == "propagated 40s (2/2 servers)"
    assert result.lines() == [
        f"{authoritative.address} authoritative: 129.213.0.1 after 0s",
        f"{resolver.address} resolver: 129.213.0.1 after 40s",
    ]


@pytest.mark.asyncio
async def test_a_server_that_never_answers_the_new_value_is_reported_at_the_deadline(
    clock: ManualClock, zone: ZoneLookup, authoritative: AuthoritativeServer
) -> None:
    zone.set(NAME, "129.213.0.1")
    with AuthoritativeServer(ZoneLookup()) as stale:  # a server that does not have the record at all

        async def sleep(seconds: float) -> None:
            clock.advance(seconds)

        result = await watch(
            DnsProbe(timeout=1),
            NAME,
            "129.213.0.1",
            servers_of([authoritative.address, stale.address], []),
            clock.now(),
            now=clock.now,
            sleep=sleep,
            poll=30,
            timeout=120,
        )
    assert result.ended and result.propagated_at is None
    assert result.describe() == f"not propagated: 1/2 servers ({stale.address} error: NXDOMAIN)"


def test_resolver_addresses_are_checked_with_what_to_write() -> None:
    assert DnsSettings(resolvers=["8.8.8.8", "127.0.0.1:5353", "[::1]:53"]).resolvers[1] == "127.0.0.1:5353"
    with pytest.raises(ValueError, match=r"'dns\.google' is not a DNS server address: write an IP address"):
        DnsSettings(resolvers=["dns.google"])


@pytest.mark.asyncio
async def test_a_flip_records_each_servers_answer_and_the_propagated_time(tmp_path: Path) -> None:
    path = tmp_path / "war-room.db"
    clock_box: list[ManualClock] = []
    auth = AuthoritativeServer(sim_zone_lookup(path))
    with auth, CachingResolver(auth.address, lambda: clock_box[0].now()) as cache:
        settings = Settings().model_copy(
            update={"dns": DnsSettings(authoritative=[auth.address], resolvers=[cache.address])}
        )
        h = Harness(tmp_path, ready=2, settings=settings)
        clock_box.append(h.clock)
        await h.start()
        try:
            tenant = h.tenants.get("T-0001")
            job = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="night 3")
            await h.until(h.job_done(job.job_id), what="the flip")
            assert h.jobs.get(job.job_id).state is JobState.SUCCEEDED
            summary = h.jobs.target(job.job_id, "T-0001").summary
            assert ", propagated " in summary and "(2/2 servers), traffic " in summary
            steps = {s.name: s for s in h.jobs.steps(job.job_id, "T-0001")}
            seen = steps["dns_insync"].detail["propagation"]
            assert seen["want"] == tenant.oci_target and seen["ended"] and seen["propagated_at"]
            assert [(s["server"], s["role"], s["last"]) for s in seen["servers"]] == [
                (auth.address, "authoritative", tenant.oci_target),
                (cache.address, "resolver", tenant.oci_target),
            ]
            (event,) = [e for e in h.session.events.find(tenant_id="T-0001") if e.kind == "dns.propagated"]
            assert event.what.startswith(f"T-0001: {tenant.dns_name} propagated ")
            assert f"{cache.address} resolver: {tenant.oci_target} after " in event.what

            # The rollback is watched the same way, for the AWS target.
            back = h.ops.submit(h.ops.plan(PlanRequest.rollback(["T-0001"])), reason="customer asked")
            await h.until(h.job_done(back.job_id), what="the rollback")
            assert h.jobs.get(back.job_id).state is JobState.SUCCEEDED
            assert "; propagated " in h.jobs.target(back.job_id, "T-0001").summary
            seen = {s.name: s for s in h.jobs.steps(back.job_id, "T-0001")}["dns_insync"].detail["propagation"]
            assert seen["want"] == tenant.aws_target
            assert [s["last"] for s in seen["servers"]] == [tenant.aws_target, tenant.aws_target]
        finally:
            await h.stop()
