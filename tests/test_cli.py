"""The headless commands as a script sees them: output, JSON and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cutover.console.cli import cli


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"CUTOVER_STATE__PATH": str(tmp_path / "session.db"), "CUTOVER_OPERATOR__NAME": "alice"}


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_import_then_status_and_events(env: dict[str, str], runbook_matrix: Path) -> None:
    code, out = run(env, "import", str(runbook_matrix))
    assert code == 0 and "added 4" in out

    code, out = run(env, "status", "--json")
    document = json.loads(out)
    assert code == 0 and document["schema"] == "cutover.status/1" and document["count"] == 4
    t999 = {t["id"]: t for t in document["tenants"]}["T-0999"]
    assert t999["tier"] == "enterprise" and t999["wave"] == 4 and t999["lifecycle"] == "pending"
    assert t999["next_step"] == "start sync"
    assert t999["dns"] == {
        "name": "tenant999.domo.example",
        "hosted_zone": "Z1234567890ABC",
        "aws_target": "52.1.2.99",
        "oci_target": "129.213.45.99",
    }

    code, out = run(env, "status", "--wave", "1")
    assert code == 0 and "T-0001" in out and "T-0002" in out and "T-0999" not in out
    code, out = run(env, "status", "--state", "ready")
    assert code == 0 and "no tenants match" in out
    code, out = run(env, "status", "T-0123")
    assert code == 0 and "next step  start sync" in out

    code, out = run(env, "events", "T-0001", "--json")
    document = json.loads(out)
    assert document["schema"] == "cutover.events/1"
    (added,) = document["events"]
    assert added["kind"] == "tenant.added" and added["operator"] == "alice" and added["tenant_id"] == "T-0001"


def test_dry_run_creates_no_store(env: dict[str, str], runbook_matrix: Path) -> None:
    code, out = run(env, "import", "--dry-run", str(runbook_matrix))
    assert code == 0 and "would add 4" in out and "nothing was changed" in out
    assert not Path(env["CUTOVER_STATE__PATH"]).exists()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["status"], 1, "no session store here"),
        (["status", "--wave", "x"], 2, "'x' is not a valid integer"),
        (["status", "--state", "flying"], 2, "'flying' is not one of"),
        (["import", "missing.csv"], 2, "missing.csv: no such file"),
    ],
)
def test_mistakes_get_a_message_and_an_exit_code(env: dict[str, str], args: list[str], code: int, message: str) -> None:
    got, out = run(env, *args)
    assert got == code and message in out and "Traceback" not in out


def test_unknown_tenant_is_bad_input(env: dict[str, str], runbook_matrix: Path) -> None:
    run(env, "import", str(runbook_matrix))
    code, out = run(env, "status", "T-4040")
    assert code == 2 and "T-4040: no such tenant" in out


@pytest.mark.slow  # the command in a process of its own
def test_the_installed_command_runs_without_a_traceback(tmp_path: Path, runbook_matrix: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("Tenant ID,Size,SLA,DNS name\nT-1,huge,Std,a.example.com\n")
    env = {**os.environ, "CUTOVER_STATE__PATH": str(tmp_path / "s.db")}
    command = [sys.executable, "-m", "cutover", "import", str(bad)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "bad.csv row 2 (T-1), column 'Size': 'huge' is not a size" in result.stderr
    assert "Nothing was imported." in result.stderr and "Traceback" not in result.stderr


def test_piped_output_is_never_cut_to_a_terminal_width(env: dict[str, str], runbook_matrix: Path) -> None:
    run(env, "import", str(runbook_matrix))
    code, out = run(env, "events", "--limit", "1")
    assert code == 0
    (row,) = [line for line in out.splitlines() if "imported runbook_matrix.csv" in line]
    assert "…" not in row and "alice" in row
    assert row.split()[2].endswith("Z"), "the whole timestamp is there"
