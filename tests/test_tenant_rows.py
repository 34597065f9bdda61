"""A tenant read from the store is the tenant that was written, whichever way the row is read (issue 17: the
engine and the console read 50,000 of them a page at a time, through a builder made once per column list)."""

from __future__ import annotations

import dataclasses

import pytest

from cutover.config.matrix import parse_matrix
from cutover.model.lifecycle import Lifecycle, SyncHealth
from cutover.model.tenant import Tenant
from cutover.state.store import Store
from cutover.state.tenants import READINGS, TenantStore

pytestmark = pytest.mark.both_stores

MATRIX = (
    "Tenant ID,Size,SLA,DNS name,Region,Extra DNS names\n"
    "T-0001,2GB,Std,t1.example.com,eu-frankfurt-1,\n"
    "T-0002,40GB,Premium,t2.example.com,us-east-1,api.t2.example.com\n"
)


def _imported(tenants: TenantStore) -> None:
    parsed = parse_matrix(MATRIX)
    tenants.apply_import(tenants.plan_import(parsed.tenants, "m.csv"), parsed.tenants, "x")


def test_every_read_of_a_tenant_gives_every_field_as_written(tenants: TenantStore) -> None:
    _imported(tenants)
    tenants.transition("T-0002", Lifecycle.SYNCING, why="test")
    tenants.observe_many(
        {"T-0002": {"sync_health": SyncHealth.CONTINUOUS, "sync_percent": 100.0, "observed_at": 7.5, "requests": 3.0}}
    )
    one = tenants.get("T-0002")
    assert one.lifecycle is Lifecycle.SYNCING and one.sync_health is SyncHealth.CONTINUOUS
    assert (one.sync_percent, one.observed_at, one.requests, one.region) == (100.0, 7.5, 3.0, "us-east-1")
    assert one.extra_dns_names == "api.t2.example.com" and len(one.dns_names) == 2
    # The same tenant by every reader: by ID, by query, a page at a time, from raw rows in another column order.
    columns, rows = tenants.raw()
    reordered = list(reversed(columns))
    from_reordered = Tenant.from_rows(reordered, [tuple(reversed(row)) for row in rows])
    by_page = [tenant for page in tenants.pages(1) for tenant in page]
    assert tenants.find(lifecycle=Lifecycle.SYNCING) == [one]
    assert by_page[1] == from_reordered[1] == Tenant.from_rows(columns, rows)[1] == one
    # As the dataclass's own constructor makes it from the same values.
    assert one == Tenant(**{field.name: getattr(one, field.name) for field in dataclasses.fields(Tenant)})
    assert dataclasses.replace(one, sync_percent=50.0).sync_percent == 50.0 and one.sync_percent == 100.0


def test_a_tenant_read_from_the_store_cannot_be_changed_in_place(tenants: TenantStore) -> None:
    _imported(tenants)
    tenant = tenants.get("T-0001")
    with pytest.raises(dataclasses.FrozenInstanceError):
        tenant.wave = 9  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        tenant.note = "x"  # type: ignore[attr-defined]  # no __dict__: a Tenant is its slots
    assert tenants.get("T-0001").wave == tenant.wave


def test_a_row_with_a_lifecycle_this_version_does_not_know_names_it(store: Store, tenants: TenantStore) -> None:
    _imported(tenants)
    with store.write() as db:
        db.execute("UPDATE tenants SET lifecycle = 'teleporting' WHERE tenant_id = 'T-0001'")
    with pytest.raises(ValueError, match="'teleporting' is not a valid Lifecycle"):
        tenants.get("T-0001")
    assert tenants.get("T-0002").lifecycle is Lifecycle.PENDING


def test_columns_that_are_not_a_tenant_row_are_refused_naming_the_field() -> None:
    columns, row = ["tenant_id", "lifecycle", "sync_health"], ("T-1", "pending", "")
    with pytest.raises(TypeError, match="missing"):
        Tenant.from_rows(columns, [row])


def test_a_tenant_read_without_its_readings_has_none_of_them_and_everything_else(tenants: TenantStore) -> None:
    """The engine's copy of the fleet reads tenants' rows alone (`readings=False`): their readings are None."""
    _imported(tenants)
    tenants.transition("T-0002", Lifecycle.SYNCING, why="test")
    tenants.observe_many({"T-0002": {"sync_health": SyncHealth.CONTINUOUS, "sync_percent": 100.0, "requests": 3.0}})
    full = tenants.get("T-0002")
    (rowless,) = [t for page in tenants.pages(5, readings=False) for t in page if t.tenant_id == "T-0002"]
    columns, rows = next(tenants.raw_row_pages(["T-0002"], readings=False))
    assert not READINGS & set(columns)
    assert Tenant.from_rows(columns, rows, unread=READINGS) == [rowless]
    assert rowless == dataclasses.replace(full, **dict.fromkeys(READINGS))
    assert rowless.sync_health is SyncHealth.CONTINUOUS and rowless.sync_percent is None
    with pytest.raises(ValueError, match="both read and not read: sync_percent"):
        Tenant.from_rows([*columns, "sync_percent"], [(*rows[0], 1.0)], unread=READINGS)
    with pytest.raises(TypeError, match="missing"):  # a row without its readings, not said: refused
        Tenant.from_rows(columns, rows)


def test_tenants_read_from_the_store_share_one_copy_of_their_few_valued_fields(tenants: TenantStore) -> None:
    """The store hands back a new string for every value of every row: 50,000 tenants held 50,000 copies of their
    region, tier, zone and import source (about 20 MB of the engine's copy of the fleet)."""
    parsed = parse_matrix(
        "Tenant ID,Size,SLA,DNS name,Region\n"
        + "".join(f"T-{n:04d},2GB,Std,t{n}.example.com,eu-frankfurt-1\n" for n in range(1, 4))
    )
    tenants.apply_import(tenants.plan_import(parsed.tenants, "m.csv"), parsed.tenants, "x")
    one, two, three = tenants.find()
    for name in ("region", "tier", "complexity", "import_source", "hosted_zone"):
        assert getattr(one, name) == getattr(two, name) == getattr(three, name)
        assert getattr(one, name) is getattr(two, name) is getattr(three, name), name
    assert one.region == "eu-frankfurt-1" and one.import_source == "m.csv"
    assert one.dns_name is not two.dns_name  # a tenant's own values are its own


def test_a_tenant_without_its_readings_row_is_still_read_with_no_readings(store: Store, tenants: TenantStore) -> None:
    """Every tenant has a readings row; one that had not would be shown with no readings, never hidden."""
    _imported(tenants)
    tenants.observe("T-0001", requests=3.0, metrics_at=7.5)
    with store.write() as db:
        db.execute("DELETE FROM tenant_readings WHERE tenant_id = 'T-0001'")
    assert [tenant.tenant_id for tenant in tenants.find()] == ["T-0001", "T-0002"]
    assert [tenant.tenant_id for page in tenants.pages(1) for tenant in page] == ["T-0001", "T-0002"]
    one = tenants.get("T-0001")
    assert (one.requests, one.metrics_at, one.region) == (None, None, "eu-frankfurt-1")
