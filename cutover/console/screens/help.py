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


def bindings_table(rows: list[tuple[str, str, str]]) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=True)
    table.add_column("KEY", no_wrap=True, style="bold")
    table.add_column("DOES")
    table.add_column("", style="dim")
    for key, description, note in rows:
        table.add_row(key, description, note)
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
                Text("Filter: / then words, state:ready, wave:1,2, tier:ent (comma = or). Esc closes.", style="dim")
            )


# Textual's own bindings that do nothing useful here (the table never scrolls sideways).
NOT_IN_HELP = frozenset({"Page Left", "Page Right", "Copy selected text"})


def live_binding_rows(screen: Screen) -> list[tuple[str, str, str]]:
    """Key, what it does, and a note: from the bindings active now, so remaps and --read-only show."""
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
    rows = [(", ".join(dict.fromkeys(shown)), name, notes[(name, action)]) for (name, action), shown in keys.items()]
    rows.sort(key=lambda row: row[1].lower())
    return rows
