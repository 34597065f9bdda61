"""A rollback's data on the simulated fleet: the reverse sync OCI -> AWS (before the DNS change, after it,
or off), bounded by its timeout, and the RPO every rollback measures and records."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import Harness, inject

from cutover.actions.plan.plans import PlanRequest
from cutover.config.settings import RollbackSettings, Settings
from cutover.model.jobs import JobState, StepState
from cutover.model.lifecycle import Lifecycle
from cutover.state.readiness import ReadinessStore

pytestmark = pytest.mark.asyncio


def settings(**rollback: object) -> Settings:
    return Settings().model_copy(update={"rollback": RollbackSettings(**rollback)})


async def on_oci_for_two_hours(h: Harness, tenant_id: str = "T-0001") -> int:
    """Flip, promote, wait two hours of writes on OCI; returns what readiness says a rollback strands."""
    job = h.ops.submit(h.ops.plan(PlanRequest.flip([tenant_id])), reason="night 3")
    await h.until(h.job_done(job.job_id), what="the flip")
    promoted = h.tenants.get(tenant_id).lifecycle_since
    await h.until(lambda: h.clock.now() > promoted + 2 * 3600, limit=3 * 3600, what="two hours on OCI")
    readiness = ReadinessStore(h.store).one(tenant_id)
    assert readiness is not None and readiness.stranded_objects and readiness.stranded_objects > 0
    return readiness.stranded_objects


async def roll_back(h: Harness, tenant_id: str = "T-0001"):
    job = h.ops.submit(h.ops.plan(PlanRequest.rollback([tenant_id])), reason="vendor incident on OCI")
    await h.until(h.job_done(job.job_id), what="the rollback")
    assert h.jobs.get(job.job_id).state is JobState.SUCCEEDED
    assert h.tenants.get(tenant_id).lifecycle is Lifecycle.ROLLED_BACK
    return job.job_id, {step.name: step for step in h.jobs.steps(job.job_id, tenant_id)}


def rpo_events(h: Harness) -> list:
    return [e for e in h.session.events.find(tenant_id="T-0001") if e.kind == "rollback.rpo"]


@pytest.mark.slow  # over a second
async def test_before_dns_the_stranded_objects_reach_aws_before_the_dns_change_and_the_rpo_is_0(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, ready=2, settings=settings(reverse_sync="before-dns"))
    await h.start()
    try:
        await on_oci_for_two_hours(h)
        job_id, steps = await roll_back(h)
        reverse, change = steps["reverse_sync"], steps["dns_change"]
        assert reverse.state is StepState.DONE and reverse.result.startswith("reverse sync OCI -> AWS done in")
        assert reverse.ended_at <= change.started_at  # on AWS before DNS sent anyone back there
        rpo = h.jobs.target(job_id, "T-0001").detail["rpo"]
        assert rpo["objects"] == 0 and rpo["reverse_sync"] == "before-dns"
        (event,) = rpo_events(h)
        assert event.what.startswith("T-0001: RPO 0: AWS holds every object on OCI")
        assert "RPO 0" in h.jobs.target(job_id, "T-0001").summary
    finally:
        await h.stop()


@pytest.mark.slow  # over a second
async def test_off_the_rollback_records_the_exposure(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=2, settings=settings(reverse_sync="off"))
    await h.start()
    try:
        stranded = await on_oci_for_two_hours(h)
        job_id, steps = await roll_back(h)
        assert steps["reverse_sync"].result.startswith("off (rollback.reverse_sync)")
        rpo = h.jobs.target(job_id, "T-0001").detail["rpo"]
        assert rpo["objects"] >= stranded and rpo["bytes"] > 0  # what readiness said, and the writes since
        (event,) = rpo_events(h)
        assert event.what.startswith(f"T-0001: RPO {rpo['objects']} objects, ")
        assert "written on OCI and not on AWS (off (rollback.reverse_sync)" in event.what
    finally:
        await h.stop()


@pytest.mark.slow  # over a second
async def test_a_reverse_sync_over_its_limit_never_holds_the_rollback_back_and_the_exposure_is_recorded(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, ready=2, settings=settings(reverse_sync="before-dns", reverse_sync_timeout=2.0))
    await h.start()
    try:
        await on_oci_for_two_hours(h)
        decided = h.clock.now()
        job_id, steps = await roll_back(h)
        reverse = steps["reverse_sync"]
        assert reverse.state is StepState.FAILED and "(the limit): the rollback went on without it" in reverse.result
        assert steps["dns_change"].started_at - decided < 30  # the limit, a poll, and nothing more
        alerts = [e.what for e in h.session.events.find(tenant_id="T-0001") if e.kind == "alert"]
        assert any("reverse sync not done after" in a for a in alerts)
        # The copy went on on the sync node; the RPO, measured once traffic was back, says what it achieved.
        rpo = h.jobs.target(job_id, "T-0001").detail["rpo"]
        assert rpo["objects"] is not None and "not done after" in rpo["reverse_result"]
    finally:
        await h.stop()


@pytest.mark.slow  # over a second
async def test_a_reverse_sync_that_fails_lets_the_rollback_go_on_and_records_what_it_stranded(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, ready=2, settings=settings(reverse_sync="before-dns"))
    await h.start()
    try:
        stranded = await on_oci_for_two_hours(h)
        inject(h, tmp_path, 'name = "stall"\n[[fault]]\nkind = "sync_stall"\ntenants = ["T-0001"]\n')
        job_id, steps = await roll_back(h)
        assert steps["reverse_sync"].state is StepState.FAILED
        assert "reverse sync failed after" in steps["reverse_sync"].result
        rpo = h.jobs.target(job_id, "T-0001").detail["rpo"]
        assert rpo["objects"] >= stranded
        (event,) = rpo_events(h)
        assert f"RPO {rpo['objects']} objects" in event.what and "reverse sync failed" in event.what
    finally:
        await h.stop()


@pytest.mark.slow  # over a second
async def test_after_dns_the_reverse_sync_runs_once_traffic_is_back_and_the_rpo_is_0(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=2, settings=settings(reverse_sync="after-dns"))
    await h.start()
    try:
        await on_oci_for_two_hours(h)
        job_id, steps = await roll_back(h)
        assert steps["reverse_sync"].started_at >= steps["traffic_back"].ended_at
        assert h.jobs.target(job_id, "T-0001").detail["rpo"]["objects"] == 0
    finally:
        await h.stop()


async def test_a_rollback_before_dns_ever_pointed_at_oci_copies_nothing_back_and_its_rpo_is_0(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, ready=2, settings=settings(reverse_sync="before-dns"))
    await h.start()
    try:
        flip = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="night 3")
        await h.until(
            lambda: h.jobs.step(flip.job_id, "T-0001", "final_sync").state is StepState.RUNNING,
            what="the final sync running",
        )
        job_id, steps = await roll_back(h)
        assert steps["reverse_sync"].result.startswith("skipped: DNS did not point at OCI")
        assert h.jobs.target(job_id, "T-0001").detail["rpo"]["objects"] == 0
        (event,) = rpo_events(h)
        assert event.what == "T-0001: RPO 0: DNS never pointed at OCI, nothing was written there"
    finally:
        await h.stop()
