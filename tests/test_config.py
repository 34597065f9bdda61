"""Configuration: runbook defaults, file and environment layers, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cutover.config.loader import ConfigError, effective_values, load_config
from cutover.console.cli import cli


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cutover.toml"
    path.write_text(text)
    return path


def problems_of(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=environ or {})
    return caught.value.problems


def test_defaults_come_from_the_runbooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_config(None, environ={}).settings
    assert settings.gates.max_sync_lag == 0
    assert settings.batch.group_size == 5
    assert settings.batch.interval == 15 * 60
    assert settings.batch.monitor == 10 * 60
    assert settings.batch.count == 25
    assert settings.dns.ttl == 60
    assert settings.ramp.stages == (10, 25, 50, 75, 100)
    sustained = {rule.name: rule for rule in settings.triggers.rules}["error-rate-sustained"]
    assert (sustained.threshold, sustained.sustained, sustained.action) == (0.01, 300, "rollback")
    assert settings.safety.max_cutting_over == 5
    assert settings.safety.max_rollbacks_per_night == 2
    assert settings.providers.dns.kind == "simulated"
    assert settings.state.path == tmp_path / "cutover.db"


def test_file_values_and_relative_paths(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [environment]
        name = "prod-us"
        production = true
        [state]
        path = "war-room/session.db"
        [batch]
        interval = "20m"
        monitor = 900
        """,
    )
    loaded = load_config(path, environ={})
    assert loaded.settings.environment.production is True
    assert loaded.settings.batch.interval == 1200
    assert loaded.settings.batch.monitor == 900
    assert loaded.settings.state.path == tmp_path / "war-room" / "session.db"
    assert loaded.origin("batch.interval") == "file"
    assert loaded.origin("batch.group_size") == "default"


def test_environment_overrides_the_file_and_says_so(tmp_path: Path) -> None:
    path = write(tmp_path, "[batch]\ngroup_size = 3\ncount = 30\n")
    loaded = load_config(path, environ={"CUTOVER_BATCH__GROUP_SIZE": "4"})
    assert loaded.settings.batch.group_size == 4
    origins = {key: origin for key, _, origin in effective_values(loaded)}
    assert origins["batch.group_size"] == "environment"
    assert origins["batch.count"] == "file"
    assert origins["gates.min_backends"] == "default"


def test_every_problem_is_reported_at_once_with_file_key_value_and_rule(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [batch]
        group_size = 0
        interval = "soon"
        [gates]
        min_backend = 3
        [safety.window]
        timezone = "Mars/Olympus"
        """,
    )
    problems = problems_of(path)
    assert len(problems) == 4
    text = "\n".join(problems)
    assert f"{path}: batch.group_size: 0 is not allowed: must be 1 or more" in text
    assert f"{path}: batch.interval: 'soon' is not allowed" in text and "15m" in text
    assert f"{path}: gates.min_backend: unknown key; allowed here:" in text and "min_backends" in text
    assert "'Mars/Olympus' is not allowed" in text and "IANA time zone" in text


def test_bad_toml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[batch]\ngroup_size = = 5\n")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}: not valid TOML") and "line 2" in problem


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path / "nope.toml")
    assert "no such file" in problem


def test_bad_environment_values_name_the_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    (problem,) = problems_of(path, {"CUTOVER_BATCH__GROUP_SIZE": "many"})
    assert problem.startswith("environment: CUTOVER_BATCH__GROUP_SIZE (batch.group_size): 'many' is not allowed")


def test_secrets_are_refused_in_the_file_and_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, '[providers.dns]\nkind = "simulated"\nsecret_access_key = "abc"\n')
    problems = problems_of(path, {"CUTOVER_PROVIDERS__NOTIFIER__WEBHOOK_URL": "https://hooks.example/x"})
    text = "\n".join(problems)
    assert "providers.dns.secret_access_key: secrets are never read from the configuration file" in text
    assert "CUTOVER_PROVIDERS__NOTIFIER__WEBHOOK_URL: secrets are never read" in text
    assert "abc" not in text and "hooks.example" not in text


def test_trigger_rules_and_ramp_stages_are_checked(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [ramp]
        stages = [10, 50, 25]
        [[triggers.rules]]
        name = "x"
        metric = "error_rate"
        op = ">"
        threshold = 0.01
        action = "page"
        """,
    )
    text = "\n".join(problems_of(path))
    assert "ramp.stages: [10, 50, 25] is not allowed: stages must rise strictly" in text
    assert "triggers.rules.0.action: 'page' is not allowed" in text and "'rollback' or 'alert'" in text


def test_config_check_cli_prints_origins_and_exits_2_on_errors(tmp_path: Path) -> None:
    good = write(tmp_path, "[batch]\ngroup_size = 2\n")
    runner = CliRunner()
    result = runner.invoke(cli, ["config", "check", str(good)], env={"CUTOVER_DNS__TTL": "30"})
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split()[-1] for line in result.output.splitlines()[2:] if line.strip()}
    assert lines["batch.group_size"] == "file"
    assert lines["dns.ttl"] == "environment"
    assert lines["batch.count"] == "default"

    bad = tmp_path / "bad.toml"
    bad.write_text("[batch]\ngroup_size = -1\n")
    result = runner.invoke(cli, ["config", "check", str(bad)])
    assert result.exit_code == 2
    assert "batch.group_size: -1 is not allowed" in result.output
    assert "Traceback" not in result.output
