"""The main screen: header, waves and alerts, the fleet table, the selected tenant's key figures."""

from __future__ import annotations

import time
from datetime import tzinfo
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input

from cutover.config.text import visible_lines
from cutover.console.controls import controls
from cutover.console.feed import FeedUpdate
from cutover.console.fleet.columns import SORTABLE
from cutover.console.fleet.filters import SORT_NAMES, FilterError, parse_filter
from cutover.console.keys import KEY_ACTIONS
from cutover.console.screens.help import HelpScreen, live_binding_rows
from cutover.console.screens.tenant_keys import TenantActionKeys
from cutover.console.widgets.alerts_feed import AlertsFeed
from cutover.console.widgets.fleet_table import FleetTable
from cutover.console.widgets.key_figures import KeyFigures
from cutover.console.widgets.line_stopped import LineStopped
from cutover.console.widgets.pinned_alerts import PinnedAlerts
from cutover.console.widgets.status_header import HeaderState, StatusHeader
from cutover.console.widgets.wave_summary import WaveSummaryPanel
from cutover.model.jobs import JobKind


def main_bindings() -> list[BindingType]:
    return [
        Binding(
            spec.keys,
            spec.action,
            spec.description,
            show=spec.show,
            id=spec.name,
            priority=spec.name == "quit" or spec.opens_input,
        )
        for spec in KEY_ACTIONS
    ]


MAX_TOP = 14  # waves and alerts never take more than this many lines from the table

FILTER_HINT = "filter: words, state:ready, wave:1,2, tier:ent, night:   (Enter applies, Esc cancels)"
RESTORE_MARKS_FOR = 10.0  # seconds the restore key brings back the marks Esc cleared


# Under 30 rows the panels shrink; under 110 columns the header may take two lines.
MAIN_VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
MAIN_HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]


