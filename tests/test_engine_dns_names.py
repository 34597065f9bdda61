"""A tenant with several DNS names (the runbook's Edge Case 2: `api.tenant42...` beside `tenant42...`) on the
simulated fleet: a flip and a rollback move every name in one change set; the gate's dns check, the DNS column
and propagation cover every name; a name changed by hand shows as `split` and blocks the gate."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import pytest_asyncio
from engine_helpers import HEADER, Harness, write_fleet

from cutover.actions.engine.engine import Engine
from cutover.actions.plan.gate import evaluate_gate
from cutover.actions.plan.importing import import_matrix
from cutover.actions.plan.plans import PlanRequest
from cutover.config.settings import DnsSettings, EngineSettings, Settings
from cutover.console.fleet.rows import RowContext, build_row
from cutover.lab.dns_server import AuthoritativeServer, CachingResolver, sim_zone_lookup
from cutover.model.clock import ManualClock
from cutover.model.jobs import JobState, StepState
from cutover.model.lifecycle import Lifecycle
from cutover.model.routing import DnsChange, DnsName, Routing
from cutover.state.identity import Actor

pytestmark = pytest.mark.asyncio

API = "api.tenant1.example.com"


def give_api_name(h: Harness, tmp_path: Path, count: int, extra: str = API) -> None:
    """Re-import the harness's matrix with `extra` (default `api.tenant1.example.com`) as T-0001's extra
    DNS name."""
    fleet = write_fleet(tmp_path / "fleet.csv", count).read_text().splitlines()
    rows = [HEADER + ",Extra DNS names"] + [
        row + ("," + extra if row.startswith("T-0001,") else ",") for row in fleet[1:]
    ]
    path = tmp_path / "fleet-with-api.csv"
    path.write_text("\n".join(rows) + "\n")
    result = import_matrix(h.tenants, path)
    assert result.applied
    assert h.tenants.get("T-0001").extra_dns_names == extra


@pytest_asyncio.fixture
async def h(tmp_path: Path):
    harness = Harness(tmp_path, ready=3)
    give_api_name(harness, tmp_path, 3)
    await harness.start()
    yield harness
    await harness.stop()


async def test_a_two_name_tenant_flips_and_rolls_back_in_one_change_set_each(h: Harness) -> None:
    flip = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="edge case 2")
    await h.until(h.job_done(flip.job_id), what="the flip")
    assert h.jobs.get(flip.job_id).state is JobState.SUCCEEDED, h.jobs.target(flip.job_id, "T-0001").summary
    tenant = h.tenants.get("T-0001")
    assert tenant.lifecycle is Lifecycle.MIGRATED
    changes = h.dns_changes("T-0001")
    assert len(changes) == 2 and len({c.change_id for c in changes}) == 1  # both names, one change set
    assert {c.name for c in changes} == {"", API}
    assert all(tenant.oci_target in c.to_routing for c in changes)
    assert [(s.name, s.oci_share) for s in tenant.names_seen] == [("tenant1.example.com", 1.0), (API, 1.0)]
    step = h.jobs.step(flip.job_id, "T-0001", "dns_change")
    assert "(2 names)" in step.result and set(step.detail["names"]) == {"tenant1.example.com", API}
    # Its neighbours, one name each, are as they were: one record, not touched.
    assert h.dns_changes("T-0002") == []

    back = h.ops.submit(h.ops.plan(PlanRequest.rollback(["T-0001"])), reason="customer reports errors")
    await h.until(h.job_done(back.job_id), what="the rollback")
    assert h.jobs.get(back.job_id).state is JobState.SUCCEEDED, h.jobs.target(back.job_id, "T-0001").summary
    changes = h.dns_changes("T-0001")[2:]
    assert len(changes) == 2 and len({c.change_id for c in changes}) == 1
    assert all(tenant.aws_target in c.to_routing for c in changes)
    tenant = h.tenants.get("T-0001")
    assert tenant.lifecycle is Lifecycle.ROLLED_BACK
    assert [s.oci_share for s in tenant.names_seen] == [0.0, 0.0] and not tenant.dns_split


async def test_a_name_changed_by_hand_shows_split_and_blocks_the_gate(h: Harness) -> None:
    await h.until(lambda: len(h.tenants.get("T-0001").names_seen) == 2, what="every name read")
    tenant = h.tenants.get("T-0001")
    assert evaluate_gate(tenant, h.clock.now(), h.settings).check("dns").result.value == "pass"
    assert "2 names on AWS" in evaluate_gate(tenant, h.clock.now(), h.settings).check("dns").evidence
    # Someone points the API name at OCI by hand, outside cutover.
    dns = h.providers.dns
    ref = DnsName("T-0001", API, "Z1ZONEA", primary=False)
    record = (await dns.read_names([ref]))[("T-0001", API)]
    await dns.apply(record.zone, [DnsChange("T-0001", record, Routing.simple(tenant.oci_target, 60))])
    await h.until(lambda: h.tenants.get("T-0001").dns_split, what="the DNS poll seeing the API name moved")
    tenant = h.tenants.get("T-0001")
    dns_check = evaluate_gate(tenant, h.clock.now(), h.settings).check("dns")
    assert dns_check.result.value == "fail"
    assert dns_check.evidence.startswith(f"{API} already sends 100 % to OCI")
    # The DNS column shows the worst of the names: neither "0" nor "100", but split.
    row = build_row(tenant, RowContext(now=h.clock.now(), gates=h.settings.gates, triggers=h.settings.triggers))
    assert row.cell("traffic").text.startswith("split/")
    assert tenant.dns_routing.startswith("split: tenant1.example.com ")
    # A flip is refused for it: the gate names the name that moved.
    plan = h.ops.plan(PlanRequest.flip(["T-0001"]))
    assert not plan.ok and any(API in problem for problem in plan.problems)


async def test_a_name_changed_by_hand_after_the_read_stops_the_flip_and_changes_neither(h: Harness) -> None:
    """The flip reads both names, then the API name moves before the change set lands: the compare-and-swap
    refuses the whole set (one zone), so the tenant's own name is not changed either."""
    await h.until(lambda: len(h.tenants.get("T-0001").names_seen) == 2, what="every name read")
    dns = h.providers.dns
    real_apply = dns.apply
    tenant = h.tenants.get("T-0001")

    async def someone_steps_in(zone, changes):
        if any(change.expected.name == API for change in changes):
            ref = DnsName("T-0001", API, "Z1ZONEA", primary=False)
            now = (await dns.read_names([ref]))[("T-0001", API)]
            await real_apply(now.zone, [DnsChange("T-0001", now, Routing.simple("198.51.100.7", 60))])
            dns.apply = real_apply
        return await real_apply(zone, changes)

    dns.apply = someone_steps_in
    flip = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="edge case 2")
    await h.until(h.job_done(flip.job_id), what="the flip")
    target = h.jobs.target(flip.job_id, "T-0001")
    assert h.jobs.get(flip.job_id).state is JobState.FAILED
    assert f"{API}@Z1ZONEA refused (record changed: expected {tenant.aws_target} (TTL 60)" in target.summary
    assert "nothing was changed" in target.summary
    (own,) = [c for c in h.dns_changes("T-0001") if c.name == ""] or [None]
    assert own is None  # the tenant's own name never changed
    assert h.tenants.get("T-0001").lifecycle is Lifecycle.FAILED


