"""`cutover status` and `cutover jobs` tell the same story as the console, on a real store file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from engine_helpers import war_room

from cutover.console.cli import cli
from cutover.model.jobs import StepState
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.job_records import NewTarget
from cutover.state.jobs import JobStore
from cutover.state.store import Store

STEPS = ("hydrate", "final_sync", "verify", "gate", "dns_change", "dns_insync", "traffic", "monitoring")


@pytest.fixture
def env(tmp_path: Path) -> dict:
    return war_room(tmp_path, ready=4)


def run(env: dict, *args: str):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def a_flip_at(env: dict, tenant_id: str, step_name: str) -> JobStore:
    """A flip of one tenant that an engine has taken as far as starting `step_name`."""
    store = Store(env["CUTOVER_STATE__PATH"])
    jobs = JobStore(store, EventLog(store, Actor("alice", "jump-1")))
    job, _ = jobs.submit("flip", [NewTarget(tenant_id, STEPS)], reason="night 3")
    jobs.claim(job.job_id, "engine-a")
    for name in STEPS[: STEPS.index(step_name)]:
        jobs.finish_step(jobs.start_step(jobs.step(job.job_id, tenant_id, name)), StepState.DONE, "ok")
    jobs.start_step(jobs.step(job.job_id, tenant_id, step_name))
    return jobs


def test_status_shows_the_step_the_job_holding_a_tenant_is_on(env: dict) -> None:
    jobs = a_flip_at(env, "T-0002", "hydrate")
    try:
        shown = run(env, "status", "T-0002")
        assert shown.exit_code == 0, shown.output
        assert "next step  flip-1: hydrate" in shown.output
        listed = run(env, "status")
        (row,) = [line for line in listed.output.splitlines() if line.startswith("T-0002")]
        assert row.rstrip().endswith("flip-1: hydrate")
        (other,) = [line for line in listed.output.splitlines() if line.startswith("T-0001")]
        assert "flip-1" not in other
        document = json.loads(run(env, "status", "--json").output)
        steps = {tenant["id"]: tenant["next_step"] for tenant in document["tenants"]}
        assert steps["T-0002"] == "flip-1: hydrate"
    finally:
        jobs.store.close()


def test_status_json_has_the_traffic_split_the_console_shows(env: dict) -> None:
    run(env, "gate", "T-0001")  # with no engine leading, the gate looks at the fleet now (DNS, metrics)
    document = json.loads(run(env, "status", "T-0001", "--json").output)
    (tenant,) = document["tenants"]
    traffic = tenant["traffic"]
    assert traffic["dns_oci_share"] == 0.0 and traffic["observed_oci_share"] is not None
    assert traffic["dns_at"].endswith("Z") and traffic["metrics_at"].endswith("Z")
    assert "traffic    OCI 0 % by DNS" in run(env, "status", "T-0001").output


def test_a_job_a_rollback_took_over_has_no_step_left_running(env: dict) -> None:
    jobs = a_flip_at(env, "T-0003", "traffic")
    try:
        rollback, _ = jobs.submit("rollback", [NewTarget("T-0003", ("dns_change",))], reason="5 % errors")
        # The flip's flow notices only later, and cannot reopen the step.
        late = jobs.finish_step(jobs.step("flip-1", "T-0003", "traffic"), StepState.FAILED, "interrupted")
        assert late.state is StepState.SUPERSEDED
    finally:
        jobs.store.close()
    shown = run(env, "jobs", "flip-1")
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    (traffic,) = [line for line in lines if line.strip().startswith("traffic ")]
    assert "superseded" in traffic and f"taken over by {rollback.job_id}" in traffic
    (monitoring,) = [line for line in lines if line.strip().startswith("monitoring ")]
    assert "superseded" in monitoring
    assert not [line for line in lines if line.startswith("      ") and " running " in line]
    document = json.loads(run(env, "jobs", "flip-1", "--json").output)
    states = {step["name"]: step["state"] for step in document["job"]["targets"][0]["steps"]}
    assert states["hydrate"] == "done" and states["traffic"] == "superseded"
