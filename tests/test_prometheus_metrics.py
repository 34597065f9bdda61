"""The leading engine serves Prometheus metrics for the Grafana wall: scraped over HTTP, checked against the
store; nothing typed by a person (reasons, customer names) is ever a label."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest
from engine_helpers import Harness
from prometheus_client.parser import text_string_to_metric_families

from cutover.actions.plan.plans import PlanRequest
from cutover.config.loader import ConfigError, load_config
from cutover.config.settings import EngineSettings, Settings

FAKE_SECRET = "AKIAFAKE0SECRET0IN0A0REASON"


def scrape(url: str) -> dict[str, list]:
    text = httpx.get(url, timeout=10).text
    return {family.name: family.samples for family in text_string_to_metric_families(text)} | {"_text": text}


@pytest.mark.asyncio
async def test_the_leader_serves_the_fleet_jobs_and_sources_as_the_store_has_them(tmp_path: Path) -> None:
    settings = Settings(engine=EngineSettings(metrics_address="0"))  # loopback, any free port
    h = Harness(tmp_path, ready=4, settings=settings)
    await h.start()
    try:
        assert h.engine.metrics_url.startswith("http://127.0.0.1:")
        job = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason=f"pilot, ticket {FAKE_SECRET}")
        await h.until(lambda: h.tenants.get("T-0001").lifecycle.value == "monitoring", what="the flip's DNS change")
        metrics = scrape(h.engine.metrics_url)

        expected = Counter((t.lifecycle.value, str(t.wave)) for t in h.tenants.find())
        shown = {(s.labels["lifecycle"], s.labels["wave"]): s.value for s in metrics["cutover_tenants"]}
        assert shown == {key: float(count) for key, count in expected.items()}
        share = {s.labels["tenant"]: s.value for s in metrics["cutover_tenant_dns_oci_share"]}
        assert share["T-0001"] == h.tenants.get("T-0001").dns_oci_share == 1.0
        jobs = {(s.labels["state"], s.labels["kind"]): s.value for s in metrics["cutover_jobs"]}
        assert jobs == {("running", "flip"): 1.0}
        assert [s.value for s in metrics["cutover_holds"]] == [0.0]
        assert [s.value for s in metrics["cutover_rollbacks_tonight"]] == [0.0]
        (leader,) = metrics["cutover_leader"]
        assert leader.labels == {"operator": "alice", "host": "jump-1"} and leader.value == 1.0
        sources = {s.labels["source"] for s in metrics["cutover_source_age_seconds"]}
        assert {source.name for source in h.session_sources() if source.last_ok_at is not None} == sources
        assert FAKE_SECRET not in metrics["_text"] and "pilot" not in metrics["_text"]  # no free text, ever
        await h.until(h.job_done(job.job_id), what="the flip")
    finally:
        url = h.engine.metrics_url
        await h.stop()
    with pytest.raises(httpx.HTTPError):  # it stops with the lead
        httpx.get(url, timeout=2)


def test_a_metrics_address_that_is_not_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cutover.toml"
    path.write_text('[engine]\nmetrics_address = "http://0.0.0.0:9464/metrics"\n')
    with pytest.raises(ConfigError) as refused:
        load_config(str(path), environ={})
    assert "engine.metrics_address" in "\n".join(refused.value.problems)
    path.write_text('[engine]\nmetrics_address = "9464"\n')
    assert load_config(str(path), environ={}).settings.engine.metrics_bind == ("127.0.0.1", 9464)


def test_a_war_rooms_engine_serves_its_part_of_the_fleet_and_its_jobs(tmp_path: Path) -> None:
    """Several war rooms lead side by side and a wall scrapes them all: each serves its own part, so nothing is
    counted twice (config/war_room.py)."""
    from engine_helpers import import_runbook, write_fleet

    from cutover.actions.engine.prometheus_export import FleetCollector
    from cutover.model.clock import ManualClock
    from cutover.state.events import EventLog
    from cutover.state.identity import Actor
    from cutover.state.job_records import NewTarget
    from cutover.state.jobs import JobStore
    from cutover.state.store import Store
    from cutover.state.tenants import TenantStore

    clock = ManualClock()
    with Store(tmp_path / "cutover.db") as store:
        events = EventLog(store, Actor("alice", "jump-1"), clock)
        tenants, jobs = TenantStore(store, events), JobStore(store, events)
        import_runbook(tenants, write_fleet(tmp_path / "fleet.csv", 5))
        with store.write() as db:
            db.execute("UPDATE tenants SET region = 'us-east-2' WHERE tenant_id IN ('T-0004', 'T-0005')")
        jobs.submit("flip", [NewTarget("T-0001", ("dns_change",))], reason="virginia's")
        jobs.submit("flip", [NewTarget("T-0004", ("dns_change",))], reason="ohio's")
        ohio = Settings(war_room={"name": "ohio", "regions": ["us-east-2"]})
        families = {
            family.name: family.samples for family in FleetCollector(store, ohio, clock, tenants, jobs).collect()
        }
        assert sum(sample.value for sample in families["cutover_tenants"]) == 2
        assert [(s.labels, s.value) for s in families["cutover_jobs"]] == [({"state": "queued", "kind": "flip"}, 1.0)]
        whole = {
            family.name: family.samples for family in FleetCollector(store, Settings(), clock, tenants, jobs).collect()
        }
        assert sum(sample.value for sample in whole["cutover_tenants"]) == 5
        assert sum(sample.value for sample in whole["cutover_jobs"]) == 2
