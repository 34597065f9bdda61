"""Keys never act by accident: what is typed after a key that opens a field or dialog goes there.

Over a laggy SSH link `/pacific` arrives in one read. Each test sends its keys as such a read would: all of
them queued before the console handles the first (`burst`), or through the pilot without a pause between them.
"""

from __future__ import annotations

import pytest
from pilot_helpers import burst, until
from textual.command import CommandPalette
from textual.widgets import Input

from cutover.console.screens.confirm import ConfirmMany, ConfirmOne
from cutover.console.screens.main import MainScreen
from cutover.console.widgets.fleet_table import FleetTable
from cutover.model.lifecycle import Lifecycle

pytestmark = pytest.mark.asyncio

SIZES = [(120, 35), (80, 24)]


async def started(app, pilot) -> FleetTable:
    await app.refresh_now()
    await pilot.pause()
    assert isinstance(app.screen, MainScreen)
    return app.screen.query_one(FleetTable)


def notified(app, text: str) -> bool:
    return any(text in n.message for n in app._notifications)


def untouched(app, table: FleetTable, sort: tuple[str, bool], alerts_shown: bool) -> None:
    """Nothing behind the field acted: no screen opened, the sort, the alerts panel and the store as they were."""
    assert isinstance(app.screen, MainScreen)
    assert (table.sort_column, table.sort_reverse) == sort
    assert app.screen.panel_shown("alerts") == alerts_shown
    assert table.marked == frozenset()
    assert app.operations.jobs.find() == []
    assert not any(n.title == "Refused" for n in app._notifications)


