"""The DNS column tells the truth the moment a change is made: a flip or a rollback writes the share its
change set applied (the next DNS poll confirms it), never the share from before for a poll interval."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import Harness

from cutover.actions.plan.plans import PlanRequest
from cutover.config.settings import EngineSettings, Settings
from cutover.model.jobs import StepState

pytestmark = pytest.mark.asyncio


async def test_the_dns_share_follows_the_applied_change_before_any_dns_poll(tmp_path: Path) -> None:
    # DNS polled once at start, then not for an hour: whatever the column shows after that, a job wrote.
    slow_dns = Settings(engine=EngineSettings(dns_interval=3600, fleet_interval=3600))
    h = Harness(tmp_path, ready=2, settings=slow_dns)
    await h.start()
    try:
        await h.until(lambda: h.tenants.get("T-0001").dns_at is not None, what="the first DNS poll")
        polled_at = h.tenants.get("T-0001").dns_at
        flip = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="column drill")

        def dns_step_done(job_id: str) -> bool:
            return h.jobs.step(job_id, "T-0001", "dns_change").state is StepState.DONE

        await h.until(lambda: dns_step_done(flip.job_id), what="the flip's DNS change")
        tenant = h.tenants.get("T-0001")
        assert tenant.dns_oci_share == 1.0 and tenant.oci_target in tenant.dns_routing
        assert tenant.dns_at is not None and tenant.dns_at > polled_at

        rollback = h.ops.submit(h.ops.plan(PlanRequest.rollback(["T-0001"])), reason="column drill")
        await h.until(lambda: dns_step_done(rollback.job_id), what="the rollback's DNS change")
        tenant = h.tenants.get("T-0001")
        assert tenant.dns_oci_share == 0.0 and tenant.aws_target in tenant.dns_routing
    finally:
        await h.stop()
