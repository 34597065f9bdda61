"""The fleet table: one line per tenant, rendered only for the rows on screen.

A Line API widget (ScrollView): `render_line` draws one visible row at a time,
so 10,000 tenants cost what 30 do. A refresh hands over only the rows that
changed; the table repaints only the rows that changed, each as one region from
its first changed cell to its last (not one region a cell), unless the change
moves rows (sort or filter), and then only the lines that now show something
else. The cursor and the marks belong to tenants, by ID: sorting, filtering
and refreshes never move them to another tenant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from cutover.console.colours import no_color_style
from cutover.console.fleet.columns import ATTENTION, BAD, COLUMN_INDEX, COLUMNS, QUEUE, Cell, FleetRow, cell_style_name
from cutover.console.fleet.filters import FleetFilter, sort_key

GUTTER = 2  # the mark and the cursor: "●▶"
MIN_FLEX = 10


@lru_cache(maxsize=256)
def cell_style(name: str, no_color: bool = False) -> Style:
    if not name:
        return Style()
    style = cell_style_name(name)
    return Style.parse(no_color_style(style) if no_color else style)


@dataclass(frozen=True)
class Placed:
    """A column as laid out at the current width."""

    index: int
    x: int
    width: int
    align: str


def layout_columns(width: int) -> tuple[Placed, ...]:
    """Fit the columns to `width`: drop the least needed first, give what is left to the flexible one."""
    kept = list(COLUMNS)

    def needed(columns: list) -> int:
        return GUTTER + sum(column.width for column in columns) + len(columns) - 1

    for column in sorted((c for c in COLUMNS if c.drop), key=lambda c: -c.drop):
        if needed(kept) <= width:
            break
        kept.remove(column)
    spare = width - needed(kept)
    placed, x = [], GUTTER
    for column in kept:
        column_width = column.width
        if column.flex:
            column_width = max(MIN_FLEX, column.width + spare)
        placed.append(Placed(COLUMN_INDEX[column.key], x, column_width, column.align))
        x += column_width + 1
    return tuple(placed)


def _fit(text: str, width: int, align: str) -> str:
    length = cell_len(text)
    if length > width:
        # Cut by characters; table text is narrow (ASCII and a few symbols).
        text = text[: max(0, width - 1)] + "…"
        length = cell_len(text)
    pad = " " * (width - length)
    return pad + text if align == "right" else text + pad


class FleetTable(ScrollView, can_focus=True):
    """The tenants, one per line. Give it rows with `update_rows`; read `cursor_id` and `marked`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
        Binding("space", "toggle_mark", "Mark", tooltip="Mark or unmark the tenant under the cursor, then move down"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {"fleet-table--header", "fleet-table--cursor", "fleet-table--mark"}

    # Reverse and bold, not a background colour: the cursor stays visible with 16 colours and NO_COLOR.
    DEFAULT_CSS = """
    FleetTable {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
    }
    FleetTable > .fleet-table--header { text-style: bold underline; }
    FleetTable > .fleet-table--cursor { text-style: reverse bold; }
    FleetTable > .fleet-table--mark { text-style: bold; color: $accent; }
    """

    class CursorMoved(Message):
        """The cursor is on another tenant (or on none)."""

        def __init__(self, table: FleetTable, tenant_id: str | None) -> None:
            super().__init__()
            self.table = table
            self.tenant_id = tenant_id

    class MarksChanged(Message):
        def __init__(self, table: FleetTable, marked: frozenset[str]) -> None:
            super().__init__()
            self.table = table
            self.marked = marked

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._rows: dict[str, FleetRow] = {}
        self._order: list[str] = []
        self._index: dict[str, int] = {}
        self._cursor_id: str | None = None
        self._marked: set[str] = set()
        self._cleared_marks: frozenset[str] = frozenset()
        # False where nothing can use marks (a read-only observer): space is not offered and marks are not drawn.
        self.marking = True
        self._filter = FleetFilter()
        self._sort_column = ATTENTION
        self._sort_reverse = False
        self._pinned: set[str] = set()  # just acted on: shown whatever the filter, until the cursor leaves them
        self._placed: tuple[Placed, ...] = ()
        self._placed_width = -1
        self._line_cache: dict[str, tuple[FleetRow, bool, bool, Strip]] = {}
        self._header: Strip | None = None
        self._style_cache: dict[str, Style] = {}

    # --- what the rest of the console reads ---------------------------------------

    @property
    def cursor_id(self) -> str | None:
        return self._cursor_id

    @property
    def cursor_row(self) -> FleetRow | None:
        return self._rows.get(self._cursor_id) if self._cursor_id else None

    @property
    def marked(self) -> frozenset[str]:
        return frozenset(self._marked)

    @property
    def visible_ids(self) -> list[str]:
        """Tenant IDs in the order shown (after filter and sort)."""
        return list(self._order)

    @property
    def top_id(self) -> str | None:
        """The first tenant shown (after filter and sort), or None when none is."""
        return self._order[0] if self._order else None

    @property
    def total(self) -> int:
        return len(self._rows)

    @property
    def all_ids(self) -> list[str]:
        """Every tenant ID read, shown or filtered out."""
        return list(self._rows)

    @property
    def sort_column(self) -> str:
        return self._sort_column

    @property
    def sort_reverse(self) -> bool:
        return self._sort_reverse

    @property
    def fleet_filter(self) -> FleetFilter:
        return self._filter

    def row(self, tenant_id: str) -> FleetRow | None:
        return self._rows.get(tenant_id)

    # --- what the rest of the console sets ---------------------------------------

    def update_rows(self, changed: Mapping[str, FleetRow], removed: Iterable[str] = ()) -> None:
        """Apply one refresh: the rows that changed (or are new) and the tenants that are gone."""
        removed = [tid for tid in removed if tid in self._rows]
        if not changed and not removed:
            return
        previous = {tid: self._rows.get(tid) for tid in changed}
        self._rows.update(changed)
        for tid in removed:
            del self._rows[tid]
            self._marked.discard(tid)
        if removed or self._moves_rows(previous, changed):
            self._reorder()
            return
        self._refresh_changed_cells(previous, changed)

    def set_filter(self, fleet_filter: FleetFilter) -> None:
        self._filter = fleet_filter
        self._pinned.clear()
        self._line_cache.clear()  # the NEXT STEP column says something else under faults only and tonight
        self._refresh_header()
        self._reorder()

    def set_sort(self, column: str, reverse: bool = False) -> None:
        if column not in COLUMN_INDEX and column not in (ATTENTION, QUEUE):
            raise ValueError(f"no column {column!r}")
        self._sort_column, self._sort_reverse = column, reverse
        self._refresh_header()
        self._reorder()

    def pin(self, tenant_ids: Iterable[str]) -> None:
        """Keep these tenants (just acted on) in view whatever the filter says, until the cursor leaves them."""
        self._pinned = {tid for tid in tenant_ids if tid in self._index}
        if self._pinned:
            self._line_cache.clear()

    @property
    def pinned(self) -> frozenset[str]:
        return frozenset(self._pinned)

    def _refresh_header(self) -> None:
        self._header = None
        self.refresh(Region(0, 0, self.size.width, 1))

    def _shown(self, row: FleetRow) -> bool:
        return row.tenant_id in self._pinned or self._filter.matches(row)

    def _next_cell(self, row: FleetRow) -> Cell:
        """The NEXT STEP column says why under faults only, and when under tonight's view."""
        if self._filter.faults_only:
            return Cell(row.fault or "-", BAD if row.fault else "dim")
        if self._filter.tonight:
            return Cell(row.tonight or "-", "" if row.tonight else "dim")
        return row.cell_at(COLUMN_INDEX["next"])

    def _next_header(self) -> str:
        if self._filter.faults_only:
            return "FAULT"
        if self._filter.tonight:
            return "TONIGHT"
        return COLUMNS[COLUMN_INDEX["next"]].header

    def clear_marks(self) -> int:
        count = len(self._marked)
        if count:
            self._cleared_marks = frozenset(self._marked)
            self._marked.clear()
            self._refresh_all_lines()
            self.post_message(self.MarksChanged(self, frozenset()))
        return count

    def restore_marks(self) -> int:
        """Put back the marks the last clear took away; how many came back."""
        restored = {tid for tid in self._cleared_marks if tid in self._rows}
        self._cleared_marks = frozenset()
        if restored:
            self.set_marks(self._marked | restored)
        return len(restored)

    def set_marks(self, tenant_ids: Iterable[str]) -> None:
        self._marked = {tid for tid in tenant_ids if tid in self._rows}
        self._refresh_all_lines()
        self.post_message(self.MarksChanged(self, frozenset(self._marked)))

    def move_cursor_to(self, tenant_id: str) -> bool:
        """Put the cursor on a tenant, if it is shown."""
        index = self._index.get(tenant_id)
        if index is None:
            return False
        self._set_cursor_index(index)
        return True

    # --- reordering and partial repaints -------------------------------------------

    def _moves_rows(self, previous: Mapping[str, FleetRow | None], changed: Mapping[str, FleetRow]) -> bool:
        sort_index = COLUMN_INDEX.get(self._sort_column, 0)
        for tid, new in changed.items():
            old = previous[tid]
            if old is None:
                return True
            if sort_index and old.sort_values[sort_index] != new.sort_values[sort_index]:
                return True
            if self._sort_column == ATTENTION and old.attention != new.attention:
                return True
            if self._filter.active and self._shown(old) != self._shown(new):
                return True
        return False

    def _visible_window(self) -> tuple[int, int]:
        """Indexes into the order of the first row on screen and one past the last."""
        top = round(self.scroll_offset.y)
        return top, top + max(0, self.size.height - 1)

    def _refresh_changed_cells(self, previous: Mapping[str, FleetRow | None], changed: Mapping[str, FleetRow]) -> None:
        top, bottom = self._visible_window()
        placed = self._columns()
        for tid, new in changed.items():
            index = self._index.get(tid)
            if index is None or not top <= index < bottom:
                continue
            old = previous[tid]
            differ = [c for c in placed if old is None or old.cell_at(c.index) != new.cell_at(c.index)]
            if differ:
                # One region a row, from its first changed cell to the end of its last: the terminal gets one
                # cursor move and one run of text per changed row, not one per changed cell.
                start = min(column.x for column in differ)
                end = max(column.x + column.width for column in differ)
                self.refresh(Region(start, index - top + 1, end - start, 1))
        if self._cursor_id in changed:
            self.post_message(self.CursorMoved(self, self._cursor_id))

    def _reorder(self) -> None:
        top, bottom = self._visible_window()
        before = self._order[top:bottom]
        cursor_line = (self._index[self._cursor_id] - top) if self._cursor_id in self._index else None
        old_cursor_index = self._index.get(self._cursor_id, 0) if self._cursor_id else 0
        old_order = self._order

        rows: Iterable[FleetRow] = self._rows.values()
        if self._filter.active:
            rows = [row for row in rows if self._shown(row)]
        ordered = sorted(rows, key=sort_key(self._sort_column), reverse=self._sort_reverse)
        self._order = [row.tenant_id for row in ordered]
        self._index = {tid: index for index, tid in enumerate(self._order)}
        self.virtual_size = Size(self.size.width, len(self._order) + 1)

        cursor_before = self._cursor_id
        if self._cursor_id not in self._index:
            # The tenant under the cursor is gone from view: the nearest one still shown, below it, else above.
            self._cursor_id = self._nearest_shown(old_order, old_cursor_index)
        if self._cursor_id is not None and cursor_line is not None and cursor_before == self._cursor_id:
            # Keep the cursor's tenant on the same screen line, so the eye does not have to find it again.
            new_top = max(0, self._index[self._cursor_id] - cursor_line)
            self._scroll_to_line(new_top)
        else:
            self._scroll_cursor_into_view()
        top, bottom = self._visible_window()
        after = self._order[top:bottom]
        if after != before:
            for offset, tid in enumerate(after):
                if offset >= len(before) or before[offset] != tid:
                    self.refresh(Region(0, offset + 1, self.size.width, 1))
            for offset in range(len(after), len(before)):
                self.refresh(Region(0, offset + 1, self.size.width, 1))
        # A tenant on the same line as before may have a new row too (the cursor's keeps its line while the
        # rows around it move): repaint it as well.
        self._refresh_lines_whose_row_changed(after, top)
        if cursor_before != self._cursor_id:
            self.post_message(self.CursorMoved(self, self._cursor_id))

    def _nearest_shown(self, old_order: list[str], old_index: int) -> str | None:
        if not self._order:
            return None
        if not old_order:
            return self._order[0]
        for tid in old_order[old_index:]:
            if tid in self._index:
                return tid
        for tid in reversed(old_order[:old_index]):
            if tid in self._index:
                return tid
        return self._order[0]

    def _refresh_lines_whose_row_changed(self, tids: list[str], top: int) -> None:
        for offset, tid in enumerate(tids):
            cached = self._line_cache.get(tid)
            if cached is None or cached[0] is not self._rows[tid]:
                self.refresh(Region(0, offset + 1, self.size.width, 1))

    def _refresh_all_lines(self) -> None:
        self.refresh(Region(0, 1, self.size.width, max(0, self.size.height - 1)))

    def _refresh_tenant_line(self, tenant_id: str | None) -> None:
        if tenant_id is None or tenant_id not in self._index:
            return
        top, bottom = self._visible_window()
        index = self._index[tenant_id]
        if top <= index < bottom:
            self.refresh(Region(0, index - top + 1, self.size.width, 1))

    # --- cursor and scrolling ---------------------------------------------------------

    def _scroll_to_line(self, top: int) -> None:
        limit = max(0, len(self._order) + 1 - self.size.height)
        self.scroll_to(y=min(top, limit), animate=False, immediate=True)

    def _scroll_cursor_into_view(self) -> None:
        if self._cursor_id is None:
            return
        index = self._index[self._cursor_id]
        top, bottom = self._visible_window()
        rows_shown = max(1, self.size.height - 1)
        if index < top:
            self._scroll_to_line(index)
        elif index >= bottom:
            self._scroll_to_line(index - rows_shown + 1)

    def _set_cursor_index(self, index: int) -> None:
        if not self._order:
            return
        index = max(0, min(index, len(self._order) - 1))
        tid = self._order[index]
        if tid == self._cursor_id:
            return
        previous = self._cursor_id
        self._cursor_id = tid
        self._refresh_tenant_line(previous)
        self._scroll_cursor_into_view()
        self._refresh_tenant_line(tid)
        self.post_message(self.CursorMoved(self, tid))
        if self._pinned and tid not in self._pinned:
            # The cursor left the tenants just acted on: the filter has its say over them again.
            self._pinned.clear()
            if self._filter.active:
                self._reorder()

    def _cursor_index(self) -> int:
        return self._index.get(self._cursor_id, 0) if self._cursor_id else 0

    def action_cursor_up(self) -> None:
        self._set_cursor_index(self._cursor_index() - 1)

    def action_cursor_down(self) -> None:
        self._set_cursor_index(self._cursor_index() + 1)

    def action_page_up(self) -> None:
        self._set_cursor_index(self._cursor_index() - max(1, self.size.height - 2))

    def action_page_down(self) -> None:
        self._set_cursor_index(self._cursor_index() + max(1, self.size.height - 2))

    def action_first(self) -> None:
        self._set_cursor_index(0)

    def action_last(self) -> None:
        self._set_cursor_index(len(self._order) - 1)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.marking if action == "toggle_mark" else True

    def action_toggle_mark(self) -> None:
        tid = self._cursor_id
        if tid is None or not self.marking:
            return
        if tid in self._marked:
            self._marked.discard(tid)
        else:
            self._marked.add(tid)
        self._refresh_tenant_line(tid)
        self.post_message(self.MarksChanged(self, frozenset(self._marked)))
        self.action_cursor_down()

    # --- sizing and rendering ----------------------------------------------------------

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self._order) + 1)
        self._scroll_cursor_into_view()

    def _columns(self) -> tuple[Placed, ...]:
        width = self._width()
        if width != self._placed_width:
            self._placed = layout_columns(width)
            self._placed_width = width
            self._line_cache.clear()
            self._header = None
        return self._placed

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._line_cache.clear()
        self._style_cache.clear()
        self._header = None

    def _component(self, name: str) -> Style:
        # Cached here: Widget.refresh() empties Textual's own cache on every partial repaint.
        style = self._style_cache.get(name)
        if style is None:
            style = self.rich_style if name == "base" else self.get_component_rich_style(name)
            self._style_cache[name] = style
        return style

    def _width(self) -> int:
        # Not size.width: the vertical scrollbar takes its share of it.
        return self.scrollable_content_region.width

    def render_line(self, y: int) -> Strip:
        placed = self._columns()
        width = self._width()
        if y == 0:
            if self._header is None:
                self._header = self._render_header(placed, width)
            return self._header
        index = round(self.scroll_offset.y) + y - 1
        if index >= len(self._order):
            return Strip.blank(width, self._component("base"))
        tid = self._order[index]
        row = self._rows[tid]
        is_cursor = tid == self._cursor_id
        is_marked = tid in self._marked
        cached = self._line_cache.get(tid)
        if cached is not None and cached[0] is row and cached[1] == is_cursor and cached[2] == is_marked:
            return cached[3]
        strip = self._render_row(row, placed, width, is_cursor, is_marked)
        self._line_cache[tid] = (row, is_cursor, is_marked, strip)
        if len(self._line_cache) > 4 * max(50, self.size.height):
            # Keep the lines on screen: a night of scrolling a large fleet would otherwise keep a rendered line
            # (segments the collector tracks) for every row ever shown.
            top, bottom = self._visible_window()
            on_screen = set(self._order[top:bottom])
            self._line_cache = {t: v for t, v in self._line_cache.items() if t in on_screen}
        return strip

    def _render_header(self, placed: tuple[Placed, ...], width: int) -> Strip:
        style = self._component("base") + self._component("fleet-table--header")
        arrow = "▼" if self._sort_reverse else "▲"
        # The attention and queue orders have no column of their own: "!" or "Q" and its arrow stand in the gutter.
        mark = {ATTENTION: "!", QUEUE: "Q"}.get(self._sort_column)
        segments = [Segment((mark + arrow) if mark else " " * GUTTER, style)]
        x = GUTTER
        for column in placed:
            spec = COLUMNS[column.index]
            label = self._next_header() if spec.key == "next" else spec.header
            if spec.key == self._sort_column:
                # The arrow is never the part cut off: the label gives way to it.
                room = column.width - 1
                label = (_fit(label, room, "left").rstrip() if room > 0 else "") + arrow
            segments.append(Segment(_fit(label, column.width, column.align), style))
            segments.append(Segment(" ", style))
            x += column.width + 1
        return self._finish(segments, x, width, style)

    def _render_row(
        self, row: FleetRow, placed: tuple[Placed, ...], width: int, is_cursor: bool, is_marked: bool
    ) -> Strip:
        base = self._component("base")
        if is_cursor:
            base = base + self._component("fleet-table--cursor")
        mark_style = base + self._component("fleet-table--mark")
        # The cursor also shows as text, not only as reverse video: NO_COLOR terminals may drop the latter.
        gutter = ("●" if is_marked else " ") + ("▶" if is_cursor else " ")
        segments = [Segment(gutter, mark_style if is_marked else base)]
        x = GUTTER
        for column in placed:
            cell = self._next_cell(row) if column.index == COLUMN_INDEX["next"] else row.cell_at(column.index)
            # The cursor row is one calm reversed bar; its colours are in the key figures below.
            style = base if is_cursor else base + cell_style(cell.style, self.app.no_color)
            segments.append(Segment(_fit(cell.text, column.width, column.align), style))
            segments.append(Segment(" ", base))
            x += column.width + 1
        return self._finish(segments, x, width, base)

    @staticmethod
    def _finish(segments: list[Segment], x: int, width: int, style: Style) -> Strip:
        if x < width:
            segments.append(Segment(" " * (width - x), style))
        return Strip(segments, max(x, width)).crop(0, width)
