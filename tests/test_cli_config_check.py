"""`cutover config check` refuses what the console would refuse, and prints cleanly into a pipe."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cutover.console.cli import cli


def test_config_check_refuses_the_keys_the_console_refuses(tmp_path: Path) -> None:
    config = tmp_path / "k.toml"
    config.write_text('[keys]\nnope = "x"\nrollback = "c"\n')
    runner = CliRunner()
    checked = runner.invoke(cli, ["config", "check", str(config)])
    assert checked.exit_code == 2, checked.output
    assert "configuration OK" not in checked.output
    assert f"{config} [keys] nope: no such console action" in checked.output
    assert "'c' is bound to both cutover and rollback" in checked.output

    config.write_text('[keys]\nrollback = "ctrl+r"\n')
    assert runner.invoke(cli, ["config", "check", str(config)]).exit_code == 0


def test_config_check_piped_is_not_padded_to_the_longest_value(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["config", "check"], env={"CUTOVER_CONFIG": ""}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    rules = next(line for line in lines if line.startswith("triggers.rules "))
    short = next(line for line in lines if line.startswith("batch.count "))
    assert "error-rate-immediate" in rules and rules.endswith("default")
    assert short.split() == ["batch.count", "25", "default"]
    assert len(short) < 120
    assert all(line == line.rstrip() for line in lines)
