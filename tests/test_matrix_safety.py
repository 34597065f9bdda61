"""Matrix imports that cannot lose, merge or re-route tenants: bad cells refused by row and column,
re-imports that keep what the file does not say and never move a tenant's DNS under a flight."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from engine_helpers import make_ready, write_fleet
from hypothesis import given, settings
from hypothesis import strategies as st

from cutover.actions.plan.importing import import_matrix
from cutover.config.matrix import MatrixError, parse_matrix
from cutover.console.cli import cli
from cutover.model.clock import ManualClock
from cutover.model.lifecycle import Lifecycle
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.job_records import NewTarget
from cutover.state.jobs import JobStore
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

HEADER = "Tenant ID,Size,SLA,Wave,DNS name,Hosted zone,AWS target,OCI target,Customer"


def row(n: int, **cells: str) -> str:
    values = {
        "id": f"T-{n:04d}",
        "size": "5GB",
        "sla": "Std",
        "wave": "1",
        "dns": f"tenant{n}.example.com",
        "zone": "example.com",
        "aws": f"52.1.0.{n}",
        "oci": f"129.213.0.{n}",
        "customer": f"Customer {n}",
    }
    values.update(cells)
    return ",".join(values.values())


def matrix(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def refused(text: str) -> str:
    with pytest.raises(MatrixError) as caught:
        parse_matrix(text, source="m.csv")
    return "\n".join(caught.value.problems)


# --- bad cells, one message each, naming row and column ---------------------------------------


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"wave": "0"}, "m.csv row 2 (T-0001), column 'Wave': '0' is not a wave number: write 1 to 99"),
        ({"size": "0GB"}, "column 'Size': '0GB' is no data"),
        ({"size": "9999 PB"}, "column 'Size': '9999 PB' is more than 10 PB"),
        ({"size": "9.3 EB"}, "column 'Size': '9.3 EB' is not a size"),
        ({"size": "9" * 400}, "column 'Size': '9999999999999999999999999999999999999999'... is not a size"),
        ({"oci": "52.1.0.1"}, "column 'OCI target': '52.1.0.1' is also the AWS target: a cutover would move nothing"),
        ({"dns": "10.0.0.7"}, "column 'DNS name': '10.0.0.7' is an IP address, not a DNS name"),
        ({"dns": "tenant1.example.org"}, "'tenant1.example.org' is not inside its hosted zone example.com"),
        ({"customer": "x" * 5000}, "column 'Customer': '" + "x" * 40 + "'... is 5,000 characters"),
        ({"customer": "Acme\x1b]0;pwned\x07"}, "column 'Customer': 'Acme\\x1b]0;pwned\\x07' holds the control "
         "character \\x1b, which a terminal would obey"),
        ({"customer": "Acme\u202eevil"}, "holds the control character \\u202e"),
    ],
)  # fmt: skip
def test_a_bad_cell_is_refused_naming_row_and_column(cells: dict[str, str], expected: str) -> None:
    text = refused(matrix(row(1, **cells), row(2)))
    assert expected in text


def test_a_zone_given_by_id_does_not_constrain_the_name() -> None:
    specs = parse_matrix(matrix(row(1, zone="Z1234567890ABC", dns="a.example.org"))).tenants
    assert specs[0].dns_name == "a.example.org" and specs[0].hosted_zone == "Z1234567890ABC"


def test_two_tenants_with_one_dns_name_are_refused() -> None:
    text = refused(matrix(row(1), row(2), row(3, dns="TENANT1.example.com.")))
    assert "m.csv row 4 (T-0003), column 'DNS name': 'TENANT1.example.com.' is also the DNS name in row 2" in text


def test_an_unterminated_quote_is_refused_never_swallowing_the_rows_after_it() -> None:
    text = refused(matrix(row(1), row(2, customer='"Acme, Inc'), row(3), row(4)))
    assert "m.csv line 3: the quoting is broken" in text and "a quote opened on line 3 is never closed" in text


def test_a_quote_closed_rows_later_is_refused_as_a_cell_spanning_lines() -> None:
    text = refused(matrix(row(1, customer='"Acme'), row(2), row(3, customer='Beta"')))
    assert "m.csv row 2, column 'Customer'" in text and "spans several lines" in text


def test_text_after_a_closing_quote_is_refused() -> None:
    assert "the quoting is broken" in refused(matrix(row(1, customer='"Acme" Inc')))


def test_a_cell_over_128_kb_is_refused_by_the_cli_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text(matrix(row(1), row(2, customer='"' + "x" * 200_000 + '"')))
    result = CliRunner().invoke(cli, ["import", str(path)], env={"CUTOVER_STATE__PATH": str(tmp_path / "s.db")})
    assert result.exit_code == 2, result.output
    assert "huge.csv line 3: a cell is far longer than the 4096 characters a cell may hold" in result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "s.db").exists()


tenant_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Cf", "Zl", "Zp")), min_size=1, max_size=40
).filter(lambda s: s.strip() == s)


@given(names=st.lists(tenant_text, min_size=1, max_size=6))
@settings(max_examples=80, deadline=None)
def test_property_names_with_commas_quotes_and_brackets_round_trip(names: list[str]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER.split(","))
    for n, name in enumerate(names, start=1):
        writer.writerow([*row(n).split(",")[:-1], name])
    specs = parse_matrix(buffer.getvalue()).tenants
    assert [spec.name for spec in specs] == names


@given(
    count=st.integers(min_value=2, max_value=8),
    data=st.data(),
)
@settings(max_examples=60, deadline=None)
def test_property_one_stray_opening_quote_never_loses_a_row_silently(count: int, data: st.DataObject) -> None:
    rows = [row(n).split(",") for n in range(1, count + 1)]
    broken = data.draw(st.integers(min_value=0, max_value=count - 1))
    column = data.draw(st.integers(min_value=0, max_value=len(rows[0]) - 1))
    rows[broken][column] = '"' + rows[broken][column]
    with pytest.raises(MatrixError) as caught:
        parse_matrix(matrix(*(",".join(cells) for cells in rows)), source="m.csv")
    assert f"line {broken + 2}" in "\n".join(caught.value.problems)


# --- re-imports against the store --------------------------------------------------------------


@pytest.fixture
def war_room(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A store with write_fleet's T-0001..T-0004: odd ones in zone Z1ZONEA, even ones in Z2ZONEB."""
    path = tmp_path / "cutover.db"
    with Store(path) as store:
        tenants = TenantStore(store, EventLog(store, Actor("setup", "jump-1"), ManualClock(1_800_000_000.0)))
        import_matrix(tenants, write_fleet(tmp_path / "fleet.csv", 4))
    return path, {"CUTOVER_STATE__PATH": str(path), "CUTOVER_OPERATOR__NAME": "alice"}


