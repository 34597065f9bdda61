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


def test_safety_window_takes_the_readme_shorthand_or_a_table(tmp_path: Path) -> None:
    from cutover.config.loader import load_config

    config = tmp_path / "w.toml"
    config.write_text('[safety]\nwindow = "22:00-02:30"\n')
    window = load_config(config, environ={}).settings.safety.window
    assert (f"{window.start:%H:%M}", f"{window.end:%H:%M}", window.timezone) == ("22:00", "02:30", "America/New_York")

    config.write_text('[safety.window]\nstart = "01:00"\nend = "05:00"\ntimezone = "UTC"\n')
    window = load_config(config, environ={}).settings.safety.window
    assert (f"{window.start:%H:%M}", f"{window.end:%H:%M}", window.timezone) == ("01:00", "05:00", "UTC")


def test_a_bad_window_names_what_was_typed_and_both_shapes(tmp_path: Path) -> None:
    config = tmp_path / "w.toml"
    runner = CliRunner()
    for typed in ('"26:00-06:00"', '"2am-6am"', "5"):
        config.write_text(f"[safety]\nwindow = {typed}\n")
        result = runner.invoke(cli, ["config", "check", str(config)])
        assert result.exit_code == 2, result.output
        assert f"{config}: safety.window: {typed.replace(chr(34), chr(39))} is not allowed" in result.output
        assert '"HH:MM-HH:MM"' in result.output and "[safety.window] with start" in result.output
        assert "WindowSettings" not in result.output and "Traceback" not in result.output


def test_config_errors_never_name_internal_classes(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('gates = "x"\nkeys = 5\n[triggers]\nrules = ["x"]\n')
    result = CliRunner().invoke(cli, ["config", "check", str(config)])
    assert result.exit_code == 2
    assert "gates: 'x' is not allowed: write a table with keys hydration_max_age, max_sync_lag" in result.output
    assert "triggers.rules.0: 'x' is not allowed: write a table with keys action, metric, name" in result.output
    assert "keys: 5 is not allowed: write a table" in result.output
    assert "Settings" not in result.output and "instance of" not in result.output


def test_the_window_shorthand_sets_start_and_end_and_leaves_the_zone_default(tmp_path: Path) -> None:
    from cutover.config.loader import effective_values, load_config

    config = tmp_path / "w.toml"
    config.write_text('[safety]\nwindow = "01:00-05:00"\n')
    origins = {key: origin for key, _, origin in effective_values(load_config(config, environ={}))}
    assert origins["safety.window.start"] == origins["safety.window.end"] == "file"
    assert origins["safety.window.timezone"] == "default"


def test_config_check_says_which_aws_region_each_section_gets_and_from_where(tmp_path: Path) -> None:
    aws_config = tmp_path / "aws-config"
    aws_config.write_text("[profile night]\nregion = eu-west-1\n\n[profile bare]\noutput = json\n")
    config = tmp_path / "c.toml"
    config.write_text(
        '[providers.dns]\nkind = "route53"\n[providers.dns.aws]\nprofile = "bare"\n'
        '[providers.metrics]\nkind = "cloud"\n[providers.metrics.aws.aws]\nprofile = "night"\n'
    )
    unset = {name: None for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")}
    env = {**unset, "AWS_CONFIG_FILE": str(aws_config), "CUTOVER_CONFIG": None}
    runner = CliRunner()
    shown = runner.invoke(cli, ["config", "check", str(config)], env=env)
    assert shown.exit_code == 0, shown.output
    assert f"effective AWS region of [providers.metrics.aws.aws]: eu-west-1 (from profile 'night' in {aws_config})" in (
        shown.output
    )
    assert "effective AWS region of [providers.dns.aws]: none:" in shown.output
    assert "Route 53 is global: its calls are signed for us-east-1" in shown.output

    shown = runner.invoke(cli, ["config", "check", str(config)], env={**env, "AWS_REGION": "us-west-2"})
    assert "[providers.metrics.aws.aws]: us-west-2 (from AWS_REGION)" in shown.output

    config.write_text('[providers.metrics]\nkind = "cloud"\n[providers.metrics.aws.aws]\nprofile = "bare"\n')
    shown = runner.invoke(cli, ["config", "check", "--json", str(config)], env=env)
    import json

    regions = json.loads(shown.output)["aws_regions"]
    assert [(r["section"], r["region"]) for r in regions] == [("providers.metrics.aws.aws", None)]
    assert regions[0]["advice"].startswith("set region in [providers.metrics.aws.aws], AWS_REGION, or region in")

    config.write_text('[providers.metrics]\nkind = "cloud"\n[providers.metrics.aws.aws]\nregion = "eu-west"\n')
    refused = runner.invoke(cli, ["config", "check", str(config)], env=env)
    assert refused.exit_code == 2 and "providers.metrics.aws.aws.region" in refused.output, refused.output
