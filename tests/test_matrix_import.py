"""The tenant matrix: the runbook's rows, header variations, bad rows, re-import."""

from __future__ import annotations

from pathlib import Path

import pytest

from cutover.actions.plan.importing import import_matrix
from cutover.config.matrix import MatrixError, parse_matrix
from cutover.config.tenant_spec import wave_for_size
from cutover.model.lifecycle import Lifecycle
from cutover.state.tenants import TenantStore

HEADER = "Tenant ID,Size,SLA,Wave,DNS name,AWS target,OCI target"


def test_the_runbooks_example_rows_import(tenants: TenantStore, runbook_matrix: Path) -> None:
    result = import_matrix(tenants, runbook_matrix)
    assert result.applied and len(result.plan.added) == 4
    t1, t2, t123, t999 = (tenants.get(t) for t in ("T-0001", "T-0002", "T-0123", "T-0999"))
    assert (t1.size_bytes, t1.complexity, t1.criticality, t1.tier, t1.wave, t1.priority) == (
        2 * 10**9,
        "simple",
        "low",
        "standard",
        1,
        "Pilot",
    )
    assert (t2.tier, t2.wave, t2.baseline_error_rate) == ("standard", 1, 0.0005)
    assert (t123.tier, t123.wave, t123.criticality, t123.baseline_p95_ms) == ("premium", 2, "high", None)
    assert (t999.tier, t999.wave, t999.size_bytes, t999.region) == ("enterprise", 4, 2 * 10**12, "eu-west-1")
    assert t1.lifecycle is Lifecycle.PENDING
    assert t1.baseline_p95_ms == 1200 and t1.baseline_error_rate == 0.001
    assert t1.oci_target == "129.213.45.1" and t1.hosted_zone == "Z1234567890ABC"
    kinds = [e.kind for e in tenants.events.find()]
    assert kinds.count("tenant.added") == 4 and kinds[-1] == "matrix.import"


def test_headers_match_regardless_of_case_and_spacing() -> None:
    text = "  tenant_id ,SIZE, sla tier ,dns-name,  Wave  \nT-1,500 MB,prem,a.example.com,\n"
    (spec,) = parse_matrix(text).tenants
    assert (spec.tenant_id, spec.size_bytes, spec.tier, spec.dns_name) == (
        "T-1",
        500 * 10**6,
        "premium",
        "a.example.com",
    )


@pytest.mark.parametrize(
    ("size", "wave"),
    [("500 MB", 1), ("9.9GB", 1), ("10GB", 2), ("99GB", 2), ("100GB", 3), ("1TB", 3), ("1.5 TiB", 4), ("2TB", 4)],
)
def test_blank_wave_is_derived_from_size_with_the_runbook_bands(size: str, wave: int) -> None:
    (spec,) = parse_matrix(f"Tenant ID,Size,SLA,DNS name,Wave\nT-1,{size},Std,a.example.com,\n").tenants
    assert spec.wave == wave == wave_for_size(spec.size_bytes)
    assert spec.wave_derived


def test_an_explicit_wave_wins_over_the_size() -> None:
    (spec,) = parse_matrix("Tenant ID,Size,SLA,DNS name,Wave\nT-1,2TB,Ent,a.example.com,Wave-2\n").tenants
    assert spec.wave == 2 and not spec.wave_derived


def test_each_bad_row_gets_one_line_naming_row_column_and_value(tenants: TenantStore, tmp_path: Path) -> None:
    path = tmp_path / "fleet.csv"
    path.write_text(
        f"{HEADER}\n"
        "T-0001,2GB,Std,1,t1.example.com,52.1.2.3,129.213.45.67\n"
        "T-0001,3GB,Std,1,t1b.example.com,52.1.2.4,129.213.45.68\n"  # duplicate ID
        "T-0002,lots,Std,1,t2.example.com,52.1.2.5,129.213.45.69\n"  # unparseable size
        "T-0003,2GB,Std,1,t3.example.com,52.1.2.300,129.213.45.70\n"  # bad IP
        "T-0004,2GB,Gold,1,t4.example.com,52.1.2.7,129.213.45.71\n"  # unknown tier
        "T-0005,2GB,Std,1,,52.1.2.8,129.213.45.72\n"  # missing DNS name
    )
    with pytest.raises(MatrixError) as caught:
        import_matrix(tenants, path)
    assert caught.value.problems == [
        "fleet.csv row 3, column 'Tenant ID': 'T-0001' is a duplicate tenant ID, first seen in row 2; "
        "each tenant appears once",
        "fleet.csv row 4 (T-0002), column 'Size': 'lots' is not a size: write a number and a unit, "
        "like 2GB, 500 MB or 1.5 TiB",
        "fleet.csv row 5 (T-0003), column 'AWS target': '52.1.2.300' is not an IP address: "
        "write the load balancer's address, like 129.213.45.67",
        "fleet.csv row 6 (T-0004), column 'SLA': 'Gold' is not a known SLA tier: "
        "use Standard (Std), Premium (Prem) or Enterprise (Ent)",
        "fleet.csv row 7 (T-0005), column 'DNS name': '' is blank: "
        "every tenant needs the DNS name that will be cut over",
    ]
    assert tenants.count() == 0, "a bad matrix imports nothing, not even its good rows"
    assert tenants.events.find() == []


