"""A cutover on the simulated fleet, through the real store file, on a driven clock."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_asyncio
from engine_helpers import Harness

from cutover.actions.plan.plans import PlanRequest
from cutover.model.jobs import JobState, StepState
from cutover.model.lifecycle import Lifecycle

pytestmark = [pytest.mark.asyncio, pytest.mark.both_stores]


@pytest_asyncio.fixture
async def h(tmp_path: Path):
    harness = Harness(tmp_path)
    await harness.start()
    yield harness
    await harness.stop()


async def test_a_flip_moves_a_ready_tenant_to_migrated_with_every_step_recorded(h: Harness) -> None:
    tenant_id = h.tonight[0]
    plan = h.ops.plan(PlanRequest.flip([tenant_id]))
    assert plan.ok, plan.problems
    job = h.ops.submit(plan, reason="night 3, first tenant")
    took = await h.until(h.job_done(job.job_id), what="the flip ending")
    job = h.jobs.get(job.job_id)
    target = h.jobs.target(job.job_id, tenant_id)
    assert job.state is JobState.SUCCEEDED, (job.result, target.summary)
    assert h.tenants.get(tenant_id).lifecycle is Lifecycle.MIGRATED
    steps = h.jobs.steps(job.job_id, tenant_id)
    assert all(s.state in (StepState.DONE, StepState.SKIPPED) for s in steps), [
        (s.name, s.state, s.result) for s in steps
    ]
    dns = next(s for s in steps if s.name == "dns_change")
    assert dns.request_ids and dns.request_ids[0].startswith("C")
    assert len(h.dns_changes(tenant_id)) == 1
    print(target.summary, took)