@pytest.mark.slow  # real DNS servers on 127.0.0.1
async def test_propagation_is_watched_for_every_name(tmp_path: Path) -> None:
    path = tmp_path / "war-room.db"
    clock_box: list[ManualClock] = []
    auth = AuthoritativeServer(sim_zone_lookup(path))
    with auth, CachingResolver(auth.address, lambda: clock_box[0].now()) as cache:
        settings = Settings().model_copy(
            update={"dns": DnsSettings(authoritative=[auth.address], resolvers=[cache.address])}
        )
        h = Harness(tmp_path, ready=2, settings=settings)
        give_api_name(h, tmp_path, 2)
        clock_box.append(h.clock)
        await h.start()
        try:
            tenant = h.tenants.get("T-0001")
            job = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="night 3")
            await h.until(h.job_done(job.job_id), what="the flip")
            assert h.jobs.get(job.job_id).state is JobState.SUCCEEDED
            summary = h.jobs.target(job.job_id, "T-0001").summary
            # "propagated 50s (2/2 servers) (2 names)", or each name's own time when they differ
            assert "(2/2 servers) (2 names)" in summary or (
                f"{tenant.dns_name} propagated " in summary and f"{API} propagated " in summary
            ), summary
            events = [e for e in h.session.events.find(tenant_id="T-0001") if e.kind == "dns.propagated"]
            assert sorted(e.detail["name"] for e in events) == sorted([tenant.dns_name, API])
            for event in events:
                assert f"{cache.address} resolver: {tenant.oci_target} after " in event.what
                assert event.detail["propagated_at"] is not None
            seen = h.jobs.step(job.job_id, "T-0001", "dns_insync").detail["propagation"]
            assert set(seen["names"]) == {tenant.dns_name, API} and seen["ended"]
        finally:
            await h.stop()