class MainScreen(TenantActionKeys, Screen[None]):
    """Widgets render what they are given; the app feeds them once a second."""

    BINDINGS: ClassVar[list[BindingType]] = main_bindings()
    VERTICAL_BREAKPOINTS = MAIN_VERTICAL_BREAKPOINTS
    HORIZONTAL_BREAKPOINTS = MAIN_HORIZONTAL_BREAKPOINTS

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        yield LineStopped(id="line-stopped")
        with Horizontal(id="top"):
            yield WaveSummaryPanel(id="waves")
            with Vertical(id="alerts-panel"):
                yield PinnedAlerts(id="pinned")
                yield AlertsFeed(id="alerts")
        yield FleetTable(id="fleet")
        yield KeyFigures(id="figures")
        yield Input(placeholder=FILTER_HINT, id="filter")
        yield Footer(id="footer")

    def on_mount(self) -> None:
        self._marks_cleared_at: float | None = None
        # An observer acts on nothing, so it marks nothing: no space key, no marks column to wonder about.
        self.table.marking = not getattr(self.app, "read_only", False)
        self.table.focus()

    @property
    def table(self) -> FleetTable:
        return self.query_one(FleetTable)

    @property
    def alerts(self) -> AlertsFeed:
        return self.query_one(AlertsFeed)

    def panel_shown(self, panel: str) -> bool:
        if self.has_class(f"-show-{panel}"):
            return True
        if self.has_class(f"-hide-{panel}"):
            return False
        if panel == "alerts" and self.has_class("-pinned"):
            return True  # a pinned alert shows the panel, even on a short terminal, until acknowledged
        return not self.has_class("-short")

    def toggle_panel(self, panel: str) -> None:
        shown = self.panel_shown(panel)
        self.remove_class(f"-show-{panel}", f"-hide-{panel}")
        self.add_class(f"-hide-{panel}" if shown else f"-show-{panel}")
        self.fit_top()

    def fit_top(self) -> None:
        """The panels' row is as tall as the wave summary needs: no wave is ever cut off."""
        waves = self.query_one(WaveSummaryPanel)
        base = 5 if self.has_class("-short") else 6
        needed = waves.lines_needed if self.panel_shown("waves") else base
        self.query_one("#top").styles.height = min(max(base, needed), MAX_TOP)

    def on_resize(self) -> None:
        # Narrow: a compact footer without the palette's entry, so the keys up to q Quit stay on screen.
        footer = self.query_one(Footer)
        narrow = self.size.width < 110
        if footer.compact != narrow:
            footer.compact = narrow
            footer.show_command_palette = not narrow
            footer.refresh(recompose=True)
        self.fit_top()

    # --- data in ---------------------------------------------------------------------

    @property
    def pinned(self) -> PinnedAlerts:
        return self.query_one(PinnedAlerts)

    def apply_update(self, update: FeedUpdate, zone: tzinfo | None = None, acknowledge_key: str = "A") -> None:
        self.alerts.zone = zone  # alert times are shown in the migration window's zone
        self.table.update_rows(update.changed, update.removed)
        for event in update.alerts:
            self.alerts.add_event(event)
        if update.complete:
            self.pinned.show(update.pinned, zone, acknowledge_key)
            if self.has_class("-pinned") != bool(update.pinned):
                self.set_class(bool(update.pinned), "-pinned")
                self.fit_top()

    def show_header(self, state: HeaderState, stopped: list[str] | None = None) -> None:
        self.alerts.zone = state.zone
        self.query_one(StatusHeader).show(state)
        if stopped is not None:
            self.query_one(LineStopped).show(stopped)

    # --- filter ------------------------------------------------------------------------

    def open_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.value = self.table.fleet_filter.text
        field.add_class("-open")
        # Focused now, not after the next layout: the keys that follow `/` in the same read are the filter's.
        self.set_focus(field)

    def close_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.remove_class("-open")
        self.table.focus()

    @property
    def filter_open(self) -> bool:
        return self.query_one("#filter", Input).has_class("-open")

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.apply_filter(event.value)

    def go_to_tenant(self, tenant_id: str) -> None:
        """The palette's "Go to T-0555": the cursor on it, the filter cleared if it hid the tenant."""
        if not self.table.move_cursor_to(tenant_id):
            self.apply_filter("", faults_only=False)
            self.table.move_cursor_to(tenant_id)

    def apply_filter(self, text: str, *, faults_only: bool | None = None) -> bool:
        current = self.table.fleet_filter
        try:
            new = parse_filter(text, faults_only=current.faults_only if faults_only is None else faults_only)
        except FilterError as exc:
            self.app.notify(visible_lines(str(exc)), title="Filter not applied", severity="error", markup=False)
            return False
        self.table.set_filter(new)
        self.close_filter()
        return True

    def cycle_sort(self, reverse: bool = False) -> str:
        table = self.table
        if reverse:
            table.set_sort(table.sort_column, not table.sort_reverse)
        else:
            index = SORTABLE.index(table.sort_column) if table.sort_column in SORTABLE else -1
            table.set_sort(SORTABLE[(index + 1) % len(SORTABLE)], table.sort_reverse)
        return table.sort_column

    # --- keys ----------------------------------------------------------------------------

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(live_binding_rows(self), title="Keys (from the live bindings)"))

    def action_filter(self) -> None:
        self.open_filter()

    def action_faults(self) -> None:
        current = self.table.fleet_filter
        self.apply_filter(current.text, faults_only=not current.faults_only)
        self.app.notify("faults only, with why" if not current.faults_only else "all tenants", timeout=2)

    def action_tonight(self) -> None:
        """Tonight's view: the tenants a batch not ended holds or targets, with their group and time."""
        current = self.table.fleet_filter
        words = [word for word in current.text.split() if not word.lower().startswith("night:")]
        if not current.tonight:
            words.append("night:")
        if self.apply_filter(" ".join(words)):
            shown = len(self.table.visible_ids)
            if self.table.fleet_filter.tonight:
                what = f"tonight: {shown} tenant{'s' * (shown != 1)}" if shown else "tonight: no batch holds a tenant"
            else:
                what = "all tenants"
            self.app.notify(what, timeout=3)

    def action_restore_marks(self) -> None:
        cleared_at, self._marks_cleared_at = self._marks_cleared_at, None
        if cleared_at is None or time.monotonic() - cleared_at > RESTORE_MARKS_FOR:
            self.app.notify("no cleared marks to bring back", timeout=2)
            return
        restored = self.table.restore_marks()
        self.app.notify(f"{restored} mark{'s' * (restored != 1)} restored", timeout=2)

    def action_clear(self) -> None:
        """Esc: close the filter field, else clear the filter, else clear the marks."""
        if self.filter_open:
            self.close_filter()
            return
        if self.table.fleet_filter.active:
            self.apply_filter("", faults_only=False)
            self.app.notify("filter cleared", timeout=2)
            return
        cleared = self.table.clear_marks()
        if cleared:
            self._marks_cleared_at = time.monotonic()
            key = controls(self.app).key_for("restore_marks")
            self.app.notify(
                f"{cleared} mark{'s' if cleared != 1 else ''} cleared: {key} brings "
                f"{'them' if cleared != 1 else 'it'} back ({RESTORE_MARKS_FOR:.0f} s)",
                timeout=RESTORE_MARKS_FOR,
            )

    def _say_sort(self) -> None:
        table = self.table
        order = "descending" if table.sort_reverse else "ascending"
        self.app.notify(f"sorted by {SORT_NAMES[table.sort_column]}, {order}", timeout=2)

    def action_sort(self) -> None:
        self.cycle_sort()
        self._say_sort()

    def action_sort_reverse(self) -> None:
        self.cycle_sort(reverse=True)
        self._say_sort()

    def action_toggle_panel(self, panel: str) -> None:
        self.toggle_panel(panel)
        controls(self.app).show_selection()  # the header says what the panels no longer show

    def action_detail(self) -> None:
        if self.filter_open:
            return
        tenant_id = self.table.cursor_id
        if tenant_id:
            controls(self.app).open_detail(tenant_id)

    def action_batch_view(self) -> None:
        controls(self.app).open_batch_view()

    def action_jobs_view(self) -> None:
        controls(self.app).open_jobs_view()

    def action_alert_history(self) -> None:
        controls(self.app).open_alert_history()

    def action_acknowledge_alerts(self) -> None:
        controls(self.app).start_acknowledge_alerts()

    def selected_rows(self) -> tuple[list, str]:
        """The marked tenants, else the one under the cursor; and a note when marks are hidden by the filter."""
        table = self.table
        marked = table.marked
        if marked:
            rows = [row for tid in sorted(marked) if (row := table.row(tid)) is not None]
            hidden = len(marked - set(table.visible_ids))
            note = f"{hidden} of the marked tenants are hidden by the filter" if hidden else ""
            return rows, note
        row = table.cursor_row
        return ([row] if row else []), ""

    def action_plan_batch(self) -> None:
        controls(self.app).start_action(JobKind.BATCH)

    def action_pause_batch(self) -> None:
        controls(self.app).start_pause_or_resume()

    def action_quit_console(self) -> None:
        controls(self.app).request_quit()

    # --- table events ----------------------------------------------------------------------

    @on(FleetTable.CursorMoved)
    @on(FleetTable.MarksChanged)
    def _selection_changed(self) -> None:
        controls(self.app).show_selection()
