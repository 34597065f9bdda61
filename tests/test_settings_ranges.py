"""Settings and scenario files that would switch safety off are refused, naming the key and what to write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cutover.config.loader import ConfigError, load_config
from cutover.console.cli import cli

RULE = '[[triggers.rules]]\nname = "r"\nmetric = "{metric}"\nop = ">"\nthreshold = {threshold}\naction = "rollback"\n'


def check(path: Path, *extra: str):
    return CliRunner().invoke(cli, ["config", "check", str(path), *extra])


@pytest.mark.parametrize(
    ("toml", "key", "says"),
    [
        (RULE.format(metric="error_rate", threshold="5"), "triggers.rules.0.threshold: 5 is not allowed",
         "error_rate is a fraction and 5 looks like a percentage: write 0.05 for 5 %"),
        (RULE.format(metric="error_rate", threshold="nan"), "triggers.rules.0.threshold: nan is not allowed",
         "must be a finite number"),
        (RULE.format(metric="p95_ratio", threshold="inf"), "triggers.rules.0.threshold: inf is not allowed",
         "must be a finite number"),
        (RULE.format(metric="requests", threshold="-3"), "triggers.rules.0.threshold: -3 is not allowed",
         "requests is never negative"),
        ("[ramp]\nmax_error_rate = 5\n", "ramp.max_error_rate: 5 is not allowed",
         "5 looks like a percentage: write 0.05 for 5 %"),
        ("[ramp]\nmax_error_rate = -0.1\n", "ramp.max_error_rate: -0.1 is not allowed", "between 0 and 1"),
        ("[ramp]\nmax_p95_ratio = nan\n", "ramp.max_p95_ratio: nan is not allowed", "must be"),
        ("[batch]\ntraffic_done_share = 0\n", "batch.traffic_done_share: 0 is not allowed", "more than 0"),
        ("[batch]\nmonitor = 0\n", "batch.monitor: 0 is not allowed", "must be more than 0"),
        ("[engine]\nlease_ttl = inf\n", "engine.lease_ttl: inf is not allowed", "a duration must be finite"),
        ("[state]\nbusy_timeout = inf\n", "state.busy_timeout: inf is not allowed", "a duration must be finite"),
        ("[state]\nbusy_timeout = 1e9\n", "state.busy_timeout: 1000000000.0 is not allowed", "at most a year"),
        ("[gates]\nstale_after = -1\n", "gates.stale_after: -1 is not allowed", "negative"),
        ('[dns]\nsync_timeout = "9999999999999999999999h"\n', "dns.sync_timeout", "at most a year"),
        ("[engine]\nlease_ttl = 15\nheartbeat = 15\n", "engine: heartbeat (15s) must be less than a third of "
         "lease_ttl (15s)", "lower heartbeat or raise lease_ttl"),
        ('[safety]\nwindow = "02:00-02:00"\n', "safety.window: '02:00-02:00' is not allowed",
         "give it a length"),
    ],
)  # fmt: skip
def test_a_value_that_would_disable_safety_is_refused_by_config_check(
    tmp_path: Path, toml: str, key: str, says: str
) -> None:
    path = tmp_path / "cutover.toml"
    path.write_text(toml)
    result = check(path)
    assert result.exit_code == 2, result.output
    assert f"{path}: {key}" in result.output and says in result.output
    assert "Traceback" not in result.output and "configuration OK" not in result.output


def test_the_same_ranges_hold_for_values_from_the_environment(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(None, environ={"CUTOVER_ENGINE__HEARTBEAT": "inf", "CUTOVER_STATE__BUSY_TIMEOUT": "nan"})
    text = "\n".join(refused.value.problems)
    assert "CUTOVER_ENGINE__HEARTBEAT (engine.heartbeat): 'inf' is not allowed" in text
    assert "CUTOVER_STATE__BUSY_TIMEOUT (state.busy_timeout): 'nan' is not allowed" in text


def test_the_defaults_and_a_window_across_midnight_pass(tmp_path: Path) -> None:
    path = tmp_path / "cutover.toml"
    path.write_text('[safety]\nwindow = "22:00-02:00"\n[engine]\nlease_ttl = 3\nheartbeat = 0.9\n')
    assert check(path).exit_code == 0
    assert load_config(None, environ={}).settings.engine.heartbeat * 3 < 15


def test_config_check_json_prints_a_document_for_a_bad_file_too(tmp_path: Path) -> None:
    path = tmp_path / "cutover.toml"
    path.write_text("[ramp]\nmax_error_rate = 5\n[batch]\nmonitor = nan\n")
    result = check(path, "--json")
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["schema"] == "cutover.config/1" and document["ok"] is False and document["values"] == []
    assert document["file"] == str(path)
    assert any("ramp.max_error_rate: 5 is not allowed" in p for p in document["problems"])
    assert any("batch.monitor: nan is not allowed" in p for p in document["problems"])

    path.write_text("not = [toml")
    unreadable = json.loads(check(path, "--json").stdout)
    assert unreadable["ok"] is False and "not valid TOML" in unreadable["problems"][0]

    missing = check(tmp_path / "nope.toml", "--json")
    assert missing.exit_code == 2 and "no such file" in json.loads(missing.stdout)["problems"][0]

    path.write_text('[keys]\nnope = "x"\n')
    keys = check(path, "--json")
    assert keys.exit_code == 2 and "no such console action" in json.loads(keys.stdout)["problems"][0]

    path.write_text("[batch]\ncount = 10\n")
    good = check(path, "--json")
    assert good.exit_code == 0
    document = json.loads(good.stdout)
    assert document["ok"] is True and document["problems"] == []
    assert {"key": "batch.count", "value": 10, "origin": "file"} in document["values"]


# --- scenario files --------------------------------------------------------------------------


def test_a_scenario_starting_at_infinity_is_refused_and_the_world_keeps_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "forever.toml"
    scenario.write_text(
        'name = "never"\n[[fault]]\nkind = "sync_stall"\nat = inf\n'
        '[[fault]]\nkind = "error_spike"\nerror_rate = 5\nduration = nan\n'
    )
    runner = CliRunner()
    demo = ["demo", "--tenants", "60", "--interval", "0.1", "--ticks", "1"]
    assert runner.invoke(cli, demo).exit_code == 0
    refused = runner.invoke(cli, [*demo, "--scenario", str(scenario)])
    assert refused.exit_code == 2, refused.output
    assert f"{scenario}: fault[0].at: inf is not allowed: a duration must be finite" in refused.stderr
    assert f"{scenario}: fault[1].error_rate: 5 is not allowed: 5 looks like a percentage" in refused.stderr
    assert f"{scenario}: fault[1].duration: nan is not allowed" in refused.stderr
    assert "Traceback" not in refused.output and "-- world" not in refused.stdout
    again = runner.invoke(cli, demo)
    assert again.exit_code == 0 and "continuing the simulated world" in again.stderr
    assert "scenario 'never'" not in again.stderr
