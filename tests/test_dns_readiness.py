"""DNS readiness in the gate: the record on AWS, its TTL low, and low for at least the TTL it had before.

The engine learns the TTL's history from its DNS reads and from `lower-ttl`, the night's preparation
step (a compare-and-swap change to the low TTL, the AWS target kept); a tenant blocked only by the wait
says when it becomes ready."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import Harness, make_ready

from cutover.actions.plan.plans import Refused
from cutover.model.jobs import JobState
from cutover.model.lifecycle import Lifecycle
from cutover.model.routing import DnsChange, Routing

HOUR = 3600.0


async def _set_ttl(h: Harness, tenant_id: str, ttl: int) -> None:
    """Someone (the TTL the zone always had) puts the record at `ttl`, as a change in the simulated Route 53."""
    tenant = h.tenants.get(tenant_id)
    record = (await h.providers.dns.read_routing([tenant]))[tenant_id]
    change = DnsChange(tenant_id, record, Routing.simple(tenant.aws_target, ttl))
    receipt = await h.providers.dns.apply(record.zone, [change])
    await h.until(lambda: h.tenants.get(tenant_id).dns_ttl == ttl, limit=5 * 60, what=f"the engine reading TTL {ttl}")
    assert receipt.change_id


@pytest.mark.asyncio
async def test_a_ttl_lowered_two_minutes_ago_from_3600_blocks_until_an_hour_has_passed(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=3)
    await h.start()
    try:
        await _set_ttl(h, "T-0001", 3600)
        make_ready(h.tenants, "T-0001", h.clock.now(), dns_ttl=3600, dns_ttl_since=h.clock.now() - 86400)
        gate = h.ops.gate(["T-0001"])[0]
        dns = gate.check("dns")
        assert dns.result.value == "fail" and gate.verdict.value == "blocked"
        assert dns.evidence == "TTL 3600 s, must be at most 60 s: lower it (cutover dns lower-ttl T-0001)"

        lowered = h.ops.lower_ttl(["T-0001"], reason="night prep: TTL to 60 s")
        await h.until(h.job_done(lowered.job_id), what="the TTL change")
        job = h.jobs.get(lowered.job_id)
        assert job.state is JobState.SUCCEEDED and job.result == "1 TTL lowered"
        changes = h.dns_changes("T-0001")
        assert len(changes) == 2  # ours and the one that set 3600: the AWS target kept
        summary = h.jobs.target(lowered.job_id, "T-0001").summary
        assert summary.startswith("TTL 60 s: change ") and "in sync" in summary and "safe from " in summary
        steps = {s.name: s for s in h.jobs.steps(lowered.job_id, "T-0001")}
        assert steps["lower_ttl"].detail["expected"].endswith("(TTL 3600)")
        assert steps["lower_ttl"].detail["to"].endswith("(TTL 60)")
        safe_at = steps["dns_insync"].detail["safe_at"]
        assert safe_at == pytest.approx(steps["dns_insync"].ended_at + HOUR)

        await h.until(lambda: h.clock.now() >= steps["dns_insync"].ended_at + 120, limit=10 * 60)
        dns = h.ops.gate(["T-0001"])[0].check("dns")
        assert dns.result.value == "fail" and dns.ready_at == pytest.approx(safe_at)
        assert dns.evidence.startswith("TTL 60 s for 2m") and "(was 3600 s): ready at " in dns.evidence
        assert ", in 58m" in dns.evidence
        # Every DNS read since keeps the history: still blocked a minute before the hour.
        await h.until(lambda: h.clock.now() >= safe_at - 60, limit=2 * HOUR)
        assert h.ops.gate(["T-0001"])[0].check("dns").result.value == "fail"
        await h.until(lambda: h.clock.now() >= safe_at, limit=2 * HOUR)
        make_ready(h.tenants, "T-0001", h.clock.now(), **_dns_of(h, "T-0001"))
        passed = h.ops.gate(["T-0001"])[0].check("dns")
        assert passed.result.value == "pass"
        assert passed.evidence.startswith("TTL 60 s for 1h") and passed.evidence.endswith("(was 3600 s)")

        events = [e for e in h.session.events.find() if e.job_id == lowered.job_id]
        assert ("job.queued", "alice", "night prep: TTL to 60 s") in [(e.kind, e.operator, e.why) for e in events]
    finally:
        await h.stop()


def _dns_of(h: Harness, tenant_id: str) -> dict:
    """The tenant's DNS observations as the engine left them (make_ready must not overwrite them)."""
    t = h.tenants.get(tenant_id)
    fields = ("dns_oci_share", "dns_routing", "dns_at", "dns_ttl", "dns_ttl_since", "dns_ttl_before", "dns_ttl_safe_at")
    return {name: getattr(t, name) for name in fields}


