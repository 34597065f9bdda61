"""After the cutover the data must still match: a migrated tenant whose sync turns to a checksum mismatch is
a critical alert, paged once, and its next step says STOP, never decommission."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import Harness, inject

from cutover.actions.engine.sync_watch import SOURCE
from cutover.actions.plan.plans import PlanRequest
from cutover.model.lifecycle import Lifecycle
from cutover.state.next_step import next_step

pytestmark = pytest.mark.asyncio


async def test_a_checksum_mismatch_after_cutover_pages_and_stops_decommissioning(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=2)
    await h.start()
    try:
        job = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="night 3")
        await h.until(h.job_done(job.job_id), what="the flip")
        assert h.tenants.get("T-0001").lifecycle is Lifecycle.MIGRATED
        assert next_step(h.tenants.get("T-0001"), h.clock.now()).startswith("decommission in ")
        inject(h, tmp_path, '[[fault]]\nkind = "checksum_mismatch"\ntenants = ["T-0001"]\nobjects = 4\n')

        def alerts() -> list:
            return [e for e in h.session.events.find() if e.kind == "alert" and e.detail.get("source") == SOURCE]

        await h.until(lambda: bool(alerts()), limit=1800, what="the alert")
        (alert,) = alerts()
        assert alert.tenant_id == "T-0001" and alert.detail["severity"] == "critical"
        assert "checksum mismatch after cutover (4 objects): do not decommission AWS" in alert.what
        step = next_step(h.tenants.get("T-0001"), h.clock.now())
        assert step == "STOP: checksum mismatch after cutover (4 objects): do not decommission"
        await h.until(
            lambda: any("checksum mismatch after cutover" in n.text for n in h.world.db.notifications()),
            limit=600,
            what="the page",
        )
        later = h.clock.now()
        await h.until(lambda: h.clock.now() > later + 600, what="ten more minutes of sync polls")
        assert len(alerts()) == 1  # one incident, one alert
    finally:
        await h.stop()
