"""Rollback on the simulated fleet: automatic (the runbook's example), by hand, many at once."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_asyncio
from engine_helpers import Harness, inject

from cutover.actions.operations import PlanRequest
from cutover.state.jobs import JobState, TargetState
from cutover.state.lifecycle import Lifecycle

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def h(tmp_path: Path):
    harness = Harness(tmp_path, ready=6)
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
    rollbacks = h.jobs.list(kind="rollback")
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
    assert len(h.jobs.list(kind="rollback")) == 1 and len(h.dns_changes("T-0001")) == 2
    alerts = [e for e in h.session.events.list(tenant_id="T-0001") if e.kind == "alert"]
    assert any("rolling back automatically" in a.what for a in alerts)
