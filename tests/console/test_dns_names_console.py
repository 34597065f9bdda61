"""A tenant with several DNS names in the console: the fleet's DNS column shows `split` when its names
disagree (never one name's share), and the detail view lists every name with where it sends traffic,
its record and its propagation, at 120x35 and 80x24."""

from __future__ import annotations

import pytest
from pilot_helpers import screen_lines, until

from cutover.actions.plan.operations import Operations
from cutover.actions.plan.plans import PlanRequest
from cutover.config.tenant_spec import MATRIX_FIELDS, TenantSpec
from cutover.console.controller.planning import prepare
from cutover.console.screens.detail import TenantDetailScreen
from cutover.console.widgets.fleet_table import FleetTable
from cutover.model.jobs import JobKind
from cutover.model.tenant import NameSeen, names_seen_json

pytestmark = pytest.mark.asyncio


def with_api_name(writer, tenant_id: str) -> str:
    """Re-import the tenant with `api.<its name>` as an extra DNS name; returns that name."""
    tenant = writer.tenants.get(tenant_id)
    api = f"api.{tenant.dns_name}"
    spec = TenantSpec(**{**{name: getattr(tenant, name) for name in MATRIX_FIELDS}, "extra_dns_names": api})
    plan = writer.tenants.plan_import((spec,), source="night.csv", only={"extra_dns_names"})
    writer.tenants.apply_import(plan, (spec,), "2" * 64)
    return api


@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_a_split_tenant_shows_split_and_its_detail_lists_both_names(make_app, writer, size) -> None:
    tenant = next(t for t in writer.tenants.find() if t.lifecycle.value == "ready")
    api = with_api_name(writer, tenant.tenant_id)
    now = writer.clock.now()
    seen = [
        NameSeen(tenant.dns_name, "", f"{tenant.oci_target} (TTL 60)", 1.0, 60, now - 5, True),
        NameSeen(api, "", f"{tenant.aws_target} (TTL 60)", 0.0, 60, now - 5),
    ]
    writer.tenants.observe(
        tenant.tenant_id,
        dns_names_seen=names_seen_json(seen),
        dns_oci_share=0.0,
        dns_routing=f"split: {tenant.dns_name} {tenant.oci_target} (TTL 60); {api} {tenant.aws_target} (TTL 60)",
        dns_at=now - 5,
    )
    writer.events.append(
        "dns.propagated",
        f"{tenant.tenant_id}: {tenant.dns_name} propagated 58s (2/2 servers): ...",
        tenant_id=tenant.tenant_id,
        detail={"name": tenant.dns_name, "summary": "propagated 58s (2/2 servers)"},
    )
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await app.refresh_now()
        await pilot.pause()
        table = app.screen.query_one(FleetTable)
        table.move_cursor_to(tenant.tenant_id)
        await until(pilot, lambda: any(tenant.tenant_id in line and "split/" in line for line in screen_lines(app)))
        await pilot.press("enter")
        assert isinstance(app.screen, TenantDetailScreen)
        app.screen.refresh_now()
        await until(pilot, lambda: any("DNS names (moved together)" in line for line in screen_lines(app)))
        lines = [" ".join(line.split()) for line in screen_lines(app)]
        own = next(line for line in lines if line.startswith(f"{tenant.dns_name} "))
        assert own.startswith(f"{tenant.dns_name} OCI {tenant.oci_target} (TTL 60), propagated 58s"), lines
        other = next(line for line in lines if line.startswith(f"{api} "))
        assert other.startswith(f"{api} AWS {tenant.aws_target} (TTL 60)"), lines
        # The gate's dns check names the name that is not on AWS.
        assert any(f"dns fail {tenant.dns_name} already sends 100 % to OCI" in line for line in lines)


async def test_the_cutover_dialog_says_every_name_moves_together(writer) -> None:
    """What the `c` and `R` dialogs show above the reason: every name of the tenant, moved in one change set
    per zone (a rollback's dialog lists them per zone already)."""
    tenant = next(t for t in writer.tenants.find() if t.lifecycle.value == "ready")
    api = with_api_name(writer, tenant.tenant_id)
    now = writer.clock.now()
    on_aws = [NameSeen(name, "", f"{tenant.aws_target} (TTL 60)", 0.0, 60, now - 5) for name in (tenant.dns_name, api)]
    writer.tenants.observe(tenant.tenant_id, dns_names_seen=names_seen_json(on_aws), dns_oci_share=0.0, dns_at=now - 5)
    for kind in (JobKind.FLIP, JobKind.RAMP):
        prepared = prepare(Operations(writer), PlanRequest(kind, (tenant.tenant_id,)))
        assert (
            f"{tenant.tenant_id}: its 2 DNS names move together, one change set per zone ({tenant.dns_name}, {api})"
            in prepared.targets.detail.splitlines()
        ), prepared.targets.detail
