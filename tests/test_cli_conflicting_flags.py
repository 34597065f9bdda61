"""Flags that contradict each other are refused, naming both, with exit 2; nothing is submitted or changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cutover.console.cli import cli
from cutover.state.store import Store


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("conflicts") / "cutover.db"
    opened = CliRunner().invoke(
        cli,
        ["demo", "--headless", "--ticks", "1", "--interval", "0.1", "--tenants", "60"],
        env={"CUTOVER_STATE__PATH": str(path)},
    )
    assert opened.exit_code == 0, opened.output
    return path


def footprint(path: Path) -> tuple[int, int, int]:
    with Store(path) as store:
        return tuple(  # type: ignore[return-value]
            store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in ("jobs", "events", "leases")
        )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["sync", "T-0001", "--final", "--verify", "--reason", "x"], "--final and --verify cannot go together"),
        (
            ["batch", "--count", "3", "--group", "5", "--reason", "x", "--yes"],
            "--group 5 is larger than --count 3: a group is part of the batch",
        ),
        (["demo", "--headless", "--read-only"], "--read-only and --headless cannot go together"),
        (["demo", "--for", "1h", "--read-only"], "--read-only and --for cannot go together"),
    ],
)
def test_conflicting_flags_are_refused_naming_both(world: Path, args: list[str], words: str) -> None:
    before = footprint(world)
    runner = CliRunner()
    env = {"CUTOVER_STATE__PATH": str(world)}
    refused = runner.invoke(cli, args, env=env)
    assert refused.exit_code == 2, refused.output
    assert words in refused.stderr and refused.stdout == ""
    as_json = runner.invoke(cli, [*args, "--json"], env=env) if args[0] != "demo" else None
    if as_json is not None:
        assert as_json.exit_code == 2
        assert words in json.loads(as_json.stdout)["error"]
    assert footprint(world) == before, "nothing was submitted or recorded"


def test_a_group_within_the_count_is_accepted(world: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["batch", "--count", "5", "--group", "5", "--dry-run", "--reason", "rehearsal"],
        env={"CUTOVER_STATE__PATH": str(world)},
    )
    assert result.exit_code in (0, 3), result.output  # planned (or refused by a gate), never a usage error
    assert "larger than --count" not in result.output
