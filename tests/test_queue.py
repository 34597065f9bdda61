"""The queue: a batch picks in the Priority column's order (Pilot first, then wave and priority) and says
why each tenant was or was not picked; held and not-before tenants are left out with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import HEADER, Harness, cutover, import_runbook, war_room

from cutover.actions.plan.plans import BadRequest, PlanRequest, Refused

PRIORITIES = {1: (2, "P2"), 2: (1, "P3"), 3: (2, "Pilot"), 4: (1, "P1"), 5: (1, ""), 6: (3, "P1")}


def _with_priorities(h: Harness, tmp_path: Path) -> None:
    rows = [HEADER + ",Priority"]
    for number, (wave, priority) in PRIORITIES.items():
        rows.append(
            f"T-{number:04d},5GB,Std,{wave},t{number}.tenants.example,{'Z1ZONEA' if number % 2 else 'Z2ZONEB'},"
            f"52.0.0.{number},129.213.0.{number},us-east-1,1000,0.1%,{priority}"
        )
    path = tmp_path / "priorities.csv"
    path.write_text("\n".join(rows) + "\n")
    import_runbook(h.tenants, path)


def test_a_batch_follows_priority_and_skips_held_and_not_before_tenants_with_reasons(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=6)
    try:
        _with_priorities(h, tmp_path)
        now = h.clock.now()
        h.ops.hold(["T-0004"], reason="customer asked to reschedule")
        h.ops.hold(["T-0002"], reason="reschedule T+48h", not_before=now + 48 * 3600)
        plan = h.ops.plan(PlanRequest.batch(count=3, group_size=5))
        # Pilot first (wave 2), then wave 1 by priority (P1 held, P3 not before), then the rest.
        assert [t.tenant_id for t in plan.targets] == ["T-0003", "T-0005", "T-0001"]
        notes = {t.tenant_id: t.picked for t in plan.targets}
        assert notes["T-0003"].startswith("queue #1: Pilot, wave 2")
        assert notes["T-0005"].startswith("queue #2: wave 1")
        assert notes["T-0001"].startswith("queue #3: wave 2, priority P2")
        reasons = {e.tenant_id: e.reason for e in plan.excluded}
        assert reasons["T-0004"] == "held by alice: customer asked to reschedule"
        assert reasons["T-0002"].startswith("not before ") and reasons["T-0002"].endswith("(alice: reschedule T+48h)")
        assert reasons["T-0006"] == "beyond tonight's count of 3"
        assert plan.to_json()["excluded"]
        assert plan.to_json()["targets"][0]["picked"] == "queue #1: Pilot, wave 2"

        # Released, the held tenant goes back to its place in the queue; the not-before one waits 48 h.
        assert h.ops.unhold(["T-0004"], reason="customer confirmed tonight") == ["T-0004"]
        assert [t.tenant_id for t in h.ops.plan(PlanRequest.batch(count=3)).targets] == ["T-0003", "T-0004", "T-0005"]
        h.clock.advance(48 * 3600)
        after = h.ops.plan(PlanRequest.batch(count=6))
        assert "T-0002" not in {e.tenant_id for e in after.excluded if e.reason.startswith("not before")}

        with pytest.raises(Refused, match="T-0004 is not held: nothing released"):
            h.ops.unhold(["T-0004"], reason="again")
        with pytest.raises(BadRequest, match="give a reason"):
            h.ops.hold(["T-0001"], reason=" ")
        kinds = [(e.kind, e.tenant_id, e.why) for e in h.session.events.find()]
        assert ("tenant.held", "T-0004", "customer asked to reschedule") in kinds
        assert ("tenant.unheld", "T-0004", "customer confirmed tonight") in kinds
    finally:
        h.store.close()


def test_cli_hold_unhold_and_bad_dates(tmp_path: Path) -> None:
    env = war_room(tmp_path, ready=3)
    held = cutover(env, "hold", "T-0001", "--reason", "customer asked", "--not-before", "48h")
    assert held.returncode == 0, held.stderr
    assert held.stdout.startswith("held by ") and "until " in held.stdout and "T-0001" in held.stdout
    bad = cutover(env, "hold", "T-0002", "--reason", "r", "--not-before", "next tuesday")
    assert bad.returncode == 2 and "--not-before 'next tuesday': write a time from now" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert cutover(env, "hold", "T-0002").returncode == 2  # no reason
    plan = cutover(env, "batch", "--count", "3", "--dry-run")
    assert "T-0001" in plan.stdout and "not before" in plan.stdout
    refused = cutover(env, "unhold", "T-0003", "--reason", "r")
    assert refused.returncode == 3 and "T-0003 is not held" in refused.stderr
    assert cutover(env, "unhold", "T-0001", "--reason", "confirmed").returncode == 0
