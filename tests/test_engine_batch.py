"""The night batch on the simulated fleet: 25 tenants in groups of 5 every 15 min, each monitored 10 min."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import pytest_asyncio
from engine_helpers import Harness

from cutover.actions.operations import PlanRequest
from cutover.state.events import verify_chain
from cutover.state.jobs import JobState, StepState, TargetState
from cutover.state.lifecycle import Lifecycle

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def h(tmp_path: Path):
    harness = Harness(tmp_path, ready=27)
    await harness.start()
    yield harness
    await harness.stop()


async def test_a_night_batch_of_25_in_groups_of_5_completes_with_every_step_recorded(h: Harness) -> None:
    plan = h.ops.plan(PlanRequest.batch([f"T-{n:04d}" for n in range(1, 28)], count=25, group_size=5))
    assert plan.ok, plan.problems
    assert [len(g) for g in plan.groups] == [5] * 5
    assert [(e.tenant_id, e.reason) for e in plan.excluded] == [
        ("T-0026", "beyond tonight's count of 25"),
        ("T-0027", "beyond tonight's count of 25"),
    ]
    job = h.ops.submit(plan, reason="wave 1, night 3", confirmation="batch 25")
    took = await h.until(h.job_done(job.job_id), what="the batch ending")
    job = h.jobs.get(job.job_id)
    targets = h.jobs.targets(job.job_id)
    assert job.state is JobState.SUCCEEDED, (
        job.result,
        [(t.tenant_id, t.summary) for t in targets if t.state is not TargetState.SUCCEEDED],
    )
    assert job.result == "25 migrated"
    assert {t.state for t in targets} == {TargetState.SUCCEEDED}
    for target in targets:
        assert h.tenants.get(target.tenant_id).lifecycle is Lifecycle.MIGRATED
        steps = h.jobs.steps(job.job_id, target.tenant_id)
        assert all(s.state in (StepState.DONE, StepState.SKIPPED) and s.ended_at for s in steps)
        assert len(h.dns_changes(target.tenant_id)) == 1
    groups = h.jobs.steps(job.job_id)
    starts = [g.started_at for g in groups]
    assert [round(b - a) for a, b in itertools.pairwise(starts)] == [900, 900, 900, 900]
    assert all(g.result == "5 migrated" for g in groups)
    # Four intervals of 15 min, then the last group's cutover and 10 min monitoring.
    assert 4 * 900 + 600 < took < 4 * 900 + 1800
    assert verify_chain(h.store).ok
    assert h.tenants.get("T-0026").lifecycle is Lifecycle.READY
