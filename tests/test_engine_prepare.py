"""Getting a tenant ready on the simulated fleet, through the facade and the engine: start continuous
sync (pending -> syncing), the engine moves it on to validating when the initial copy is done, the
validation suite moves it to ready, a final sync proves lag 0 for the gate. Each is a job with its
audit trail; a tenant in the wrong state is refused with its reason and nothing changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import Harness, cutover, war_room

from cutover.actions.plan.plans import BadRequest, Refused
from cutover.model.jobs import JobState
from cutover.model.lifecycle import Lifecycle


@pytest.mark.asyncio
async def test_a_pending_tenant_is_synced_moved_on_validated_and_proven_lag_0(tmp_path: Path) -> None:
    h = Harness(tmp_path, size=120)
    await h.start()
    try:
        pending = [t for t in h.tenants.find() if t.lifecycle is Lifecycle.PENDING and t.wave == 1]
        tenant_id = min(pending, key=lambda t: t.size_bytes).tenant_id

        with pytest.raises(Refused, match=f"{tenant_id} is pending, must be validating or ready"):
            h.ops.validate([tenant_id], reason="too early")
        with pytest.raises(BadRequest, match="give a reason"):
            h.ops.sync([tenant_id], reason=" ")

        started = h.ops.sync([tenant_id], reason="wave 1 prep")
        await h.until(h.job_done(started.job_id), what="the sync starting")
        assert h.jobs.get(started.job_id).state is JobState.SUCCEEDED
        assert h.tenants.get(tenant_id).lifecycle is Lifecycle.SYNCING
        with pytest.raises(Refused, match="its sync already started"):
            h.ops.sync([tenant_id], reason="again")

        # The engine sees the initial copy done (continuous sync running) and moves the tenant on.
        await h.until(lambda: h.tenants.get(tenant_id).lifecycle is Lifecycle.VALIDATING, limit=12 * 3600)
        moved = [e for e in h.session.events.find(tenant_id=tenant_id) if e.kind == "transition"][-1]
        assert moved.why == "initial sync complete: continuous sync running"

        validated = h.ops.validate([tenant_id], reason="T-24h validation")
        await h.until(h.job_done(validated.job_id), what="the validation")
        assert h.jobs.get(validated.job_id).state is JobState.SUCCEEDED
        tenant = h.tenants.get(tenant_id)
        assert tenant.lifecycle is Lifecycle.READY
        assert (tenant.validation_passed, tenant.validation_total) == (5, 5)
        assert h.jobs.target(validated.job_id, tenant_id).summary == "5/5 passed: ready to cut over"

        final = h.ops.sync([tenant_id], mode="final", reason="prove lag 0")
        await h.until(h.job_done(final.job_id), what="the final sync")
        assert h.jobs.get(final.job_id).state is JobState.SUCCEEDED
        assert h.tenants.get(tenant_id).verified_at is not None
        assert h.ops.gate([tenant_id])[0].check("sync").result.value == "pass"
        assert h.dns_changes(tenant_id) == []  # its traffic never left AWS

        kinds = [(e.kind, e.operator, e.why) for e in h.session.events.find() if e.job_id == started.job_id]
        assert ("job.queued", "alice", "wave 1 prep") in kinds and ("transition", "alice", "wave 1 prep") in kinds
        assert h.jobs.get(started.job_id).result == "1 synced"
    finally:
        await h.stop()


@pytest.mark.slow  # over a second
def test_sync_and_validate_from_a_shell_with_their_exit_codes(tmp_path: Path) -> None:
    env = war_room(tmp_path, ready=3)
    proved = cutover(env, "sync", "T-0001", "--final", "--reason", "prove lag 0")
    assert proved.returncode == 0, proved.stdout + proved.stderr
    assert "T-0001" in proved.stdout and "lag 0" in proved.stdout

    validated = cutover(env, "validate", "T-0002", "--reason", "re-validate", "--json")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert '"action": "validate"' in validated.stdout and '"state": "succeeded"' in validated.stdout

    refused = cutover(env, "sync", "T-0003", "--reason", "start it")
    assert refused.returncode == 3
    assert "T-0003 is ready: its sync already started" in refused.stderr and "nothing was changed" in refused.stderr
    assert cutover(env, "validate", "T-0003").returncode == 2  # no reason
    assert cutover(env, "sync", "T-0099", "--reason", "r").returncode == 2  # no such tenant
