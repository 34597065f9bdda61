"""The store's disk fills up mid-flip: the engine holds every job (no failed tenant, no traceback) and
says so; once there is room the flip goes on from its last recorded step, with one DNS change."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from engine_helpers import Harness

from cutover.actions.plan.plans import PlanRequest
from cutover.model.jobs import JobState, StepState


def fill_the_disk(h: Harness) -> None:
    """The engine's connection may not grow the file: SQLite answers SQLITE_FULL, as on a full disk."""
    pages = h.store.db.execute("PRAGMA page_count").fetchone()[0]
    h.store.db.execute(f"PRAGMA max_page_count = {pages}")


def make_room(h: Harness) -> None:
    h.store.db.execute("PRAGMA max_page_count = 1073741823")


@pytest.mark.slow  # over a second
@pytest.mark.asyncio
async def test_a_full_disk_holds_the_flip_and_it_goes_on_when_there_is_room(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    h = Harness(tmp_path, ready=2)
    await h.start()
    try:
        job = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="disk drill")
        await h.until(
            lambda: h.jobs.step(job.job_id, "T-0001", "final_sync").state is StepState.DONE, what="the final sync"
        )
        fill_the_disk(h)
        await h.until(
            lambda: "disk is full" in h.engine.status().error, limit=3600, what="the engine noticing the full disk"
        )
        assert "holding every job" in h.engine.status().error and not h.engine.leading
        assert h.jobs.get(job.job_id).state is not JobState.FAILED
        assert all(t.state.value != "failed" for t in h.jobs.targets(job.job_id))

        make_room(h)
        await h.until(h.job_done(job.job_id), what="the flip after the disk had room")
        assert h.jobs.get(job.job_id).state is JobState.SUCCEEDED
        assert len(h.dns_changes("T-0001")) == 1
        alerts = [e.what for e in h.session.events.find() if e.kind == "alert"]
        assert any("the store's disk was full for" in a and "leads again" in a for a in alerts), alerts
    finally:
        make_room(h)
        await h.stop()
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR]
    assert not tracebacks, [r.getMessage() for r in tracebacks]
