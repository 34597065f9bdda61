"""Per-wave windows and nightly caps ([waves.N] window, max_per_night), and a batch that is ready before its
window opens: it waits for the window, counting down, and starts when it opens, instead of being refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from engine_helpers import HEADER, Harness, import_runbook

from cutover.actions.plan.batch_schedule import job_times
from cutover.actions.plan.gate import WINDOW_RULE
from cutover.actions.plan.plans import BadRequest, PlanRequest
from cutover.config.settings import SafetySettings, Settings
from cutover.config.windows import WaveSettings
from cutover.console.cli import cli
from cutover.model.jobs import JobState, StepState, TargetState

WAVES = {1: 1, 2: 1, 3: 1, 4: 2, 5: 3, 6: 3}  # tenant number -> wave


def with_waves(h: Harness, tmp_path: Path) -> None:
    rows = [HEADER]
    for number, wave in WAVES.items():
        rows.append(
            f"T-{number:04d},5GB,Std,{wave},tenant{number}.example.com,{'Z1ZONEA' if number % 2 else 'Z2ZONEB'},"
            f"52.1.0.{number},129.213.0.{number},us-east-1,1000,0.1%"
        )
    path = tmp_path / "waves.csv"
    path.write_text("\n".join(rows) + "\n")
    import_runbook(h.tenants, path)


def test_a_waves_own_window_and_a_coordinated_one_judge_its_tenants(tmp_path: Path) -> None:
    # 03:00 EST now: inside the [safety] window (02:00-06:00), before wave 2's (03:30-06:00); wave 3 coordinated.
    waves = {2: WaveSettings(window="03:30-06:00"), 3: WaveSettings(window="coordinated")}
    h = Harness(tmp_path, ready=6, settings=Settings(waves=waves))
    try:
        with_waves(h, tmp_path)
        assert h.ops.plan(PlanRequest.flip(["T-0001"])).ok
        wave2 = h.ops.plan(PlanRequest.flip(["T-0004"]))
        assert [r.rule for r in wave2.safety.blocking] == [WINDOW_RULE]
        assert "outside the migration window 03:30-06:00 tenant-local" in wave2.problems[0]
        assert "opens in 30m" in wave2.problems[0]
        coordinated = h.ops.plan(PlanRequest.flip(["T-0005"]))
        assert "wave 3's window is coordinated with each customer: give it for the batch" in coordinated.problems[0]
        given = h.ops.plan(PlanRequest.batch(["T-0005"], count=1, window="02:30-04:00"))
        assert given.ok, given.problems
        assert given.params["window"] == "02:30-04:00"
        with pytest.raises(BadRequest, match=r"--window '3am': not a migration window"):
            h.ops.plan(PlanRequest.batch(["T-0005"], count=1, window="3am"))
        bad = CliRunner().invoke(cli, ["batch", "T-0005", "--window", "25:00-26:00", "--dry-run"], env={**h.store_env})
        assert bad.exit_code == 2 and "--window '25:00-26:00'" in bad.output and "Traceback" not in bad.output
    finally:
        h.store.close()


@pytest.mark.asyncio
async def test_a_waves_cap_a_night_leaves_the_rest_out_saying_why_counting_what_tonight_has_taken(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, ready=6, settings=Settings(waves={1: WaveSettings(max_per_night=2)}))
    try:
        with_waves(h, tmp_path)
        plan = h.ops.plan(PlanRequest.batch(count=6, group_size=2))
        assert plan.tenant_ids == ("T-0001", "T-0002", "T-0004", "T-0005", "T-0006")
        reasons = {e.tenant_id: e.reason for e in plan.excluded}
        assert reasons == {"T-0003": "wave 1's cap of 2 a night is reached (2 taken tonight)"}
        job = h.ops.submit(plan, reason="night 3", confirmation=plan.confirm_phrase)
        # The batch not started yet takes T-0001 and T-0002 tonight: a second plan takes no more of wave 1.
        more = h.ops.plan(PlanRequest.batch(["T-0003"], count=1))
        assert not more.targets
        assert [e.reason for e in more.excluded] == ["wave 1's cap of 2 a night is reached (2 taken tonight)"]
        # Aborted before it started, the batch gives its tenants back to tonight's cap.
        h.ops.abort(job.job_id, reason="replan")
        await h.start()
        await h.until(h.job_done(job.job_id), what="the abort")
        again = h.ops.plan(PlanRequest.batch(["T-0003"], count=1))
        assert again.tenant_ids == ("T-0003",), again.excluded
    finally:
        await h.stop()


@pytest.mark.asyncio
async def test_a_batch_ready_before_its_window_waits_counting_down_and_starts_when_it_opens(tmp_path: Path) -> None:
    settings = Settings(safety=SafetySettings(window="03:30-06:00"))  # now 03:00 EST: opens in 30 min
    h = Harness(tmp_path, ready=2, settings=settings)
    await h.start()
    try:
        plan = h.ops.plan(PlanRequest.batch(["T-0001", "T-0002"], count=2, group_size=2))
        assert plan.ok, plan.problems
        opens = h.clock.now() + 1800
        assert plan.params["not_before"] == opens
        assert plan.params["waits"][0] == "waits for the migration window: group 1 starts at ~03:30 EST (in 30m)"
        assert plan.params["expected"][0]["start"] == opens
        job = h.ops.submit(plan, reason="night 3", confirmation=plan.confirm_phrase)
        await h.until(
            lambda: h.jobs.get(job.job_id).state is JobState.RUNNING, limit=60, what="the batch running, waiting"
        )
        h.clock.advance(600)
        await h.until(lambda: True, limit=1)
        view = h.ops.read.job(job.job_id)
        group = next(s for s in view.steps_of(None) if s.name == "group 1")
        assert group.state is StepState.PENDING and group.detail["waiting"] == "waits for the migration window"
        assert not h.dns_changes("T-0001")
        assert job_times(view, h.clock.now()).status == (
            "waiting for the migration window: group 1 starts at ~03:30 EST (in 20m)"
        )
        shown = CliRunner().invoke(cli, ["jobs", job.job_id], env={**h.store_env})
        assert "waiting for the migration window: group 1 starts at ~03:30 EST (in " in shown.output, shown.output
        await h.until(h.job_done(job.job_id), what="the batch")
        assert {t.state for t in h.jobs.targets(job.job_id)} == {TargetState.SUCCEEDED}
        started = next(s for s in h.ops.read.job(job.job_id).steps_of(None) if s.name == "group 1").started_at
        assert started >= opens
    finally:
        await h.stop()
