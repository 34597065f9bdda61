"""Holds everywhere they matter: a held or not-before tenant is refused by a direct flip or ramp (rule
`tenant-hold`, naming who held it and why; break-glass overrides, audited), left out of a batch group that
starts after the hold, never in the way of a rollback, and shown by `status` (text and JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from engine_helpers import Harness

from cutover.actions.plan.plans import PlanRequest, Refused
from cutover.actions.plan.safety import TENANT_HOLD
from cutover.console.cli import cli
from cutover.model.jobs import JobState, TargetState
from cutover.model.lifecycle import Lifecycle

pytestmark = pytest.mark.both_stores


@pytest.mark.asyncio
async def test_a_held_tenant_is_refused_by_flip_and_ramp_break_glass_passes_and_a_rollback_is_never_held(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, ready=3, operator="bob")
    await h.start()
    try:
        h.ops.hold(["T-0001"], reason="customer asked to reschedule")
        h.ops.hold(["T-0002"], reason="reschedule T+48h", not_before=h.clock.now() + 48 * 3600)
        for request in (PlanRequest.flip(["T-0001"]), PlanRequest.ramp(["T-0001"])):
            plan = h.ops.plan(request)
            assert not plan.ok
            assert [r.rule for r in plan.safety.blocking] == [TENANT_HOLD]
            assert (
                "tenant-hold: 1 tenant is held out of the queue (T-0001 held by bob: customer asked to reschedule)"
                in plan.problems[0]
            )
            with pytest.raises(Refused, match="held by bob: customer asked to reschedule"):
                h.ops.submit(plan, reason="tonight")
        not_before = h.ops.plan(PlanRequest.flip(["T-0002"]))
        assert "T-0002 not before " in not_before.problems[0] and "(bob: reschedule T+48h)" in not_before.problems[0]
        assert not h.jobs.find()  # nothing submitted

        # Break-glass: the rule overridden with a reason runs, and the override is in the audit trail.
        plan = h.ops.plan(PlanRequest.flip(["T-0001"], overrides={TENANT_HOLD: "customer called back: go"}))
        assert plan.ok and plan.safety.overridden[0].rule == TENANT_HOLD
        job = h.ops.submit(plan, reason="tonight after all")
        await h.until(lambda: h.tenants.get("T-0001").lifecycle is Lifecycle.MONITORING, what="monitoring")
        glass = [e for e in h.session.events.find() if e.kind == "break-glass" and e.job_id == job.job_id]
        assert glass and glass[0].why == "customer called back: go" and glass[0].detail["rule"] == TENANT_HOLD

        # Still held, the tenant's rollback is never refused.
        back = h.ops.plan(PlanRequest.rollback(["T-0001"]))
        assert back.ok, back.problems
        rollback = h.ops.submit(back, reason="customer wants AWS back")
        await h.until(h.job_done(rollback.job_id), what="the rollback")
        assert h.jobs.get(rollback.job_id).state is JobState.SUCCEEDED

        # Released, a flip plans again; the not-before hold lapses on its own.
        h.ops.unhold(["T-0001"], reason="done")
        h.clock.advance(48 * 3600 + 1)
        assert TENANT_HOLD not in {r.rule for r in h.ops.plan(PlanRequest.flip(["T-0002"])).safety.refusals}
    finally:
        await h.stop()


@pytest.mark.asyncio
async def test_a_tenant_held_after_its_batch_was_submitted_is_left_out_when_its_group_starts(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=4)
    try:
        plan = h.ops.plan(PlanRequest.batch(["T-0001", "T-0002", "T-0003", "T-0004"], count=4, group_size=2))
        assert plan.ok, plan.problems
        job = h.ops.submit(plan, reason="night 3", confirmation=plan.confirm_phrase)
        # The customer calls before the engine starts the second group.
        h.ops.hold(["T-0003"], reason="customer asked to reschedule")
        await h.start()
        await h.until(h.job_done(job.job_id), what="the batch")
        targets = {t.tenant_id: t for t in h.jobs.targets(job.job_id)}
        assert targets["T-0003"].state is TargetState.REFUSED
        assert targets["T-0003"].summary.startswith("held by alice: customer asked to reschedule: left out")
        assert h.tenants.get("T-0003").lifecycle is Lifecycle.READY and not h.dns_changes("T-0003")
        assert all(targets[t].state is TargetState.SUCCEEDED for t in ("T-0001", "T-0002", "T-0004"))
    finally:
        await h.stop()


def test_status_shows_holds_in_text_and_json(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=2)
    try:
        h.ops.hold(["T-0001"], reason="customer asked to reschedule")
        env = {**h.store_env}
        listing = CliRunner().invoke(cli, ["status"], env=env)
        assert listing.exit_code == 0, listing.output
        assert "held: customer asked to reschedule (alice)" in " ".join(listing.output.split())
        one = CliRunner().invoke(cli, ["status", "T-0001"], env=env)
        assert "hold       held by alice: customer asked to reschedule" in one.output
        shown = json.loads(CliRunner().invoke(cli, ["status", "--json"], env=env).output)
        by_id = {t["id"]: t for t in shown["tenants"]}
        assert by_id["T-0001"]["hold"]["reason"] == "customer asked to reschedule"
        assert by_id["T-0001"]["hold"]["held_by"] == "alice" and by_id["T-0001"]["hold"]["not_before"] is None
        assert by_id["T-0001"]["next_step"] == "held: customer asked to reschedule (alice)"
        assert by_id["T-0002"]["hold"] is None
    finally:
        h.store.close()