def opened(path: Path) -> tuple[Store, TenantStore]:
    store = Store(path)
    return store, TenantStore(store, EventLog(store, Actor("test", "jump-1"), ManualClock(1_800_000_000.0)))


def snapshot(path: Path) -> tuple[list, int]:
    store, tenants = opened(path)
    try:
        return [t.to_json() for t in tenants.find()], len(tenants.events.find())
    finally:
        store.close()


def refleet(tmp_path: Path, edit: dict[int, dict[int, str]], *, drop: tuple[int, ...] = ()) -> Path:
    """fleet.csv with cells replaced (row number -> column index -> value) and columns dropped."""
    lines = (tmp_path / "fleet.csv").read_text().splitlines()
    rows = [line.split(",") for line in lines]
    for number, cells in edit.items():
        for column, value in cells.items():
            rows[number][column] = value
    rows = [[cell for index, cell in enumerate(cells) if index not in drop] for cells in rows]
    path = tmp_path / "again.csv"
    path.write_text("\n".join(",".join(cells) for cells in rows) + "\n")
    return path


def test_a_reimport_giving_a_tenant_the_dns_name_of_another_is_refused(tmp_path: Path, war_room) -> None:
    path, env = war_room
    before = snapshot(path)
    # T-0003 leaves the file, T-0004 takes its (stored) name: flipping one would move both.
    again = refleet(tmp_path, {4: {4: "tenant3.example.com"}})
    lines = again.read_text().splitlines()
    again.write_text("\n".join(line for line in lines if not line.startswith("T-0003")) + "\n")
    result = CliRunner().invoke(cli, ["import", str(again)], env=env)
    assert result.exit_code == 2, result.output
    assert (
        "again.csv row 4 (T-0004), column 'DNS name': 'tenant3.example.com' is already the DNS name of T-0003 "
        "in the store" in result.stderr
    )
    assert "Nothing was imported." in result.stderr
    assert snapshot(path) == before


def test_a_reimport_keeps_the_columns_the_file_does_not_have(tmp_path: Path, war_room) -> None:
    path, env = war_room
    store, tenants = opened(path)
    with store.write() as db:  # as an earlier import with a Customer column left it
        db.execute("UPDATE tenants SET name = 'Acme [per INC-123]', region = 'us-east-1'")
    store.close()
    # No Region and no Baseline columns now; the sizes change.
    again = refleet(tmp_path, {1: {1: "6GB"}}, drop=(8, 9, 10))
    result = CliRunner().invoke(cli, ["import", str(again)], env=env)
    assert result.exit_code == 0, result.output
    assert "changed 1" in result.stdout
    store, tenants = opened(path)
    t1, t2 = tenants.get("T-0001"), tenants.get("T-0002")
    store.close()
    assert t1.size_bytes == 6 * 10**9
    assert (t1.name, t1.region, t1.baseline_p95_ms, t1.baseline_error_rate) == (
        "Acme [per INC-123]",
        "us-east-1",
        1000.0,
        0.001,
    )
    assert t2.name == "Acme [per INC-123]" and t2.size_bytes == 5 * 10**9


