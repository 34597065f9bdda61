"""The drift watch: a record changed outside cutover is a critical alert (paged through the notifier) once,
and said to have cleared when the record is back; a tenant a job holds is never called drifting."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import Harness

from cutover.actions.engine.drift import DRIFT_CLEARED, DRIFT_SOURCE
from cutover.actions.plan.plans import PlanRequest
from cutover.model.routing import DnsChange, Routing


async def change_by_hand(h: Harness, tenant_id: str, to_oci: bool) -> None:
    """What a person does in the Route 53 console: a change with no fence, no job, no event."""
    tenant = h.tenants.get(tenant_id)
    record = (await h.providers.dns.read_routing([tenant]))[tenant_id]
    target = tenant.oci_target if to_oci else tenant.aws_target
    await h.providers.dns.apply(record.zone, [DnsChange(tenant_id, record, Routing.simple(target, 60))])


def drift_alerts(h: Harness, tenant_id: str) -> list:
    return [
        a
        for a in h.session.events.find()
        if a.kind == "alert" and a.detail.get("source") == DRIFT_SOURCE and a.tenant_id == tenant_id
    ]


@pytest.mark.asyncio
async def test_a_ready_tenant_moved_to_oci_by_hand_is_one_critical_alert_that_pages(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=3)
    await h.start()
    try:
        await change_by_hand(h, "T-0002", to_oci=True)
        await h.until(lambda: bool(drift_alerts(h, "T-0002")), limit=600, what="the drift alert")
        (alert,) = drift_alerts(h, "T-0002")
        assert alert.detail["severity"] == "critical"
        assert "T-0002 is ready in the store, so all its traffic should go to AWS, but DNS sends 100% to OCI" in (
            alert.what
        )
        await h.until(
            lambda: any("DNS drift: T-0002" in n.text for n in h.world.db.notifications()),
            limit=600,
            what="the notifier posting the drift",
        )
        polls = h.clock.now()
        await h.until(lambda: h.clock.now() - polls > 300, limit=600, what="five more minutes of polling")
        assert len(drift_alerts(h, "T-0002")) == 1  # one alert, not one a poll
        assert drift_alerts(h, "T-0001") == [] and drift_alerts(h, "T-0003") == []

        await change_by_hand(h, "T-0002", to_oci=False)
        cleared = lambda: any(e.kind == DRIFT_CLEARED and e.tenant_id == "T-0002" for e in h.session.events.find())  # noqa: E731
        await h.until(cleared, limit=600, what="the drift clearing")
    finally:
        await h.stop()


@pytest.mark.asyncio
async def test_a_tenant_in_a_job_is_not_drifting_and_a_flip_leaves_no_drift(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=2)
    await h.start()
    try:
        job = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="drift drill")
        await h.until(h.job_done(job.job_id), what="the flip")
        polls = h.clock.now()
        await h.until(lambda: h.clock.now() - polls > 300, limit=600, what="five more minutes of polling")
        assert h.tenants.get("T-0001").lifecycle.value == "migrated"
        assert drift_alerts(h, "T-0001") == []

        await change_by_hand(h, "T-0001", to_oci=False)  # a migrated tenant sent back to AWS by hand
        await h.until(lambda: bool(drift_alerts(h, "T-0001")), limit=600, what="the drift alert")
        assert "should go to OCI, but DNS sends 0% to OCI" in drift_alerts(h, "T-0001")[0].what
    finally:
        await h.stop()
