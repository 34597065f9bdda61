"""What people typed is printed as typed by every command: brackets are text, never Rich markup,
and a control character is shown escaped, never written raw to the terminal."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from engine_helpers import write_fleet
from hypothesis import given, settings
from hypothesis import strategies as st

from cutover.actions.plan.importing import import_matrix
from cutover.config.text import visible
from cutover.console.cli import cli
from cutover.model.clock import ManualClock
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.job_records import NewTarget
from cutover.state.jobs import JobStore
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

CLOCK = 1_800_000_000.0
HOSTILE = "[/]Acme [per INC-123] \x1b]0;pwned\x07\x1b[2J\u202e"
SHOWN = "[/]Acme [per INC-123] \\x1b]0;pwned\\x07\\x1b[2J\\u202e"


def store_with(tmp_path: Path, *, operator: str = "alice", name: str = "", why: str = "") -> dict[str, str]:
    path = tmp_path / "cutover.db"
    with Store(path) as store:
        tenants = TenantStore(store, EventLog(store, Actor("setup", "jump-1"), ManualClock(CLOCK)))
        import_matrix(tenants, write_fleet(tmp_path / "fleet.csv", 2))
        if name:
            with store.write() as db:  # stored before imports refused control characters
                db["tenants"].update("T-0001", {"name": name})
        if why:
            events = EventLog(store, Actor(operator, "jump-2"), ManualClock(CLOCK))
            events.append("note", f"looked: {why}", tenant_id="T-0001", why=why)
            JobStore(store, events).submit("flip", [NewTarget("T-0002", ("dns_change",))], reason=why)
    return {"CUTOVER_STATE__PATH": str(path)}


def run(env: dict[str, str], *args: str):
    return CliRunner().invoke(cli, list(args), env=env)


def test_events_status_and_jobs_show_reasons_names_and_operators_whole(tmp_path: Path) -> None:
    env = store_with(tmp_path, operator="[/]eve", name=HOSTILE, why=HOSTILE)
    for args in (("events",), ("events", "T-0001"), ("status", "T-0001"), ("jobs",), ("jobs", "flip-1")):
        result = run(env, *args)
        assert result.exit_code == 0, (args, result.output)
        assert "\x1b" not in result.output and "\x07" not in result.output and "\u202e" not in result.output, args
        assert SHOWN in result.output, (args, result.output)
    assert "[/]eve" in run(env, "events").output


def test_json_keeps_the_stored_value_exactly(tmp_path: Path) -> None:
    import json

    env = store_with(tmp_path, name=HOSTILE, why=HOSTILE)
    document = json.loads(run(env, "status", "T-0001", "--json").output)
    assert document["tenants"][0]["name"] == HOSTILE
    assert "\x1b" not in run(env, "status", "T-0001", "--json").output, "JSON escapes it as \\u001b"


def test_import_output_shows_a_changed_name_with_brackets(tmp_path: Path) -> None:
    env = store_with(tmp_path)
    matrix = tmp_path / "names.csv"
    rows = (tmp_path / "fleet.csv").read_text().splitlines()
    matrix.write_text(
        "\n".join([rows[0] + ",Customer", rows[1] + ',"[/]Acme, [per INC-123]"', rows[2] + ",Beta"]) + "\n"
    )
    result = run(env, "import", str(matrix))
    assert result.exit_code == 0, result.output
    assert "~ T-0001  name: '' -> '[/]Acme, [per INC-123]'" in result.stdout
    assert "[/]Acme, [per INC-123]" in run(env, "status", "T-0001").output


def test_an_import_with_an_escape_is_refused_naming_row_and_column_and_changes_nothing(tmp_path: Path) -> None:
    env = store_with(tmp_path)
    matrix = tmp_path / "names.csv"
    rows = (tmp_path / "fleet.csv").read_text().splitlines()
    matrix.write_text("\n".join([rows[0] + ",Customer", rows[1] + ",Acme\x1b[2J", rows[2] + ",Beta"]) + "\n")
    before = run(env, "events", "--json").output
    result = run(env, "import", str(matrix))
    assert result.exit_code == 2
    assert (
        "names.csv row 2, column 'Customer': 'Acme\\x1b[2J' holds the control character \\x1b, which a terminal "
        "would obey; remove it" in result.stderr
    )
    assert "Nothing was imported." in result.stderr and "\x1b" not in result.stderr
    assert run(env, "events", "--json").output == before


@given(why=st.text(st.sampled_from("[]/ab \\=#@\x1b\x07\x9b\u202e\t\n"), min_size=1, max_size=30))
@settings(max_examples=40, deadline=None)
def test_property_any_reason_prints_whole_and_harmless(tmp_path_factory, why: str) -> None:
    env = store_with(tmp_path_factory.mktemp("w"), operator=why, why=why)
    result = run(env, "events", "T-0001")
    assert result.exit_code == 0, result.output
    assert not any(char in result.output for char in "\x1b\x07\x9b\u202e\t")
    for line in visible(why).split("\n"):
        assert line.strip() in result.output
