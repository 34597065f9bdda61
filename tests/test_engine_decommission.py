"""Decommission, the point of no return: refused before the watch ended, with an open fault, or when a fresh
comparison finds the sides differ (nothing changed); allowed after, recording the final comparison and what
remains to retire on AWS."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import Harness, inject

from cutover.actions.engine.flows.decommission import RETIRED
from cutover.actions.plan.plans import NeedsConfirmation, PlanRequest, Refused
from cutover.model.jobs import JobState
from cutover.model.lifecycle import Lifecycle

pytestmark = pytest.mark.asyncio


async def migrated(h: Harness, tenant_id: str = "T-0001") -> float:
    job = h.ops.submit(h.ops.plan(PlanRequest.flip([tenant_id])), reason="night 3")
    await h.until(h.job_done(job.job_id), what="the flip")
    assert h.tenants.get(tenant_id).lifecycle is Lifecycle.MIGRATED
    return h.tenants.get(tenant_id).lifecycle_since


async def past_the_watch(h: Harness, promoted: float) -> None:
    await h.until(lambda: h.clock.now() > promoted + 24 * 3600 + 120, limit=25 * 3600, what="the end of the watch")


def decommission(h: Harness, tenant_id: str = "T-0001", **overrides: str):
    return h.ops.decommission(
        [tenant_id], reason="stable for 24 h", confirmation=f"decommission {tenant_id}", overrides=overrides
    )


@pytest.mark.slow  # over a second
async def test_refused_before_the_watch_ended_then_allowed_after_with_its_final_comparison(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=2)
    await h.start()
    try:
        promoted = await migrated(h)
        events_before = len(h.session.events.find())
        with pytest.raises(Refused) as refused:
            decommission(h)
        assert "T-0001: its watch has 24h left: AWS is the rollback insurance" in str(refused.value)
        assert "break-glass watch=REASON" in str(refused.value)
        assert h.jobs.find(kind="decommission") == [] and len(h.session.events.find()) == events_before

        await past_the_watch(h, promoted)
        with pytest.raises(NeedsConfirmation) as unconfirmed:
            h.ops.decommission(["T-0001"], reason="stable", confirmation="T-0001")
        assert str(unconfirmed.value).count("decommission T-0001") == 1
        job = decommission(h)
        await h.until(h.job_done(job.job_id), limit=600, what="the decommission")
        assert h.jobs.get(job.job_id).state is JobState.SUCCEEDED, h.jobs.get(job.job_id).result
        tenant = h.tenants.get("T-0001")
        assert tenant.lifecycle is Lifecycle.DECOMMISSIONED
        (transition,) = [
            e
            for e in h.session.events.find(tenant_id="T-0001")
            if e.kind == "transition" and e.state_after == "decommissioned"
        ]
        final = transition.detail["final_checksums"]
        assert final["differ"] == 0 and final["missing_on_oci"] == 0 and final["objects_checked"] > 0
        (retired,) = [e for e in h.session.events.find(tenant_id="T-0001") if e.kind == RETIRED]
        assert retired.detail["to_retire"]["aws_target"] == tenant.aws_target
        assert f"aws_target {tenant.aws_target}" in retired.what and retired.operator == "alice"
        assert h.jobs.step(job.job_id, "T-0001", "verify").result.startswith("both sides match: ")
        # No longer watched: errors now do not roll it back.
        inject(h, tmp_path, '[[fault]]\nkind = "error_spike"\ntenants = ["T-0001"]\nerror_rate = 0.3\n')
        later = h.clock.now()
        await h.until(lambda: h.clock.now() > later + 900, what="fifteen minutes of errors")
        assert h.jobs.find(kind="rollback") == []
    finally:
        await h.stop()


@pytest.mark.slow  # over a second
async def test_refused_with_an_open_fault_unless_broken_glass(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=2)
    await h.start()
    try:
        promoted = await migrated(h)
        inject(
            h,
            tmp_path,
            '[[fault]]\nkind = "error_spike"\ntenants = ["T-0001"]\nat = "3h"\nduration = "2h"\nerror_rate = 0.004\n',
        )
        await past_the_watch(h, promoted)
        with pytest.raises(Refused) as refused:
            decommission(h)
        assert "open fault: checkpoint T+4h failed: error rate 0.4" in str(refused.value)
        assert "break-glass open-fault=REASON" in str(refused.value)
        job = decommission(h, **{"open-fault": "customer confirmed it was their load test"})
        await h.until(h.job_done(job.job_id), limit=600, what="the decommission")
        assert h.tenants.get("T-0001").lifecycle is Lifecycle.DECOMMISSIONED
        (glass,) = [e for e in h.session.events.find(job_id=job.job_id) if e.kind == "break-glass"]
        assert glass.detail["rule"] == "open-fault" and glass.why == "customer confirmed it was their load test"
    finally:
        await h.stop()


@pytest.mark.slow  # over a second
async def test_a_fresh_comparison_that_finds_the_sides_differ_refuses_it_and_changes_nothing(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, ready=2)
    await h.start()
    try:
        promoted = await migrated(h)
        await past_the_watch(h, promoted)
        # The sides stop matching; the store has not seen it yet (the next sync poll would).
        inject(h, tmp_path, '[[fault]]\nkind = "checksum_mismatch"\ntenants = ["T-0001"]\nobjects = 4\n')
        job = decommission(h)
        await h.until(h.job_done(job.job_id), limit=600, what="the decommission")
        ended = h.jobs.get(job.job_id)
        assert ended.state is JobState.REFUSED
        (target,) = h.jobs.targets(job.job_id)
        assert "the sides differ: 4 objects differ" in target.summary and "nothing changed" in target.summary
        assert h.tenants.get("T-0001").lifecycle is Lifecycle.MIGRATED
        assert not [e for e in h.session.events.find(tenant_id="T-0001") if e.kind == RETIRED]
        with pytest.raises(Refused) as again:  # now the store knows
            decommission(h, watch="x")
        assert "AWS and OCI differ (4 checksum mismatches)" in str(again.value)
    finally:
        await h.stop()
