"""Rollback on the simulated fleet: automatic (the runbook's example), by hand, many at once."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_asyncio
from engine_helpers import Harness, inject

from cutover.actions.plan.plans import PlanRequest, ResumeRefused
from cutover.model.jobs import JobState, TargetState
from cutover.model.lifecycle import Lifecycle

pytestmark = [pytest.mark.asyncio, pytest.mark.both_stores]


@pytest_asyncio.fixture
async def h(tmp_path: Path):
    harness = Harness(tmp_path, ready=6)  # two hosted zones: odd tenants in Z1ZONEA, even in Z2ZONEB
    await harness.start()
    yield harness
    await harness.stop()


async def test_the_runbook_example_rolls_back_automatically_once_with_its_recovery_time(
    h: Harness, tmp_path: Path
) -> None:
    inject(
        h,
        tmp_path,
        """
name = "rollback night"
[[fault]]
kind = "error_spike"
tenants = ["T-0001"]
after_cutover = "2m"
error_rate = 0.05
""",
    )
    flip = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="night 3")
    await h.until(lambda: h.tenants.get("T-0001").lifecycle is Lifecycle.ROLLED_BACK, what="the rollback")
    rollbacks = h.jobs.find(kind="rollback")
    assert len(rollbacks) == 1
    (rollback,) = rollbacks
    await h.until(h.job_done(rollback.job_id), what="the rollback job ending")
    rollback = h.jobs.get(rollback.job_id)
    assert rollback.state is JobState.SUCCEEDED and rollback.operator.startswith("trigger:error-rate")
    target = h.jobs.target(rollback.job_id, "T-0001")
    recovery = target.detail
    assert 0 < recovery["insync_after_s"] <= recovery["traffic_back_after_s"] < 600
    assert "traffic back on AWS" in target.summary
    print(target.summary, rollback.reason)
    # The flip was taken over; exactly two DNS changes: to OCI, and back.
    assert h.jobs.get(flip.job_id).state is JobState.FAILED
    assert h.jobs.target(flip.job_id, "T-0001").state is TargetState.PREEMPTED
    changes = h.dns_changes("T-0001")
    assert len(changes) == 2
    # Once: the tenant stays rolled back while the errors go on.
    await h.until(lambda: h.clock.now() >= rollback.ended_at + 1800, what="half an hour")
    assert len(h.jobs.find(kind="rollback")) == 1 and len(h.dns_changes("T-0001")) == 2
    alerts = [e for e in h.session.events.find(tenant_id="T-0001") if e.kind == "alert"]
    assert any("rolling back automatically" in a.what for a in alerts)


async def test_rolling_back_many_is_one_change_set_per_hosted_zone_with_recovery_times(h: Harness) -> None:
    flip = h.ops.submit(
        h.ops.plan(PlanRequest.flip(["T-0001", "T-0002", "T-0003", "T-0004"])), reason="r", confirmation="flip 4"
    )
    await h.until(h.job_done(flip.job_id), what="the flips ending")
    plan = h.ops.plan(PlanRequest.rollback(["T-0001", "T-0002", "T-0003", "T-0004"]))
    assert [c.zone for c in plan.change_sets] == ["Z1ZONEA", "Z2ZONEB"]
    rollback = h.ops.submit(plan, reason="vendor incident on OCI", confirmation="rollback 4")
    await h.until(h.job_done(rollback.job_id), what="the rollback ending")
    assert h.jobs.get(rollback.job_id).state is JobState.SUCCEEDED
    backs = [h.dns_changes(t)[-1] for t in ("T-0001", "T-0002", "T-0003", "T-0004")]
    by_zone = {change.zone: change.change_id for change in backs}
    assert len(set(by_zone.values())) == 2  # one change set per zone, each holding both of its tenants
    assert {c.change_id for c in backs if c.zone == "Z1ZONEA"} == {by_zone["Z1ZONEA"]}
    # Paced: the second change set went at least 1/change_rate after the first.
    submitted = sorted(c.submitted_at for c in backs)
    assert submitted[-1] - submitted[0] >= 1 / h.settings.dns.change_rate
    for tenant_id in ("T-0001", "T-0002", "T-0003", "T-0004"):
        detail = h.jobs.target(rollback.job_id, tenant_id).detail
        assert detail["decided_at"] <= detail["decided_at"] + detail["insync_after_s"]
        assert detail["traffic_back_after_s"] >= detail["insync_after_s"] > 0
        assert h.tenants.get(tenant_id).lifecycle is Lifecycle.ROLLED_BACK


async def test_after_two_rollbacks_tonight_a_batch_holds_before_its_next_group(h: Harness, tmp_path: Path) -> None:
    inject(
        h,
        tmp_path,
        """
[[fault]]
kind = "error_spike"
tenants = ["T-0001", "T-0002"]
after_cutover = "2m"
error_rate = 0.2
""",
    )
    plan = h.ops.plan(PlanRequest.batch(["T-0001", "T-0002", "T-0003", "T-0004"], group_size=2))
    job = h.ops.submit(plan, reason="night 3", confirmation="batch 4")
    await h.until(lambda: "stop the line" in h.jobs.get(job.job_id).held_reason, what="the line stopping")
    # A resume would be undone at once by the rule: it is refused with the rule's numbers, nothing recorded.
    with pytest.raises(ResumeRefused) as refused:
        h.ops.resume(job.job_id, reason="both looked at")
    assert "2 rollbacks tonight (T-0001, T-0002); the limit is 2: stop for the night" in str(refused.value)
    assert h.jobs.get(job.job_id).pending_controls == ()
    assert h.tenants.get("T-0003").lifecycle is Lifecycle.READY
    h.ops.abort(job.job_id, reason="stop for the night, as the rule says")
    await h.until(h.job_done(job.job_id), what="the batch ending")
    assert h.jobs.get(job.job_id).state is JobState.ABORTED
    assert h.tenants.get("T-0003").lifecycle is Lifecycle.READY
