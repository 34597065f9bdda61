"""One registry of job kinds: every kind the store can hold has its words and a flow in the engine, and a
job of a kind this version does not know (written by a newer one) fails with the reason, not a KeyError."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import Harness

from cutover.actions.engine.runner import FLOWS
from cutover.model.jobs import KINDS, PREEMPTING_KINDS, TO_OCI_KINDS, JobKind, JobState, noun_of, verb_of
from cutover.state.job_records import NewTarget


def test_every_kind_has_its_words_and_a_flow_in_the_engine() -> None:
    assert set(KINDS) == set(JobKind) == set(FLOWS)
    assert {JobKind.FLIP, JobKind.RAMP, JobKind.BATCH} == TO_OCI_KINDS
    assert {JobKind.ROLLBACK} == PREEMPTING_KINDS
    assert (verb_of("flip"), noun_of("ttl")) == ("cut over", "TTL change")
    assert verb_of("teleport") == "teleport"  # a kind from a newer version is shown as it is stored


@pytest.mark.asyncio
async def test_a_job_of_an_unknown_kind_fails_saying_so(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=2)
    await h.start()
    try:
        job, _ = h.jobs.submit("teleport", [NewTarget("T-0001", ("dns_change",))], reason="from a newer version")  # type: ignore[arg-type]
        await h.until(lambda: h.jobs.get(job.job_id).state is JobState.FAILED, what="the unknown job failing")
        assert "this engine does not know jobs of kind 'teleport'" in (h.jobs.get(job.job_id).result or "")
    finally:
        await h.stop()