@pytest.mark.slow  # over a second
async def test_an_engine_lost_between_two_zones_is_resumed_by_its_successor_changing_only_the_second(
    tmp_path: Path,
) -> None:
    """The names span two zones; the first zone's change set is made, then the engine freezes and loses its
    lease before the second. Its successor finds the step running, the first zone's name already on OCI
    (not changed again) and the second's still on AWS: it changes only the second zone."""
    fast_leases = Settings(engine=EngineSettings(lease_ttl=1.0, heartbeat=0.2))
    h = Harness(tmp_path, ready=2, settings=fast_leases)
    give_api_name(h, tmp_path, 2, f"{API}@Z2ZONEB")
    jumped: list[float] = []

    def stalled_wall() -> float:
        if not jumped and h.world.db.count_changes() > 0:
            jumped.append(time.time())
        return time.time() + (3600 if jumped else 0)

    h.engine = Engine(h.settings, actor=h.actor, store=h.store, providers=h.providers, clock=h.clock, wall=stalled_wall)
    h.ops.on_submit = h.engine.wake
    await h.start()
    await h.until(lambda: len(h.tenants.get("T-0001").names_seen) == 2, what="every name read")
    job = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="stall drill")
    await h.until(lambda: bool(jumped) and not h.engine.leading, what="the stalled engine losing its lease")
    step = h.jobs.step(job.job_id, "T-0001", "dns_change")
    assert step.state is StepState.RUNNING
    assert [(c.zone, c.name) for c in h.dns_changes("T-0001")] == [("Z1ZONEA", "")]  # the first zone only
    h.engine.request_stop()

    second = Engine(h.settings, actor=Actor("bob", "jump-2"), store=h.store, providers=h.providers, clock=h.clock)
    task = asyncio.create_task(second.run())
    try:
        await h.until(h.job_done(job.job_id), what="the successor finishing the flip")
        assert h.jobs.get(job.job_id).state is JobState.SUCCEEDED, h.jobs.target(job.job_id, "T-0001").summary
        changes = h.dns_changes("T-0001")
        assert [(c.zone, c.name) for c in changes] == [("Z1ZONEA", ""), ("Z2ZONEB", API)]  # nothing twice
        step = h.jobs.step(job.job_id, "T-0001", "dns_change")
        assert step.state is StepState.DONE and [zone for zone, _ in step.detail["changes"]] == ["Z2ZONEB"]
        tenant = h.tenants.get("T-0001")
        assert [s.oci_share for s in tenant.names_seen] == [1.0, 1.0] and tenant.lifecycle is Lifecycle.MIGRATED
    finally:
        second.request_stop()
        await task
        await h.stop()


async def test_a_dry_run_shows_both_names_in_one_change_set(h: Harness) -> None:
    await h.until(lambda: len(h.tenants.get("T-0001").names_seen) == 2, what="every name read")
    plan = h.ops.plan(PlanRequest.flip(["T-0001", "T-0002"]))
    rehearsal = await h.ops.dry_run(plan, reason="rehearsal")
    sets = [[(line.tenant_id, line.name) for line in change_set.lines] for change_set in rehearsal.change_sets]
    assert sets == [[("T-0001", "tenant1.example.com"), ("T-0001", API)], [("T-0002", "tenant2.example.com")]]
    assert h.dns_changes("T-0001") == []  # a dry run changes nothing


@pytest.mark.slow  # over a second
async def test_a_ramp_moves_both_names_stage_by_stage(h: Harness) -> None:
    job = h.ops.submit(h.ops.plan(PlanRequest.ramp(["T-0001"], stages=(25, 100), hold=300)), reason="edge case 2")
    await h.until(h.job_done(job.job_id), what="the ramp ending")
    assert h.jobs.get(job.job_id).state is JobState.SUCCEEDED, h.jobs.target(job.job_id, "T-0001").summary
    changes = h.dns_changes("T-0001")
    by_set: dict[str, list[str]] = {}
    for change in changes:
        by_set.setdefault(change.change_id, []).append(change.name)
    assert list(by_set.values()) == [["", API], ["", API]]  # each stage: both names in one change set
    first, last = changes[0], changes[-1]
    assert '"weights"' in first.to_routing and changes[1].to_routing == first.to_routing
    tenant = h.tenants.get("T-0001")
    assert tenant.oci_target in last.to_routing and tenant.lifecycle is Lifecycle.MIGRATED
    assert [s.oci_share for s in tenant.names_seen] == [1.0, 1.0]
