"""Display rows, filters and target sets: what the operator reads in each cell."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cutover.console.fleet.filters import FilterError, parse_filter
from cutover.console.fleet.rows import RowContext, build_row
from cutover.model.lifecycle import Lifecycle
from cutover.state.tenants import TenantStore


def test_stale_metrics_are_never_shown_as_current(session, fleet_clock) -> None:
    tenants = TenantStore(session.store, session.events)
    tenant = next(t for t in tenants.find() if t.lifecycle is Lifecycle.MONITORING)
    fresh = build_row(tenant, RowContext(now=fleet_clock.now()))
    assert not fresh.cell("errors").text.strip().endswith("?")
    assert fresh.cell("errors").style != "stale"
    later = build_row(tenant, RowContext(now=fleet_clock.now() + 600))
    for key in ("errors", "p95", "traffic", "backends"):
        assert later.cell(key).style == "stale", key
        assert later.cell(key).text.strip().endswith("?"), key
    assert later.fault == "stale 10m"


def test_traffic_shows_dns_share_next_to_observed(session, fleet_clock) -> None:
    tenants = TenantStore(session.store, session.events)
    tenant = next(t for t in tenants.find() if t.lifecycle is Lifecycle.MONITORING)
    tenant = replace(tenant, dns_oci_share=0.25, observed_oci_share=0.1)
    cell = build_row(tenant, RowContext(now=fleet_clock.now())).cell("traffic")
    assert cell.text.strip() == "25/ 10%"
    assert cell.style == "warn"  # DNS says one thing, the traffic another


def test_filter_words_and_keys() -> None:
    f = parse_filter("wave:1,2 state:ready tier:ent  t-00")
    assert f.waves == {1, 2}
    assert f.states == {Lifecycle.READY}
    assert f.tiers == {"enterprise"}
    assert f.words == ("t-00",)
    assert parse_filter("state:cut").states == {Lifecycle.CUTTING_OVER}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("color:red", "color: is not a filter"),
        ("wave:one", "wave:one is not a wave number"),
        ("state:done", "state:done matches no state"),
        ("tier:gold", "tier:gold matches no tier"),
        ("state:", "state: needs a value"),
    ],
)
def test_bad_filters_say_what_to_write(text: str, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse_filter(text)


def test_a_war_rooms_console_says_whose_a_tenant_outside_its_part_is(session, fleet_clock) -> None:
    """Several war rooms on one store (config/war_room.py): the next step of another part's tenant is not this
    console's to take, and says whose it is, or that no war room leads it (nothing polls it, nothing rolls it
    back); its fault is still the tenant's, and this war room's own tenants read as before."""
    from cutover.config.war_room import WarRoom

    tenants = TenantStore(session.store, session.events)
    ready = next(t for t in tenants.find() if t.lifecycle is Lifecycle.READY)
    here = WarRoom("here", frozenset({ready.region + "-not"}))
    owner = WarRoom("amer", frozenset({ready.region}))
    now = fleet_clock.now()
    step = build_row(ready, RowContext(now=now)).cell("next").text  # "final sync", "cut over"...
    assert build_row(ready, RowContext(now=now, war_room=owner)).cell("next").text == step
    owned = build_row(ready, RowContext(now=now, war_room=here, others=(owner,)))
    assert owned.cell("next").text == f"war room amer: {step}"
    assert owned.cell("next").style == "dim" and "war room amer" in owned.search_text
    nobodys = build_row(ready, RowContext(now=now, war_room=here))
    assert nobodys.cell("next").text == f"no war room leads it: {step}"
    assert nobodys.cell("next").style == "warn"
    failed = next(t for t in tenants.find() if t.lifecycle is Lifecycle.FAILED)
    assert build_row(failed, RowContext(now=now, war_room=here)).fault == build_row(failed, RowContext(now=now)).fault
