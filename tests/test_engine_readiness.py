"""Rollback readiness on the simulated fleet: measured by the engine while a tenant is on OCI, what a
rollback would strand grows with the writes customers make on OCI, and is said in words."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import Harness

from cutover.actions.operations import PlanRequest
from cutover.config.settings import Settings
from cutover.state.lifecycle import Lifecycle
from cutover.state.readiness import ReadinessStore, readiness_lines

pytestmark = pytest.mark.asyncio


async def migrate(h: Harness, tenant_id: str = "T-0001") -> float:
    job = h.ops.submit(h.ops.plan(PlanRequest.flip([tenant_id])), reason="night 3")
    await h.until(h.job_done(job.job_id), what="the flip")
    assert h.tenants.get(tenant_id).lifecycle is Lifecycle.MIGRATED
    return h.tenants.get(tenant_id).lifecycle_since


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
        assert "AWS targets not measured" in lines[1]
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
