"""What a refresh writes to the terminal: one repaint region per changed row, not one per changed cell."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from pilot_helpers import screen_lines
from textual.app import App, ComposeResult

from cutover.console.fleet.columns import FleetRow
from cutover.console.fleet.rows import RowContext, build_row
from cutover.console.widgets.fleet_table import FleetTable
from cutover.model.lifecycle import Lifecycle
from cutover.state.tenants import TenantStore

pytestmark = pytest.mark.asyncio

MOVE = re.compile(r"\x1b\[(\d+);(\d+)H")  # the cursor moved to (line, column), both from 1


class Terminal(App[None]):
    """The fleet table alone; `_display` keeps what the terminal would receive."""

    def __init__(self, rows: list[FleetRow]) -> None:
        super().__init__()
        self.rows = rows
        self.written: list[str] = []

    def compose(self) -> ComposeResult:
        yield FleetTable()

    def on_mount(self) -> None:
        self.query_one(FleetTable).update_rows({row.tenant_id: row for row in self.rows})

    def _display(self, screen, renderable) -> None:
        if renderable is not None:
            self.written.append(renderable.render_segments(self.console))


async def test_a_row_with_several_changed_cells_is_written_as_one_run(session, fleet_clock) -> None:
    tenants = TenantStore(session.store, session.events).find()
    context = RowContext(now=fleet_clock.now())
    rows = [build_row(tenant, context) for tenant in tenants]
    app = Terminal(rows)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause()
        table = app.query_one(FleetTable)
        shown = table.visible_ids[:30]
        changed_ids = [
            tid for tid in shown if next(t for t in tenants if t.tenant_id == tid).lifecycle is Lifecycle.MONITORING
        ][:3]
        assert len(changed_ids) >= 2, "the fleet has tenants on OCI on screen"
        changed = {}
        for tid in changed_ids:
            tenant = next(t for t in tenants if t.tenant_id == tid)
            moved = replace(tenant, observed_oci_share=0.37, error_rate=0.0371, p95_ms=4321.0)
            new = build_row(moved, context)
            old = table.row(tid)
            assert old is not None
            assert sum(a != b for a, b in zip(old.cells, new.cells, strict=True)) >= 3  # traffic, errors, p95
            changed[tid] = new
        app.written.clear()
        table.update_rows(changed)
        await pilot.pause()
        frame = "".join(app.written)

    lines = sorted(int(line) for line, _ in MOVE.findall(frame))
    expected = sorted(table.visible_ids.index(tid) + 2 for tid in changed_ids)  # the header is line 1
    assert lines == expected  # one cursor move per changed row, none per cell
    assert frame.count("4.32s") == frame.count("3.71%") == len(changed_ids)  # the new figures, once a row


async def test_a_changed_row_that_keeps_its_line_while_the_rows_around_it_move_is_repainted(
    session, fleet_clock
) -> None:
    """The cursor's tenant keeps its screen line when the order moves around it (here a tenant below it sorts
    elsewhere); its own new figures must still reach the screen, not wait for the cursor to leave it."""
    tenants = {tenant.tenant_id: tenant for tenant in TenantStore(session.store, session.events).find()}
    context = RowContext(now=fleet_clock.now())
    app = Terminal([build_row(tenant, context) for tenant in tenants.values()])
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause()
        table = app.query_one(FleetTable)
        table.set_sort("p95")
        first, _, moving = table.visible_ids[:3]
        assert table.move_cursor_to(first)
        await pilot.pause()
        assert screen_lines(app)[1].startswith(f" ▶{first}")
        slowest = max(tenant.p95_ms or 0.0 for tenant in tenants.values())
        changed = {
            # the cursor's tenant: new errors and traffic, the same p95 (it keeps its place)
            first: build_row(replace(tenants[first], observed_oci_share=0.37, error_rate=0.0371), context),
            # a tenant two lines below: slower than any, it sorts to the other end
            moving: build_row(replace(tenants[moving], p95_ms=slowest + 1000.0), context),
        }
        table.update_rows(changed)
        await pilot.pause()
        assert table.visible_ids[0] == first and moving not in table.visible_ids[:30]
        line = screen_lines(app)[1]
        assert line.startswith(f" ▶{first}") and "3.71%" in line, line
