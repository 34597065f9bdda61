"""The tenant detail shows DNS readiness (the gate's dns check) and, after a change, each server's answer
(the engine's `dns.propagated` event), at 120x35 and 80x24."""

from __future__ import annotations

import pytest
from pilot_helpers import screen_lines, until

from cutover.console.screens.detail import TenantDetailScreen
from cutover.console.widgets.fleet_table import FleetTable

pytestmark = pytest.mark.asyncio


@pytest.mark.slow  # over a second
@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_detail_shows_dns_readiness_and_propagation_per_server(make_app, writer, size) -> None:
    tenant = next(t for t in writer.tenants.find() if t.lifecycle.value == "ready")
    now = writer.clock.now()
    # The TTL lowered from an hour 2 minutes ago: blocked by dns until the hour has passed.
    writer.tenants.observe(
        tenant.tenant_id, dns_ttl=60, dns_ttl_since=now - 120, dns_ttl_before=3600, dns_ttl_safe_at=now + 3480
    )
    writer.events.append(
        "dns.propagated",
        f"{tenant.tenant_id}: {tenant.dns_name} propagated 58s (2/2 servers): "
        "10.0.0.53 authoritative: 129.213.0.1 after 0s; 10.0.0.54 resolver: 129.213.0.1 after 58s",
        tenant_id=tenant.tenant_id,
    )
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await app.refresh_now()
        await pilot.pause()
        table = app.screen.query_one(FleetTable)
        table.move_cursor_to(tenant.tenant_id)
        await pilot.press("enter")
        assert isinstance(app.screen, TenantDetailScreen)
        app.screen.refresh_now()
        await until(pilot, lambda: any("TTL 60 s for 2m" in line for line in screen_lines(app)))
        text = " ".join(" ".join(screen_lines(app)).split())
        assert "dns fail" in text and "(was 3600 s): ready at" in text
        await pilot.press("end")
        await until(pilot, lambda: any("propagated 58s" in line for line in screen_lines(app)))
        text = " ".join(" ".join(screen_lines(app)).split())
        assert "10.0.0.54 resolver: 129.213.0.1 after 58s" in text
