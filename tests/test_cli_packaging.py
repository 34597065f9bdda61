"""How cutover behaves as an installed tool: stdin, JSON, where it finds its configuration,
shipped scenarios by name, a quick --version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cutover.console.cli import cli

# The installed command in a process of its own: `make test-fast` leaves these out.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).parent.parent


def cutover(*args: str, env: dict[str, str], cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """`cutover ARGS` as a real process, as a script would run it."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CUTOVER_")}
    environment |= {"PYTHONPATH": str(ROOT)} | env
    return subprocess.run(
        [sys.executable, "-m", "cutover", *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=environment,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """An empty home and working directory: no configuration anywhere but /etc."""
    (tmp_path / "home").mkdir()
    return {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}


def test_import_dash_reads_the_matrix_from_stdin(tmp_path: Path, home: dict[str, str], runbook_matrix: Path) -> None:
    env = home | {"CUTOVER_STATE__PATH": str(tmp_path / "s.db")}
    done = cutover("import", "-", env=env, cwd=tmp_path, stdin=runbook_matrix.read_bytes())
    assert done.returncode == 0, done.stderr
    assert "stdin: added 4" in done.stdout.decode()
    status = json.loads(cutover("status", "--json", env=env, cwd=tmp_path).stdout)
    assert status["count"] == 4


def test_import_json_says_what_was_added_and_what_is_wrong(
    tmp_path: Path, home: dict[str, str], runbook_matrix: Path
) -> None:
    env = home | {"CUTOVER_STATE__PATH": str(tmp_path / "s.db")}
    done = cutover("import", "--json", str(runbook_matrix), env=env, cwd=tmp_path)
    document = json.loads(done.stdout)
    assert done.returncode == 0 and document["schema"] == "cutover.import/1" and document["imported"] is True
    assert {t["tenant_id"] for t in document["added"]} == {"T-0001", "T-0002", "T-0123", "T-0999"}
    again = json.loads(cutover("import", "--json", str(runbook_matrix), env=env, cwd=tmp_path).stdout)
    assert again["imported"] is False and again["unchanged"] == 4 and again["added"] == []

    bad = b"tenant id,size,sla,dns name\nT-1,huge,Std,t1.example.com\n"
    refused = cutover("import", "--json", "-", env=env, cwd=tmp_path, stdin=bad)
    problems = json.loads(refused.stdout)["problems"]
    assert refused.returncode == 2 and b"Traceback" not in refused.stderr
    assert len(problems) == 1 and "stdin" in problems[0] and "row 2" in problems[0] and "huge" in problems[0]


def test_config_is_found_in_xdg_config_home_and_config_check_says_which(tmp_path: Path, home: dict[str, str]) -> None:
    xdg_file = Path(home["XDG_CONFIG_HOME"]) / "cutover" / "cutover.toml"
    xdg_file.parent.mkdir(parents=True)
    xdg_file.write_text('[operator]\nname = "from-xdg"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    checked = cutover("config", "check", "--json", env=home, cwd=elsewhere)
    document = json.loads(checked.stdout)
    assert document["file"] == str(xdg_file) and document["found_by"] == "$XDG_CONFIG_HOME/cutover"
    assert {v["key"]: v["value"] for v in document["values"]}["operator.name"] == "from-xdg"
    text = cutover("config", "check", env=home, cwd=elsewhere).stdout.decode()
    assert f"configuration OK: {xdg_file} (from $XDG_CONFIG_HOME/cutover)" in text

    (elsewhere / "cutover.toml").write_text('[operator]\nname = "from-here"\n')  # the working directory wins
    document = json.loads(cutover("config", "check", "--json", env=home, cwd=elsewhere).stdout)
    assert document["file"] == "cutover.toml" and document["found_by"] == "the working directory"


def test_version_answers_without_loading_the_application(tmp_path: Path) -> None:
    probe = (
        "import sys; sys.argv = ['cutover', '--version']\n"
        "from cutover.console.entry import main; main()\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('click', 'pydantic', 'textual', 'sqlite_utils')]\n"
        "print('heavy:', heavy)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    from cutover import __version__

    assert done.stdout.splitlines() == [f"cutover, version {__version__}", "heavy: []"], done.stderr


def test_a_shipped_scenario_is_chosen_by_name_and_an_unknown_one_names_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # nowhere near the checkout's scenarios/
    run = CliRunner().invoke(cli, ["demo", "--tenants", "600", "--ticks", "1", "--scenario", "rollback-night"])
    assert run.exit_code == 0, run.output
    assert "scenario 'rollback night': loaded" in run.stderr

    unknown = CliRunner().invoke(cli, ["demo", "--ticks", "1", "--scenario", "quiet-night"])
    assert unknown.exit_code == 2 and "Traceback" not in unknown.output
    assert "quiet-night: no such scenario file" in unknown.stderr
    assert "rollback-night, rough-night" in unknown.stderr
