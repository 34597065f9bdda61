"""Every command that takes --json answers a usage error with a JSON document on stdout and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cutover.console.cli import cli


def json_commands() -> list[tuple[str, click.Command]]:
    found = []
    context = click.Context(cli)

    def walk(group: click.Group, prefix: str) -> None:
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            if isinstance(command, click.Group):
                walk(command, f"{prefix}{name} ")
            elif command is not None and any("--json" in p.opts for p in command.params):
                found.append((f"{prefix}{name}", command))

    walk(cli, "")
    return found


COMMANDS = json_commands()


def test_the_commands_that_take_json_are_found() -> None:
    names = {name for name, _ in COMMANDS}
    assert {"sync", "flip", "batch", "status", "events", "audit verify", "config check"} <= names


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_a_usage_error_with_json_prints_a_json_document(tmp_path: Path, name: str, command: click.Command) -> None:
    store = tmp_path / "cutover.db"
    runner = CliRunner()
    env = {"CUTOVER_STATE__PATH": str(store)}
    unknown = runner.invoke(cli, [*name.split(), "--json", "--no-such-option"], env=env)
    assert unknown.exit_code == 2, unknown.output
    document = json.loads(unknown.stdout)
    assert document["schema"] == "cutover.error/1" and document["ok"] is False and document["exit_code"] == 2
    assert document["error"] == "No such option '--no-such-option'."
    assert f" {name} [OPTIONS]" in document["usage"]
    assert "No such option" in unknown.stderr
    required = [p for p in command.params if isinstance(p, click.Argument) and p.required]
    if required:
        missing = runner.invoke(cli, [*name.split(), "--json"], env=env)
        assert missing.exit_code == 2
        assert json.loads(missing.stdout)["error"].startswith("Missing argument")
    assert not store.exists(), "a usage error changes nothing"


def test_a_usage_error_without_json_stays_text() -> None:
    result = CliRunner().invoke(cli, ["sync", "--no-such-option"])
    assert result.exit_code == 2 and result.stdout == "" and "No such option" in result.stderr