def test_runbook_rows_without_dns_names_are_refused(tenants: TenantStore, tmp_path: Path) -> None:
    path = tmp_path / "bare.csv"
    path.write_text(
        "Tenant ID,Size,Complexity,Criticality,SLA,Wave,Priority\n"
        "T-0001,2GB,Simple,Low,Std,1,Pilot\nT-0999,2TB,Complex,Critical,Ent,4,Wave-4\n"
    )
    with pytest.raises(MatrixError) as caught:
        import_matrix(tenants, path)
    (problem,) = caught.value.problems
    assert "row 1: no 'DNS name' column" in problem and "found: Tenant ID, Size" in problem


def test_missing_required_columns_and_ragged_rows() -> None:
    with pytest.raises(MatrixError, match="no 'Size', 'SLA' column"):
        parse_matrix("Tenant ID,DNS name\nT-1,a.example.com\n")
    with pytest.raises(MatrixError, match="row 2: has 6 cells but the header names 4 columns"):
        parse_matrix("Tenant ID,Size,SLA,DNS name\nT-1,2GB,Std,a.example.com,x,y\n")
    with pytest.raises(MatrixError, match="the file is empty"):
        parse_matrix("")


def test_reimport_updates_matrix_fields_but_never_lifecycle_or_history(tenants: TenantStore, tmp_path: Path) -> None:
    path = tmp_path / "fleet.csv"
    path.write_text(
        f"{HEADER}\nT-0001,2GB,Std,1,t1.example.com,52.1.2.3,129.213.45.67\n"
        "T-0002,2GB,Std,1,t2.example.com,52.1.2.4,129.213.45.68\n"
    )
    import_matrix(tenants, path)
    tenants.transition("T-0001", Lifecycle.SYNCING, why="sync started")
    history = tenants.events.find(tenant_id="T-0001")

    path.write_text(f"{HEADER}\nT-0001,2GB,Prem,1,t1.example.com,52.1.2.3,129.213.45.99\n")
    preview = import_matrix(tenants, path, dry_run=True)
    assert not preview.applied
    assert preview.plan.changed == (
        ("T-0001", {"tier": ("standard", "premium"), "oci_target": ("129.213.45.67", "129.213.45.99")}),
    )
    assert preview.plan.absent == ("T-0002",)
    assert tenants.get("T-0001").oci_target == "129.213.45.67", "a dry run changes nothing"

    import_matrix(tenants, path)
    t1 = tenants.get("T-0001")
    assert (t1.tier, t1.oci_target, t1.lifecycle) == ("premium", "129.213.45.99", Lifecycle.SYNCING)
    assert tenants.events.find(tenant_id="T-0001")[: len(history)] == history
    update = tenants.events.find(tenant_id="T-0001")[-1]
    assert update.kind == "tenant.updated" and update.detail["tier"] == {"from": "standard", "to": "premium"}
    assert tenants.get("T-0002").lifecycle is Lifecycle.PENDING, "tenants absent from the file are left alone"


def test_reimporting_the_same_file_changes_nothing(tenants: TenantStore, runbook_matrix: Path) -> None:
    import_matrix(tenants, runbook_matrix)
    before = len(tenants.events.find())
    result = import_matrix(tenants, runbook_matrix)
    assert not result.applied and result.plan.unchanged == 4
    assert len(tenants.events.find()) == before


def test_unknown_columns_are_reported_not_silently_used() -> None:
    parsed = parse_matrix("Tenant ID,Size,SLA,DNS name,Wavee,Customer\nT-1,2GB,Std,a.example.com,3,Acme\n")
    assert parsed.ignored_columns == ("Wavee",)
    assert parsed.tenants[0].name == "Acme" and parsed.tenants[0].wave == 1


def test_other_cell_checks() -> None:
    text = (
        "Tenant ID,Size,SLA,DNS name,Region,Baseline error rate,Baseline p95,Complexity\n"
        "T 1,2GB,Std,not a name,US East,5,-3,Hard\n"
    )
    with pytest.raises(MatrixError) as caught:
        parse_matrix(text, source="m.csv")
    text = "\n".join(caught.value.problems)
    assert "column 'Tenant ID': 'T 1' is not a tenant ID" in text
    assert "column 'DNS name': 'not a name' is not a DNS name" in text
    assert "column 'Region': 'US East' is not a region name" in text
    assert "column 'Baseline error rate': '5' is not an error rate" in text
    assert "column 'Baseline p95': '-3' is not a latency" in text
    assert "column 'Complexity': 'Hard' is not one of Simple, Standard or Complex" in text
