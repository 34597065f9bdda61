"""The matrix's `Extra DNS names` column: names moved together with the tenant's DNS name (the runbook's
Edge Case 2), `;`-separated, each `name` or `name@zone`; bad cells named by file, row and column, and
nothing imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cutover.actions.plan.importing import ImportRefused, import_matrix
from cutover.config.matrix import MatrixError, parse_matrix
from cutover.console.cli import cli
from cutover.model.lifecycle import Lifecycle
from cutover.state.tenants import TenantStore

HEADER = "Tenant ID,Size,SLA,DNS name,Hosted zone,AWS target,OCI target,Extra DNS names"


def matrix(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def problems_of(text: str, source: str = "night.csv") -> list[str]:
    with pytest.raises(MatrixError) as caught:
        parse_matrix(text, source)
    return caught.value.problems


def test_extra_names_are_read_with_their_zones() -> None:
    parsed = parse_matrix(
        matrix(
            "T-42,5GB,Std,tenant42.domo.com,domo.com,52.1.0.1,129.213.0.1,"
            "API.tenant42.domo.com. ; tenant42.partner.net@partner.net;;legacy.tenant42.domo.com@Z0ABCDEF12345",
            "T-43,5GB,Std,tenant43.domo.com,domo.com,52.1.0.2,129.213.0.2,",
        )
    )
    t42, t43 = parsed.tenants
    assert t42.extra_dns_names == (
        "api.tenant42.domo.com;tenant42.partner.net@partner.net;legacy.tenant42.domo.com@Z0ABCDEF12345"
    )
    assert t43.extra_dns_names == ""
    assert "extra_dns_names" in parsed.present


@pytest.mark.parametrize("header", ["Extra DNS names", "extra_dns", "Additional names", "DNS aliases"])
def test_the_column_goes_by_the_names_teams_give_it(header: str) -> None:
    text = f"Tenant ID,Size,SLA,DNS name,{header}\nT-1,2GB,Std,t1.example.com,api.t1.example.com\n"
    assert parse_matrix(text).tenants[0].extra_dns_names == "api.t1.example.com"


def test_one_name_tenants_have_no_extra_names_and_stay_as_they_were(tenants: TenantStore, tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("Tenant ID,Size,SLA,DNS name\nT-1,2GB,Std,t1.example.com\n")
    import_matrix(tenants, path)
    tenant = tenants.get("T-1")
    assert tenant.extra_dns_names == "" and not tenant.several_names
    assert [n.name for n in tenant.dns_names] == ["t1.example.com"]


@pytest.mark.parametrize(
    ("cell", "said"),
    [
        ("bad..name", "'bad..name' is not a DNS name: write a fully qualified name"),
        ("10.0.0.1", "'10.0.0.1' is an IP address, not a DNS name"),
        ("api.t1.example.com@", "has nothing after '@': name the hosted zone, or leave out the '@'"),
        ("api.t1.example.com@not a zone", "'not a zone' is not a hosted zone: write a zone name (example.com)"),
        ("api.t1.example.org", "'api.t1.example.org' is not inside the hosted zone example.com: write name@zone"),
        ("api.t1.example.org@example.com", "'api.t1.example.org' is not inside the hosted zone example.com"),
        ("t1.example.com", "'t1.example.com' appears twice for this tenant (or is its DNS name): list each name once"),
        ("api.t1.example.com;API.t1.example.com", "'api.t1.example.com' appears twice for this tenant"),
        ("@example.com", "has no name before '@'"),
    ],
)
def test_a_bad_extra_name_is_named_with_file_row_and_column(cell: str, said: str) -> None:
    (problem,) = problems_of(matrix(f"T-1,2GB,Std,t1.example.com,example.com,52.1.0.1,129.213.0.1,{cell}"))
    assert problem.startswith("night.csv row 2 (T-1), column 'Extra DNS names': ")
    assert said in problem, problem


def test_a_name_of_another_tenant_is_refused_whichever_column_holds_it() -> None:
    problems = problems_of(
        matrix(
            "T-1,2GB,Std,t1.example.com,example.com,52.1.0.1,129.213.0.1,api.example.com",
            "T-2,2GB,Std,t2.example.com,example.com,52.1.0.2,129.213.0.2,api.example.com",
            "T-3,2GB,Std,api.example.com,example.com,52.1.0.3,129.213.0.3,",
        )
    )
    assert problems == [
        "night.csv row 3 (T-2), column 'Extra DNS names': 'api.example.com' is also a DNS name of row 2; a name "
        "belongs to one tenant (a flip of one would move the other): remove it from one of the rows",
        "night.csv row 4 (T-3), column 'DNS name': 'api.example.com' is also the DNS name in row 2; each tenant "
        "needs its own name (a flip of one would move both)",
    ]


def test_an_extra_name_already_held_by_a_stored_tenant_imports_nothing(tenants: TenantStore, tmp_path: Path) -> None:
    first = tmp_path / "first.csv"
    first.write_text(matrix("T-1,2GB,Std,t1.example.com,example.com,52.1.0.1,129.213.0.1,api.example.com"))
    import_matrix(tenants, first)
    second = tmp_path / "second.csv"
    second.write_text(
        matrix(
            "T-2,2GB,Std,t2.example.com,example.com,52.1.0.2,129.213.0.2,",
            "T-3,2GB,Std,t3.example.com,example.com,52.1.0.3,129.213.0.3,api.example.com",
        )
    )
    with pytest.raises(MatrixError) as caught:
        import_matrix(tenants, second)
    (problem,) = caught.value.problems
    assert problem.startswith("second.csv row 3 (T-3), column 'Extra DNS names': 'api.example.com' is already")
    assert "a DNS name of T-1 in the store" in problem
    assert [t.tenant_id for t in tenants.find()] == ["T-1"]  # nothing imported


def test_extra_names_of_a_tenant_in_flight_are_not_changed_under_it(tenants: TenantStore, tmp_path: Path) -> None:
    path = tmp_path / "fleet.csv"
    path.write_text(matrix("T-1,2GB,Std,t1.example.com,example.com,52.1.0.1,129.213.0.1,"))
    import_matrix(tenants, path)
    for state in (Lifecycle.SYNCING, Lifecycle.VALIDATING, Lifecycle.READY, Lifecycle.CUTTING_OVER):
        tenants.transition("T-1", state, why="test")
    path.write_text(matrix("T-1,2GB,Std,t1.example.com,example.com,52.1.0.1,129.213.0.1,api.t1.example.com"))
    with pytest.raises(ImportRefused) as refused:
        import_matrix(tenants, path)
    assert "column 'Extra DNS names'" in str(refused.value) and "extra_dns_names" in str(refused.value)
    assert tenants.get("T-1").extra_dns_names == ""


def test_the_command_says_what_is_wrong_without_a_traceback_and_imports_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "night.csv"
    bad.write_text(
        matrix(
            "T-1,2GB,Std,t1.example.com,example.com,52.1.0.1,129.213.0.1,api.t1.example.com",
            "T-2,2GB,Std,t2.example.com,example.com,52.1.0.2,129.213.0.2,api.t2.example.com@zone b",
        )
    )
    env = {**os.environ, "CUTOVER_STATE__PATH": str(tmp_path / "s.db")}
    result = subprocess.run(
        [sys.executable, "-m", "cutover", "import", str(bad)], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "night.csv row 3 (T-2), column 'Extra DNS names'" in result.stderr
    assert "'zone b' is not a hosted zone" in result.stderr
    assert "Nothing was imported." in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "s.db").exists() or "T-1" not in CliRunner().invoke(cli, ["status"], env=env).output


def test_status_lists_every_name(tmp_path: Path) -> None:
    good = tmp_path / "night.csv"
    good.write_text(matrix("T-1,2GB,Std,t1.example.com,example.com,52.1.0.1,129.213.0.1,api.t1.example.com"))
    env = {"CUTOVER_STATE__PATH": str(tmp_path / "s.db"), "CUTOVER_OPERATOR__NAME": "alice"}
    assert CliRunner().invoke(cli, ["import", str(good)], env=env).exit_code == 0
    out = CliRunner().invoke(cli, ["status", "T-1"], env=env).output
    assert "t1.example.com (zone example.com)" in out
    assert "api.t1.example.com: not read yet" in out
