"""Inconclusive evidence and failing sources from a shell: real processes over a real store on the
simulated fleet. Nothing passes on evidence that is missing or stale, and nothing carries on silently
when a metrics source stops: each ends with the documented exit code and says why, naming the check
or the source.

Exit codes: 0 done, 1 failed, rolled back or held for a human, 2 bad input, 3 refused before any change.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from engine_helpers import cutover, war_room

from cutover.console.cli import cli
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.store import Store
from cutover.state.tenants import TenantStore


def observe(env: dict, tenant_id: str, **observed: object) -> None:
    with Store(env["CUTOVER_STATE__PATH"]) as store:
        TenantStore(store, EventLog(store, Actor("setup", "jump-1"))).observe(tenant_id, **observed)


def scenario(env: dict, tmp_path: Path, toml: str) -> dict:
    path = tmp_path / "scenario.toml"
    path.write_text(f'name = "shell test"\n{toml}')
    return env | {"CUTOVER_SIMULATOR__SCENARIO": str(path)}


def nothing_changed(env: dict) -> None:
    assert json.loads(cutover(env, "jobs", "--json").stdout)["jobs"] == []
    with Store(env["CUTOVER_STATE__PATH"]) as store:
        assert store.db.execute("SELECT count(*) FROM sim_dns_changes").fetchone()[0] == 0


def test_missing_evidence_is_inconclusive_the_gate_and_the_flip_exit_3_and_change_nothing(tmp_path: Path) -> None:
    env = war_room(tmp_path, ready=3)
    observe(env, "T-0002", validation_passed=None, validation_total=None, validated_at=None)

    gated = cutover(env, "gate", "T-0002")
    assert gated.returncode == 3, gated.stdout + gated.stderr
    assert "T-0002: UNKNOWN (unknown: validation: the validation suite has not run)" in gated.stdout
    assert "validation unknown  the validation suite has not run" in gated.stdout

    flipped = cutover(env, "flip", "T-0002", "--reason", "night 3", "--yes")
    assert flipped.returncode == 3, flipped.stdout + flipped.stderr
    assert "refused: T-0002: gate blocked by validation: unknown, the validation suite has not run" in flipped.stderr
    assert "nothing was changed" in flipped.stderr
    nothing_changed(env)


def test_stale_metrics_from_a_silent_source_are_inconclusive_and_the_flip_exits_3(tmp_path: Path) -> None:
    env = war_room(tmp_path, ready=3)
    # The source stopped reporting: the shell's own look at the fleet cannot renew the old figures.
    env = scenario(env, tmp_path, '[[fault]]\nkind = "metrics_silent"\nside = "both"\n')
    with Store(env["CUTOVER_STATE__PATH"]) as store:
        now = store.db.execute("SELECT anchor_world FROM sim_world").fetchone()[0]
    observe(env, "T-0001", metrics_at=now - 600)

    gated = cutover(env, "gate", "T-0001", "--json")
    assert gated.returncode == 3, gated.stdout + gated.stderr
    (tenant,) = json.loads(gated.stdout)["tenants"]
    metrics = next(check for check in tenant["checks"] if check["name"] == "metrics")
    assert metrics["result"] == "unknown" and metrics["blocking"] and metrics["remedy"] == ""
    assert metrics["evidence"] == "stale: last measured 10m ago, must be within 2m 10s"

    runner = CliRunner()  # the same from the click runner
    flipped = runner.invoke(cli, ["flip", "T-0001", "--reason", "night 3", "--yes"], env=env)
    assert flipped.exit_code == 3, flipped.output
    assert "gate blocked by metrics: unknown, stale: last measured 10m ago" in flipped.output
    nothing_changed(env)


@pytest.mark.slow  # an engine process
def test_a_metrics_source_failing_during_monitoring_holds_exits_1_and_names_the_source(tmp_path: Path) -> None:
    env = war_room(tmp_path, ready=3)
    # CloudWatch (the AWS side) goes silent for the whole fleet: after the cutover OCI carries the
    # traffic, but the triggers cannot judge what they cannot see.
    env = scenario(env, tmp_path, '[[fault]]\nkind = "metrics_silent"\nside = "aws"\n')

    # An engine leads (a war-room console would): the command only watches its job.
    engine = subprocess.Popen(
        [sys.executable, "-m", "cutover", "engine"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        flipped = cutover(env, "flip", "T-0001", "--reason", "night 3", "--yes", "--json")
    finally:
        engine.send_signal(signal.SIGTERM)
        engine.wait(20)
    assert flipped.returncode == 1, flipped.stdout + flipped.stderr
    document = json.loads(flipped.stdout)
    assert document["exit_code"] == 1
    job = document["job"]
    assert job["state"] == "held"
    assert "monitoring over but not promoted" in job["held_reason"]
    assert "metrics source failing: sim-cloudwatch: no datapoints" in job["held_reason"]
    assert "held: " in flipped.stderr and "sim-cloudwatch" in flipped.stderr
    assert f"cutover resume {job['id']}" in flipped.stderr

    status = json.loads(cutover(env, "status", "--json").stdout)
    (tenant,) = [t for t in status["tenants"] if t["id"] == "T-0001"]
    assert tenant["lifecycle"] == "monitoring"  # not promoted on data nobody could see
    alerts = [e["what"] for e in json.loads(cutover(env, "events", "--json").stdout)["events"] if e["kind"] == "alert"]
    assert any("sim-cloudwatch" in text and "failing" in text for text in alerts)
