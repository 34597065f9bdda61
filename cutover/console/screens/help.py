"""`?`: every key that works right now, read from the live bindings (so remapped keys show as remapped)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

SELECTION = "the marked tenants, or the one under the cursor"
# What each key is for, by its action: the group it is listed under and one line on what it does, to what.
PURPOSES = ("navigate", "select", "act", "views", "other")
HELP_LINES: dict[str, tuple[str, str]] = {
    "cursor_up": ("navigate", "the cursor one tenant up"),
    "cursor_down": ("navigate", "the cursor one tenant down"),
    "page_up": ("navigate", "the cursor one screenful up"),
    "page_down": ("navigate", "the cursor one screenful down"),
    "first": ("navigate", "the cursor to the first tenant shown"),
    "last": ("navigate", "the cursor to the last tenant shown"),
    "sort": ("navigate", "sort by the next column (attention first: in flight, faults, tonight, the rest)"),
    "sort_reverse": ("navigate", "reverse the sort order"),
    "app.command_palette": ("navigate", "commands by name, and jump to a tenant by its ID"),
    "toggle_mark": ("select", "mark or unmark the tenant under the cursor, then move down"),
    "filter": ("select", "show only the tenants matching words, state:, wave:, tier:, night:"),
    "faults": ("select", "show only tenants with a fault, and why (toggle)"),
    "tonight": ("select", "show only tonight's batch tenants, with group and expected start (toggle)"),
    "clear": ("select", "close the filter field, else clear the filter, else clear the marks"),
    "restore_marks": ("select", "bring back the marks Esc just cleared"),
    "cutover": ("act", f"cut over {SELECTION}"),
    "ramp": ("act", f"ramp traffic to OCI for {SELECTION}"),
    "rollback": ("act", f"roll back {SELECTION} (DNS to AWS)"),
    "plan_batch": ("act", f"plan tonight's batch from {SELECTION}"),
    "pause_batch": ("act", "pause or resume the newest batch"),
    "dry_run": ("act", f"dry run: what a cutover of {SELECTION} would do, changing nothing"),
    "gate": ("act", "the pre-flight gate of the tenant under the cursor (changes nothing)"),
    "acknowledge_alerts": ("act", "acknowledge the pinned alerts"),
    "app.hold_tenants": ("act", f"hold {SELECTION} out of the queue (a reason; no cutover until unheld)"),
    "app.unhold_tenants": ("act", f"put {SELECTION} back in the queue"),
    "detail": ("views", "the detail of the tenant under the cursor"),
    "jobs_view": ("views", "every job of the night, to pause, resume, abort or skip one"),
    "batch_view": ("views", "tonight's batches, group by group"),
    "alert_history": ("views", "every alert, newest first"),
    "app.open_report": ("views", "the compliance report of the tenant under the cursor, as `cutover report`"),
    "toggle_panel('alerts')": ("views", "show or hide the alerts panel"),
    "toggle_panel('waves')": ("views", "show or hide the wave summary"),
    "help": ("views", "this help"),
    "quit_console": ("other", "quit (warns first if this console leads jobs)"),
}


def bindings_table(rows: list[tuple[str, str, str]]) -> Table:
    """Rows of (key, name, what it does to what); a row with no key and "group" last is a purpose's heading."""
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=True)
    table.add_column("KEY", no_wrap=True, style="bold")
    table.add_column("DOES, TO WHAT", ratio=1)
    for key, description, note in rows:
        if not key and note == "group":
            table.add_row(Text(description.upper(), style="bold underline"), "")
            continue
        table.add_row(key, note or description)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close help"),
    ]

    def __init__(self, rows: list[tuple[str, str, str]], title: str = "Keys") -> None:
        super().__init__()
        self.rows = rows
        self.title_text = title

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(Text(self.title_text, style="bold"), id="help-title")
            yield Static(bindings_table(self.rows), id="help-table")
            yield Static(
                Text(
                    "Filter: / then words, state:ready, wave:1,2, tier:ent, night: (comma = or). Esc closes.",
                    style="dim",
                )
            )


# Textual's own bindings that do nothing useful here (the table never scrolls sideways).
NOT_IN_HELP = frozenset({"Page Left", "Page Right", "Copy selected text"})


def live_binding_rows(screen: Screen, tenant: str | None = None) -> list[tuple[str, str, str]]:
    """Key, what it does, and a note: from the bindings active now, so remaps and --read-only show;
    grouped by purpose (navigate, select, act, views). With `tenant`, the keys act on that one tenant."""
    app = screen.app
    keys: dict[tuple[str, str], list[str]] = {}
    notes: dict[tuple[str, str], str] = {}
    for active in app.active_bindings.values():
        binding = active.binding
        if binding.action in ("app.focus_next", "app.focus_previous") or binding.description in NOT_IN_HELP:
            continue
        group = (binding.description or binding.action, binding.action)
        keys.setdefault(group, []).append(app.get_key_display(binding))
        notes[group] = binding.tooltip or ("" if active.enabled else "unavailable now")
    order = {action: index for index, action in enumerate(HELP_LINES)}
    grouped: dict[str, list[tuple[int, str, str, str]]] = {purpose: [] for purpose in PURPOSES}
    for (name, action), shown in keys.items():
        purpose, line = HELP_LINES.get(action, ("other", notes[(name, action)]))
        if tenant is not None:
            line = line.replace(SELECTION, tenant).replace("the tenant under the cursor", tenant)
        if notes[(name, action)] == "unavailable now":
            line = f"{line} (unavailable now)".lstrip()
        rank = order.get(action, len(order))
        grouped[purpose].append((rank, ", ".join(dict.fromkeys(shown)), name, line))
    rows: list[tuple[str, str, str]] = []
    for purpose in PURPOSES:
        if grouped[purpose]:
            rows.append(("", purpose, "group"))
            rows.extend((key, name, line) for _, key, name, line in sorted(grouped[purpose]))
    return rows