def put_in_flight(path: Path) -> None:
    """T-0001 cutting over, T-0002 held by a ramp job (still ready), T-0003 and T-0004 at rest."""
    store, tenants = opened(path)
    try:
        make_ready(tenants, "T-0001", 1_800_000_000.0)
        tenants.transition("T-0001", Lifecycle.CUTTING_OVER, why="test: a flight")
        make_ready(tenants, "T-0002", 1_800_000_000.0)
        JobStore(store, tenants.events).submit("ramp", [NewTarget("T-0002", ("dns_change",))], reason="ramp night")
    finally:
        store.close()


def test_a_reimport_moving_a_tenant_in_flight_is_refused_and_nothing_lands(tmp_path: Path, war_room) -> None:
    path, env = war_room
    put_in_flight(path)
    before = snapshot(path)
    again = refleet(
        tmp_path,
        {1: {7: "129.213.9.1"}, 2: {5: "Z9OTHER"}, 3: {7: "129.213.9.3"}, 4: {1: "7GB"}},
    )
    result = CliRunner().invoke(cli, ["import", str(again)], env=env)
    assert result.exit_code == 3, result.output
    assert (
        "refused: again.csv row 2 (T-0001), column 'OCI target': would change the oci_target of T-0001 while it "
        "is cutting over" in result.stderr
    )
    assert (
        "refused: again.csv row 3 (T-0002), column 'Hosted zone': would change the hosted_zone of T-0002 while "
        "ramp-1 (ramp by test) holds it" in result.stderr
    )
    assert "Nothing was imported; --partial imports the other tenants." in result.stderr
    assert "T-0003" not in result.stderr
    assert snapshot(path) == before


def test_a_reimport_moving_a_tenant_in_flight_to_another_region_or_wave_is_refused(tmp_path: Path, war_room) -> None:
    """Region and wave decide the war room whose part a tenant is (and its window's zone): not under a job."""
    path, env = war_room
    put_in_flight(path)
    before = snapshot(path)
    again = refleet(tmp_path, {1: {8: "us-east-2"}, 2: {3: "2"}, 3: {8: "us-east-2"}})
    result = CliRunner().invoke(cli, ["import", str(again)], env=env)
    assert result.exit_code == 3, result.output
    assert (
        "refused: again.csv row 2 (T-0001), column 'Region': would change the region of T-0001 while it is cutting "
        "over; the war room whose part it is, and its migration window's time zone, would change under its job"
    ) in result.stderr
    assert "would change the wave of T-0002 while ramp-1 (ramp by test) holds it" in result.stderr
    assert "T-0003" not in result.stderr  # at rest: it may move
    assert snapshot(path) == before


def test_partial_lands_the_rest_and_still_says_what_was_refused(tmp_path: Path, war_room) -> None:
    path, env = war_room
    put_in_flight(path)
    again = refleet(
        tmp_path,
        {1: {7: "129.213.9.1", 1: "8GB"}, 2: {5: "Z9OTHER"}, 3: {7: "129.213.9.3"}, 4: {1: "7GB"}},
    )
    result = CliRunner().invoke(cli, ["import", str(again), "--partial"], env=env)
    assert result.exit_code == 3, result.output
    assert "changed 2" in result.stdout
    assert "refused: again.csv row 2 (T-0001)" in result.stderr and "refused: again.csv row 3 (T-0002)" in result.stderr
    store, tenants = opened(path)
    t1, t2, t3, t4 = (tenants.get(f"T-000{n}") for n in range(1, 5))
    store.close()
    assert (t1.oci_target, t1.size_bytes) == ("129.213.0.1", 5 * 10**9), "a refused tenant is left whole"
    assert t2.hosted_zone == "Z2ZONEB"
    assert t3.oci_target == "129.213.9.3" and t4.size_bytes == 7 * 10**9


def test_a_tenant_in_flight_may_still_get_fields_that_do_not_route(tmp_path: Path, war_room) -> None:
    path, env = war_room
    put_in_flight(path)
    again = refleet(tmp_path, {1: {1: "8GB"}})
    result = CliRunner().invoke(cli, ["import", str(again)], env=env)
    assert result.exit_code == 0, result.output
    store, tenants = opened(path)
    assert tenants.get("T-0001").size_bytes == 8 * 10**9
    store.close()
