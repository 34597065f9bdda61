"""Source freshness on the simulated fleet, through the real store, on a driven clock.

A healthy fleet never shows a source stale, whatever is in flight and however quiet
the notifier is; a metrics source that stops reporting goes stale after its own
bound, and the gate then refuses to cut over a tenant nobody could watch.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import Harness, inject

from cutover.actions.plan.gate import CheckResult
from cutover.actions.plan.plans import PlanRequest
from cutover.model.lifecycle import Lifecycle
from cutover.state.sources import SourceHealth

pytestmark = pytest.mark.asyncio


def sources(h: Harness) -> dict[str, SourceHealth]:
    return {source.name: source for source in h.session_sources()}


def stale_alerts(h: Harness) -> list[str]:
    return [e.what for e in h.session.events.find() if e.kind == "alert" and "stale" in e.what.lower()]


async def test_a_healthy_fleet_shows_no_source_stale_for_30_minutes_idle_or_in_flight(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=3)
    await h.start()
    try:
        seen_stale: dict[str, float] = {}

        def watch(until: float):
            def look() -> bool:
                now = h.clock.now()
                for source in h.session_sources():
                    if source.is_stale(now):
                        seen_stale.setdefault(source.name, now - (source.last_ok_at or now))
                return now >= until

            return look

        # A job posts to the notifier, which then has nothing to say for half an hour.
        h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="night 3")
        await h.until(lambda: h.tenants.get("T-0001").lifecycle is Lifecycle.MONITORING, what="monitoring")
        await h.until(watch(h.clock.now() + 30 * 60), limit=31 * 60)  # T-0001 in flight: 5 s metrics
        rollback = h.ops.submit(h.ops.plan(PlanRequest.rollback(["T-0001"])), reason="back, to test idling")
        await h.until(h.job_done(rollback.job_id), what="the rollback")
        await h.until(watch(h.clock.now() + 30 * 60), limit=31 * 60)  # nothing in flight: the fleet interval

        assert seen_stale == {}, f"stale while healthy (source: seconds since its last good poll): {seen_stale}"
        assert stale_alerts(h) == []
        found = sources(h)
        assert {"sim-metrics", "sim-route53", "sim-rclone", "sim-oci-lb", "sim-slack"} <= set(found)
        assert found["sim-slack"].last_ok_at < h.clock.now() - 20 * 60  # idle for 20 minutes, and not stale
        assert found["sim-metrics"].interval_s == pytest.approx(65.0)  # polled with the fleet now
    finally:
        await h.stop()


async def test_a_metrics_source_that_stops_reporting_goes_stale_after_its_bound_and_the_gate_refuses(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, ready=3)
    await h.start()
    try:
        assert h.ops.gate(["T-0002"])[0].passed
        inject(h, tmp_path, '[[fault]]\nkind = "metrics_silent"\nside = "both"\n')
        stale_at: list[float] = []

        def stale_now() -> bool:
            if sources(h)["sim-metrics"].is_stale(h.clock.now()):
                stale_at.append(h.clock.now())
            return bool(stale_at)

        await h.until(stale_now, limit=600, what="sim-metrics stale")
        metrics = sources(h)["sim-metrics"]
        # Its own bound: two fleet polls (nothing is in flight) plus its 10 s reporting delay.
        assert metrics.stale_after == pytest.approx(2 * 65.0 + 10.0)
        assert metrics.stale_after < stale_at[0] - metrics.last_ok_at <= metrics.stale_after + 10
        assert metrics.consecutive_errors >= 2 and "no datapoints" in metrics.last_error

        await h.until(lambda: h.clock.now() - h.tenants.get("T-0002").metrics_at > 140, limit=600)
        gate = h.ops.gate(["T-0002"])[0]
        assert not gate.passed
        check = gate.check("metrics")
        assert check.result is CheckResult.UNKNOWN and check.evidence.startswith("stale: last measured")
        assert check.blocking and not check.remedy
        plan = h.ops.plan(PlanRequest.flip(["T-0002"]))
        assert not plan.ok and any("metrics: unknown, stale" in problem for problem in plan.problems)
    finally:
        await h.stop()
