"""Small edges of the headless commands a war room runs into: approvals, typed IDs, empty lists, bad imports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from engine_helpers import war_room

from cutover.console.cli import cli


@pytest.fixture
def env(tmp_path: Path) -> dict:
    return war_room(tmp_path, ready=4, enterprise=(3,))


def run(env: dict, *args: str):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_approve_warns_when_it_is_not_needed_and_that_the_approver_cannot_cut_over(env: dict) -> None:
    standard = run(env, "approve", "T-0001", "--reason", "looked at it")
    assert standard.exit_code == 0
    assert "warning: T-0001 needs no second operator's approval (only the enterprise tier does)" in standard.output

    own = run(env, "approve", "T-0003", "--reason", "looked at it")
    assert own.exit_code == 0
    assert "approved by alice: T-0003" in own.output
    assert "counts only for a cutover someone other than alice runs" in own.output
    # And it is so: alice's own approval does not let alice cut over.
    run(env, "flip", "T-0003", "--dry-run")
    refused = run(env, "flip", "T-0003", "--reason", "r", "--yes")
    assert refused.exit_code == 3 and "someone other than alice runs `cutover approve`" in refused.output


def test_tenant_ids_match_whatever_their_case(env: dict) -> None:
    shown = run(env, "status", "t-0002")
    assert shown.exit_code == 0 and shown.output.startswith("T-0002")
    assert run(env, "events", "t-0002").exit_code == 0
    gated = run(env, "gate", "t-0001", "--json")
    assert json.loads(gated.output)["tenants"][0]["tenant"] == "T-0001"
    rehearsed = run(env, "flip", "t-0001", "--dry-run", "--json")
    assert rehearsed.exit_code == 0, rehearsed.output
    assert json.loads(rehearsed.output)["plan"]["targets"][0]["tenant"] == "T-0001"
    missing = run(env, "flip", "t-9999", "--dry-run")
    assert missing.exit_code == 2 and "t-9999: no such tenant" in missing.output


def test_jobs_says_when_there_are_none(env: dict) -> None:
    listed = run(env, "jobs")
    assert listed.exit_code == 0 and listed.output.splitlines()[-1] == "no jobs"
    assert run(env, "jobs", "--active").output.splitlines()[-1] == "no active jobs"


def test_a_failed_import_creates_no_store(tmp_path: Path) -> None:
    bad = tmp_path / "matrix.csv"
    bad.write_text("tenant_id,wave\nT-0001,banana\n")
    store = tmp_path / "fresh.db"
    result = CliRunner().invoke(cli, ["import", str(bad)], env={"CUTOVER_STATE__PATH": str(store)})
    assert result.exit_code == 2 and "Nothing was imported." in result.output
    assert not store.exists() and not list(tmp_path.glob("fresh.db*"))
