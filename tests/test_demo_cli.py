"""`cutover demo` and plain `cutover`: the built-in simulated fleet, headless."""

from __future__ import annotations

import json
import os
import re
import signal
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from process_helpers import Running

from cutover.console.cli import cli


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def demo(*args: str):
    return CliRunner().invoke(cli, ["demo", "--interval", "0.1", *args], catch_exceptions=False)


def test_the_demo_prints_a_fleet_summary_each_tick(in_tmp: Path) -> None:
    result = demo("--tenants", "200", "--ticks", "2")
    assert result.exit_code == 0, result.output
    assert "new simulated world" in result.stderr and "200 tenants" in result.stderr
    assert result.stdout.count("-- world ") == 2
    assert "wave 1" in result.stdout and "% migrated" in result.stdout and "ready" in result.stdout
    assert "sim-route53 ok" in result.stdout
    assert (in_tmp / "cutover.db").exists()


def test_running_the_demo_again_continues_the_same_world(in_tmp: Path) -> None:
    assert demo("--tenants", "120", "--ticks", "1").exit_code == 0
    again = demo("--tenants", "500", "--ticks", "1")
    assert again.exit_code == 0
    assert "continuing the simulated world" in again.stderr and "120 tenants" in again.stderr
    assert "--tenants 500 would need a new world: add --fresh" in again.stderr
    fresh = demo("--tenants", "500", "--ticks", "1", "--fresh")
    assert fresh.exit_code == 0 and "new simulated world" in fresh.stderr and "500 tenants" in fresh.stderr


def test_fresh_never_deletes_a_store_holding_an_imported_matrix(in_tmp: Path, runbook_matrix: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["import", str(runbook_matrix)]).exit_code == 0
    result = demo("--fresh", "--ticks", "1")
    assert result.exit_code == 1
    assert "not deleted" in result.stderr
    assert (in_tmp / "cutover.db").exists()


def test_a_bad_scenario_is_refused_with_every_problem_and_nothing_runs(in_tmp: Path) -> None:
    scenario = in_tmp / "bad.toml"
    scenario.write_text(
        'name = "bad"\n[[fault]]\nkind = "error_spike"\nerror_rate = 5\n[[fault]]\nkind = "meteor"\nwhen = 3\n'
    )
    result = demo("--scenario", str(scenario), "--ticks", "1")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert any("fault[0].error_rate: 5 is not allowed" in line for line in lines), lines
    assert any("fault[1].kind: 'meteor' is not allowed" in line for line in lines), lines
    assert any("fault[1].when: unknown key" in line for line in lines), lines
    assert "-- world" not in result.stdout


def test_the_demo_keeps_its_world_in_the_configured_store(in_tmp: Path) -> None:
    (in_tmp / "cutover.toml").write_text('[state]\npath = "rehearsal/night.db"\n[simulator]\ntenants = 80\n')
    result = demo("--ticks", "1")
    assert result.exit_code == 0, result.output
    assert (in_tmp / "rehearsal" / "night.db").exists() and not (in_tmp / "cutover.db").exists()
    assert "80 tenants" in result.stderr


@pytest.mark.slow  # a real process stopped by SIGINT
def test_plain_cutover_without_configuration_runs_the_simulated_fleet_until_interrupted(in_tmp: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUTOVER_")}
    process = Running(env, cwd=in_tmp)
    try:
        first = process.wait_for_line("-- world", timeout=60)
        assert "-- world" in first
        code = process.stop(signal.SIGINT, timeout=30)
        stderr = process.stderr()
    finally:
        process.kill()
    assert code == 0, stderr
    assert "Traceback" not in stderr and "demo stopped" in stderr


def test_other_commands_on_the_demo_store_speak_world_time(in_tmp: Path) -> None:
    assert demo("--tenants", "60", "--ticks", "1").exit_code == 0
    result = CliRunner().invoke(cli, ["status", "--json"])
    assert result.exit_code == 0, result.output
    generated = json.loads(result.stdout)["generated_at"]
    world = datetime.fromisoformat(generated.replace("Z", "+00:00")).astimezone(ZoneInfo("America/New_York"))
    assert (world.hour, world.minute) == (2, 5), "the world opened at 02:05 and nothing has run it since"


def test_the_demo_shows_each_injected_fault_and_when_it_strikes(in_tmp: Path) -> None:
    scenario = Path(__file__).parent.parent / "scenarios" / "rough-night.toml"
    result = demo("--tenants", "200", "--ticks", "1", "--scenario", str(scenario))
    assert result.exit_code == 0, result.output
    assert "scenario 'rough night': loaded 8 fault(s)" in result.stderr
    assert re.search(r"backend loss on T-\d{4} \(1 of ready tenants\) \(in 10 min\)", result.stdout), result.stdout
    assert "Route 53 throttling every call for 3 minutes (in 30 min)" in result.stdout
    again = demo("--ticks", "1", "--scenario", str(scenario))
    assert "already loaded" in again.stderr
