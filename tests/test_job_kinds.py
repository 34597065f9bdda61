"""One registry of job kinds: every kind the store can hold has its words and a flow in the engine, and a
job of a kind this version does not know (written by a newer one) fails with the reason, not a KeyError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_helpers import Harness

from cutover.actions.engine.runner import FLOWS
from cutover.config.settings import Settings
from cutover.model.job_params import CutoverParams, RampParams
from cutover.model.jobs import CUTOVER_STEPS, KINDS, PREEMPTING_KINDS, TO_OCI_KINDS, JobKind, JobState, noun_of, verb_of
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


@pytest.mark.parametrize("kind", list(JobKind))
def test_every_kind_reads_back_the_parameters_it_wrote(kind: JobKind) -> None:
    """The registry names each kind's parameters; what the plan writes is what the engine reads."""
    settings = Settings()
    params_class = KINDS[kind].params
    asked = params_class.read({}, settings)
    assert params_class.read(json.loads(json.dumps(asked.to_json())), settings) == asked


def test_a_parameter_missing_from_a_stored_job_takes_the_configured_default() -> None:
    """A job stored before a parameter existed reads the settings' value: one default, not one per flow
    (the cutover flow once waited for 99 % of the traffic and 600 s whatever the settings said)."""
    settings = Settings.model_validate({"batch": {"traffic_done_share": 0.9, "traffic_timeout": 120, "monitor": 300}})
    asked = CutoverParams.read({"window": "01:00-03:00"}, settings)
    assert (asked.traffic_done_share, asked.traffic_timeout, asked.monitor) == (0.9, 120.0, 300.0)
    assert asked.window == "01:00-03:00"
    ramp = RampParams.read({"stages": [20, 100]}, settings)
    assert ramp.stages == (20, 100) and ramp.hold == settings.ramp.hold


@pytest.mark.asyncio
async def test_a_flip_stored_without_its_monitoring_window_monitors_for_the_configured_one(tmp_path: Path) -> None:
    settings = Settings.model_validate({"batch": {"monitor": 300}})
    h = Harness(tmp_path, ready=1, settings=settings)
    await h.start()
    try:
        job, _ = h.jobs.submit(JobKind.FLIP, [NewTarget("T-0001", CUTOVER_STEPS)], reason="written by an older version")
        started = await h.until(
            lambda: h.jobs.step(job.job_id, "T-0001", "monitoring").detail.get("until") is not None,
            what="the monitoring window starting",
        )
        monitoring = h.jobs.step(job.job_id, "T-0001", "monitoring")
        assert monitoring.detail["until"] - (monitoring.started_at or started) == pytest.approx(300.0, abs=1.0)
    finally:
        await h.stop()