@pytest.mark.parametrize("size", SIZES)
async def test_a_word_typed_in_one_read_after_slash_goes_into_the_filter(make_app, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        table = await started(app, pilot)
        ready = next(t for t in table.visible_ids if table.row(t).lifecycle is Lifecycle.READY)
        table.move_cursor_to(ready)  # c here would open the cut-over dialog, p the pause, a the alerts...
        before = (table.sort_column, table.sort_reverse), app.screen.panel_shown("alerts")
        await burst(pilot, "/", *"pacific")
        field = app.screen.query_one("#filter", Input)
        assert field.value == "pacific"
        untouched(app, table, *before)
        await pilot.press("enter")
        assert table.fleet_filter.text == "pacific"


@pytest.mark.slow  # over a second
async def test_the_pilot_pressing_slash_and_a_word_without_pauses_fills_the_filter(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        table = await started(app, pilot)
        table.move_cursor_to(next(t for t in table.visible_ids if table.row(t).lifecycle is Lifecycle.READY))
        before = (table.sort_column, table.sort_reverse), app.screen.panel_shown("alerts")
        await pilot.press("/", "p", "a", "c", "i", "f", "i", "c")
        assert app.screen.query_one("#filter", Input).value == "pacific"
        untouched(app, table, *before)


@pytest.mark.parametrize("size", SIZES)
async def test_slash_error_enter_on_a_migrated_tenant_filters_and_never_opens_a_rollback(make_app, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        table = await started(app, pilot)
        table.move_cursor_to(next(t for t in table.visible_ids if table.row(t).lifecycle is Lifecycle.MIGRATED))
        before = (table.sort_column, table.sort_reverse), app.screen.panel_shown("alerts")
        await burst(pilot, "/", *"error", "enter")
        assert table.fleet_filter.text == "error"
        untouched(app, table, *before)


async def test_a_reason_typed_ahead_of_the_cutover_dialog_goes_into_it_and_enter_does_not_act(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        table = await started(app, pilot)
        table.move_cursor_to(next(t for t in table.visible_ids if table.row(t).cell("next").text == "cut over"))
        # c, a reason and Enter in one read: the dialog takes the reason; Enter there never submits.
        await burst(pilot, "c", *"night 3", "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
        dialog = app.screen
        await until(pilot, lambda: dialog.query_one("#confirm-reason", Input).value == "night 3")
        await pilot.pause()
        assert app.screen is dialog
        assert app.operations.jobs.find() == []
        assert table.sort_column == "attention" and table.marked == frozenset()
        # The operator's own choice: Tab to the action, Enter.
        assert app.focused.id == "cancel"
        await pilot.press("tab", "enter")
        await until(pilot, lambda: app.operations.jobs.find() != [])
        assert app.operations.jobs.find()[0].reason == "night 3"


async def test_enter_in_a_reason_reached_by_typing_keeps_cancel_and_says_how_to_go_on(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        table = await started(app, pilot)
        migrated_or_monitoring = [t for t in table.visible_ids if table.row(t).lifecycle is Lifecycle.MONITORING]
        table.move_cursor_to(migrated_or_monitoring[0])
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
        dialog = app.screen
        await pilot.press(*"5xx", "enter")  # typed: the focus went to the reason by itself
        assert app.screen is dialog and app.operations.jobs.find() == []
        assert app.focused.id == "cancel"
        assert "Tab to Roll back" in str(dialog.query_one("#confirm-error").render())
        await pilot.press("enter")  # Enter again: Cancel
        assert isinstance(app.screen, MainScreen) and app.operations.jobs.find() == []


async def test_keys_typed_ahead_of_a_refused_action_are_dropped_not_given_to_the_table(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        table = await started(app, pilot)
        table.move_cursor_to(next(t for t in table.visible_ids if table.row(t).lifecycle is Lifecycle.PENDING))
        before = (table.sort_column, table.sort_reverse), app.screen.panel_shown("alerts")
        await burst(pilot, "c", "s", "a", "space")  # sort, alerts, mark: all meant for a dialog that never opens
        await until(pilot, lambda: any(n.title == "Refused" for n in app._notifications))
        await until(pilot, lambda: not app.typeahead.holding)
        assert (table.sort_column, table.sort_reverse) == before[0]
        assert app.screen.panel_shown("alerts") == before[1]
        assert table.marked == frozenset()
        assert notified(app, "3 keys typed while the cut over confirmation was opening ignored")


async def test_a_word_typed_in_one_read_after_colon_goes_into_the_palette(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        table = await started(app, pilot)
        sort = table.sort_column
        await burst(pilot, ":", *"sort")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        palette_input = app.screen.query_one(Input)
        await until(pilot, lambda: palette_input.value == "sort")
        assert table.sort_column == sort


async def test_the_cursor_moves_and_marks_typed_ahead_of_c_are_what_c_acts_on(make_app) -> None:
    """Down, Down, space, Down, space, c in one read: c acts on the two marked tenants, never on the row the
    cursor was on when the read arrived."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = await started(app, pilot)
        ready = [t for t in table.visible_ids if table.row(t).cell("next").text == "cut over"][:2]
        table.move_cursor_to(table.visible_ids[0])
        await pilot.pause()
        start = table.visible_ids.index(ready[0])
        gap = table.visible_ids.index(ready[1]) - start - 1
        keys = ["down"] * start + ["space"] + ["down"] * gap + ["space", "c"]
        await burst(pilot, *keys)
        await until(pilot, lambda: isinstance(app.screen, ConfirmMany) or app._notifications)
        assert table.marked == frozenset(ready)
        assert isinstance(app.screen, ConfirmMany), [n.message for n in app._notifications]
        assert app.screen.targets.eligible == tuple(sorted(ready))


async def test_enter_then_c_in_one_read_cuts_over_the_tenant_whose_detail_opened(make_app) -> None:
    from cutover.console.screens.detail import TenantDetailScreen

    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        table = await started(app, pilot)
        ready = next(t for t in table.visible_ids if table.row(t).cell("next").text == "cut over")
        table.move_cursor_to(ready)
        await pilot.pause()
        await burst(pilot, "enter", "c", *"why")
        await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
        assert isinstance(app.screen_stack[-2], TenantDetailScreen)
        assert app.screen.targets.eligible == (ready,)
        await until(pilot, lambda: app.screen.query_one("#confirm-reason", Input).value == "why")


async def test_an_opening_key_that_opens_nothing_in_its_turn_drops_the_keys_after_it_and_says_so(make_app) -> None:
    """J then c in one read: the jobs screen has no c, so nothing opens and "bad" never reaches the jobs' keys
    (b, a and d are not theirs, but x would abort a job there)."""
    from cutover.console.screens.jobs import JobsScreen

    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        await started(app, pilot)
        await burst(pilot, "J", "c", "x", "x")
        await until(pilot, lambda: isinstance(app.screen, JobsScreen))
        await until(pilot, lambda: notified(app, "2 keys typed after Cut over (c) ignored: it opens nothing here"))
        assert isinstance(app.screen, JobsScreen) and isinstance(app.screen_stack[-2], MainScreen)
