"""Rollback readiness on the simulated fleet: measured by the engine while a tenant is on OCI, what a
rollback would strand grows with the writes customers make on OCI, and is said in words."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import Harness, inject

from cutover.actions.plan.plans import PlanRequest
from cutover.config.settings import Settings
from cutover.model.lifecycle import Lifecycle
from cutover.state.readiness import ReadinessStore, readiness_lines

pytestmark = pytest.mark.asyncio


async def migrate(h: Harness, tenant_id: str = "T-0001") -> float:
    job = h.ops.submit(h.ops.plan(PlanRequest.flip([tenant_id])), reason="night 3")
    await h.until(h.job_done(job.job_id), what="the flip")
    assert h.tenants.get(tenant_id).lifecycle is Lifecycle.MIGRATED
    return h.tenants.get(tenant_id).lifecycle_since


@pytest.mark.slow  # over a second
async def test_the_engine_measures_what_a_rollback_would_strand_and_it_grows_with_oci_writes(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=2)
    await h.start()
    try:
        promoted = await migrate(h)
        readiness = ReadinessStore(h.store)
        await h.until(lambda: readiness.one("T-0001") is not None, limit=600, what="a first measure")
        await h.until(lambda: h.clock.now() > promoted + 2 * 3600, limit=3 * 3600, what="two hours on OCI")
        later = readiness.one("T-0001")
        assert later is not None and later.error == ""
        assert later.stranded_objects and later.stranded_objects > 0 and later.stranded_bytes > 0
        assert h.clock.now() - later.measured_at <= h.settings.rollback.readiness_interval + 60
        verified = h.tenants.get("T-0001").verified_at
        assert later.since == verified and later.since_what == "the cutover's verification"
        lines = readiness_lines(h.tenants.get("T-0001"), later, h.clock.now(), h.settings.watch, "before-dns", None)
        print(lines)
        assert lines[0].startswith(f"a rollback now strands {later.stranded_objects} objects, ")
        assert "written on OCI since" in lines[0] and lines[0].endswith("a reverse sync runs first")
        # The simulated AWS side is healthy: the way back says so, with the age of its measure.
        assert lines[1].startswith("AWS 3/3 targets healthy (") and lines[1].endswith(" ago)")
        assert later.aws_healthy == 3 and later.aws_total == 3 and later.aws_measured_at is not None
        assert lines[2].startswith("rollback possible for 21h")
        assert readiness.one("T-0002") is None  # still on AWS: nothing to measure
    finally:
        await h.stop()


async def test_a_tenant_never_measured_says_so_rather_than_nothing(tmp_path: Path) -> None:
    settings = Settings()
    tenant_lines = readiness_lines
    h = Harness(tmp_path, ready=1, settings=settings)
    tenant = h.tenants.get("T-0001")
    lines = tenant_lines(tenant, None, h.clock.now(), settings.watch, "off", None)
    assert lines[0] == "what a rollback strands is not measured yet; reverse sync is off: they stay on OCI"


async def test_an_aws_side_backend_loss_shows_a_degraded_way_back_and_a_rollback_still_runs(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=2)
    await h.start()
    try:
        inject(h, tmp_path, '[[fault]]\nkind = "backend_loss"\nside = "aws"\nnodes = 2\ntenants = ["T-0001"]\n')
        await migrate(h)
        readiness = ReadinessStore(h.store)
        await h.until(lambda: readiness.one("T-0001") is not None, limit=600, what="a first measure")
        measured = readiness.one("T-0001")
        assert measured is not None and (measured.aws_healthy, measured.aws_total) == (1, 3)
        lines = readiness_lines(h.tenants.get("T-0001"), measured, h.clock.now(), h.settings.watch, "off", None)
        assert lines[1].startswith("AWS 1/3 targets healthy (")
        assert lines[1].endswith("): a rollback lands on a degraded side")
        # The OCI side is untouched by an AWS-side fault.
        backends = await h.providers.health.backends([h.tenants.get("T-0001")])
        assert backends["T-0001"].healthy == 3
        # It informs; it never refuses: the rollback is planned and runs.
        job = h.ops.submit(h.ops.plan(PlanRequest.rollback(["T-0001"])), reason="customer reports errors")
        await h.until(h.job_done(job.job_id), what="the rollback")
        assert h.tenants.get("T-0001").lifecycle is not Lifecycle.MIGRATED
    finally:
        await h.stop()