@pytest.mark.asyncio
async def test_lower_ttl_refuses_a_tenant_in_flight_and_a_record_someone_moved(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=3)
    await h.start()
    try:
        h.tenants.transition("T-0002", Lifecycle.CUTTING_OVER, why="test: in flight")
        with pytest.raises(Refused, match="T-0002 is cutting over: the TTL is lowered before a cutover"):
            h.ops.lower_ttl(["T-0001", "T-0002"], reason="prep")
        # A record already sending traffic to OCI is refused before anything is submitted.
        h.tenants.observe("T-0003", dns_oci_share=1.0, dns_routing="129.213.0.3 (TTL 60)")
        with pytest.raises(Refused, match="T-0003 DNS already sends 100 % to OCI"):
            h.ops.lower_ttl(["T-0003"], reason="prep")
        assert h.jobs.find() == []
    finally:
        await h.stop()


@pytest.mark.asyncio
async def test_a_record_already_at_the_low_ttl_is_not_changed_and_says_when_it_is_safe(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=2)
    await h.start()
    try:
        lowered = h.ops.lower_ttl(["T-0002"], reason="prep")
        await h.until(h.job_done(lowered.job_id), what="the TTL job")
        assert h.jobs.get(lowered.job_id).state is JobState.SUCCEEDED
        assert h.dns_changes("T-0002") == []
        summary = h.jobs.target(lowered.job_id, "T-0002").summary
        assert summary == "TTL 60 s: already in place, no change made; no DNS change was needed; safe now"
    finally:
        await h.stop()


def test_a_record_first_read_at_the_low_ttl_waits_the_assumed_ttl(tmp_path: Path) -> None:
    from cutover.actions.plan.gate import evaluate_gate
    from cutover.config.settings import Settings
    from cutover.model.clock import ManualClock
    from cutover.state.ttl_history import ttl_observation

    h_clock = ManualClock()
    now = h_clock.now()
    settings = Settings()
    from engine_helpers import import_runbook, write_fleet

    from cutover.state.events import EventLog
    from cutover.state.identity import Actor
    from cutover.state.store import Store
    from cutover.state.tenants import TenantStore

    store = Store(tmp_path / "s.db")
    tenants = TenantStore(store, EventLog(store, Actor("alice", "jump-1"), h_clock))
    import_runbook(tenants, write_fleet(tmp_path / "f.csv", 1))
    make_ready(tenants, "T-0001", now, dns_ttl=None, dns_ttl_since=None, dns_ttl_before=None, dns_ttl_safe_at=None)
    tenants.observe("T-0001", **ttl_observation(tenants.get("T-0001"), 60, now - 120, assume_previous=86400))
    dns = evaluate_gate(tenants.get("T-0001"), now, settings).check("dns")
    assert dns.result.value == "fail"
    assert dns.evidence.startswith("TTL 60 s since first read 2m ago (TTL before unknown): ready at ")
    assert dns.ready_at == now - 120 + 86400
    store.close()


@pytest.fixture
def env(tmp_path: Path) -> dict:
    from engine_helpers import war_room

    return war_room(tmp_path, ready=3)


def test_cli_lower_ttl_and_the_gate_show_dns_readiness(env: dict) -> None:
    import json

    from engine_helpers import cutover

    gate = json.loads(cutover(env, "gate", "T-0001", "--json").stdout)
    dns = next(c for c in gate["tenants"][0]["checks"] if c["name"] == "dns")
    assert dns["result"] == "pass" and dns["evidence"].startswith("TTL 60 s")
    assert cutover(env, "dns", "lower-ttl", "T-9999", "--reason", "r").returncode == 2
    missing = cutover(env, "dns", "lower-ttl", "T-0001")
    assert missing.returncode == 2 and "give a reason" in missing.stderr and "Traceback" not in missing.stderr
    done = cutover(env, "dns", "lower-ttl", "T-0001", "--reason", "night prep")
    assert done.returncode == 0, done.stderr
    assert "T-0001" in done.stdout and "TTL 60 s: already in place" in done.stdout
    jobs = json.loads(cutover(env, "jobs", "--json").stdout)["jobs"]
    assert [(j["kind"], j["state"]) for j in jobs] == [("ttl", "succeeded")]
