"""Triggers on the simulated fleet: inconclusive holds, a failing metrics source holds and alerts,
and neither ever rolls back nor promotes; shadow rules only log; triggers stay armed while a batch is paused."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import Harness, inject

from cutover.actions.plan.plans import PlanRequest
from cutover.config.settings import Settings, TriggerRule, TriggerSettings
from cutover.model.jobs import JobState
from cutover.model.lifecycle import Lifecycle

pytestmark = [pytest.mark.asyncio, pytest.mark.both_stores]


def alerts(h: Harness, tenant_id: str | None = None) -> list[str]:
    return [e.what for e in h.session.events.find(tenant_id=tenant_id) if e.kind == "alert"]


async def cut_over_into_monitoring(h: Harness, tenant_id: str) -> str:
    job = h.ops.submit(h.ops.plan(PlanRequest.flip([tenant_id])), reason="night 3")
    await h.until(lambda: h.tenants.get(tenant_id).lifecycle is Lifecycle.MONITORING, what="monitoring")
    return job.job_id


async def test_too_little_traffic_is_inconclusive_holds_and_never_rolls_back_or_promotes(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, ready=3, settings=Settings(triggers=TriggerSettings(min_requests=10**9)))
    await h.start()
    try:
        inject(
            h,
            tmp_path,
            """
[[fault]]
kind = "error_spike"
tenants = ["T-0001"]
after_cutover = "1m"
error_rate = 0.2
""",
        )
        job_id = await cut_over_into_monitoring(h, "T-0001")
        until = h.tenants.get("T-0001").monitoring_until
        await h.until(lambda: h.clock.now() > until + 1800, what="half an hour past the window")
        tenant = h.tenants.get("T-0001")
        assert tenant.lifecycle is Lifecycle.MONITORING  # not promoted
        assert h.jobs.find(kind="rollback") == []  # not rolled back, even at 20 % errors
        job = h.jobs.get(job_id)
        assert job.state is JobState.HELD and "monitoring over but not promoted" in job.held_reason
        assert "inconclusive" in job.held_reason
        said = alerts(h, "T-0001")
        assert any("inconclusive" in text and "needed to judge" in text for text in said)
        assert len([t for t in said if "error-rate-immediate inconclusive" in t]) == 1  # once, not every poll
        # The operator decides: roll back by hand.
        rollback = h.ops.submit(h.ops.plan(PlanRequest.rollback(["T-0001"])), reason="cannot judge it: go back")
        await h.until(h.job_done(rollback.job_id), what="the manual rollback")
        assert h.tenants.get("T-0001").lifecycle is Lifecycle.ROLLED_BACK
    finally:
        await h.stop()


async def test_a_failing_metrics_source_holds_and_alerts_and_never_acts(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=3)
    await h.start()
    try:
        job_id = await cut_over_into_monitoring(h, "T-0001")
        inject(
            h,
            tmp_path,
            """
[[fault]]
kind = "metrics_silent"
side = "oci"
duration = "30m"
[[fault]]
kind = "error_spike"
tenants = ["T-0001"]
duration = "30m"
error_rate = 0.3
""",
        )
        until = h.tenants.get("T-0001").monitoring_until
        await h.until(lambda: h.clock.now() > until + 600, what="ten minutes past the window")
        assert h.tenants.get("T-0001").lifecycle is Lifecycle.MONITORING  # not promoted on no data
        assert h.jobs.find(kind="rollback") == []  # not rolled back on data it cannot see
        assert h.jobs.get(job_id).state is JobState.HELD
        said = alerts(h)
        failing = [text for text in said if "metrics source" in text and "failing: 3 errors in a row" in text]
        assert len(failing) == 1, said
        sources = {s.name: s for s in h.session_sources()}
        assert any(s.role == "metrics" and s.consecutive_errors >= 3 for s in sources.values())
    finally:
        await h.stop()


async def test_metrics_coming_back_show_the_errors_and_the_rollback_follows(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=3)
    await h.start()
    try:
        await cut_over_into_monitoring(h, "T-0001")
        inject(
            h,
            tmp_path,
            """
[[fault]]
kind = "metrics_silent"
side = "oci"
duration = "4m"
[[fault]]
kind = "error_spike"
tenants = ["T-0001"]
error_rate = 0.3
""",
        )
        silent_until = h.clock.now() + 240
        await h.until(lambda: h.tenants.get("T-0001").lifecycle is Lifecycle.ROLLED_BACK, what="the rollback")
        (rollback,) = h.jobs.find(kind="rollback")
        assert rollback.params["decided_at"] >= silent_until  # acted only on fresh data
    finally:
        await h.stop()


async def test_a_shadow_rule_logs_and_never_acts(tmp_path: Path) -> None:
    # A rule that would always fire: any traffic at all.
    shadow = TriggerRule(name="any-traffic", metric="requests", op=">", threshold=0, action="rollback", shadow=True)
    h = Harness(tmp_path, ready=3, settings=Settings(triggers=TriggerSettings(rules=(shadow,))))
    await h.start()
    try:
        job_id = await cut_over_into_monitoring(h, "T-0001")
        await h.until(h.job_done(job_id), what="the flip ending")
        assert h.jobs.get(job_id).state is JobState.SUCCEEDED
        assert h.jobs.find(kind="rollback") == []
        logged = [e for e in h.session.events.find(tenant_id="T-0001") if e.kind == "trigger.shadow"]
        assert len(logged) == 1 and "shadow rule any-traffic would rollback" in logged[0].what
    finally:
        await h.stop()
