"""Roll back everything in flight: the set, the DNS change per zone, and a phrase the operator types."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from cutover.console.fleet import TargetSet
from cutover.console.screens.confirm import DIALOG_BREAKPOINTS, _Reasoned, reason_field


class TypedPhrase(_Reasoned, ModalScreen[bool]):
    """Acts only once the operator has typed the phrase (`rollback 7`) and pressed Enter; Esc cancels.
    The reason comes prefilled: stopping the harm is never slowed down by typing why."""

    DEFAULT_CSS = "TypedPhrase { align: center middle; }"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = DIALOG_BREAKPOINTS
    AUTO_FOCUS = "#confirm-phrase"

    def __init__(self, targets: TargetSet, phrase: str, reason: str) -> None:
        super().__init__()
        self.targets = targets
        self.phrase = phrase
        self.asks_reason = True
        self._prefilled = reason

    def compose(self) -> ComposeResult:
        count = len(self.targets.eligible)
        with Vertical(id="confirm-box", classes="confirm many"):
            with Vertical(id="confirm-head"):
                yield Static(Text(f"{self.targets.action.upper()}: {count} tenants to AWS", style="bold reverse"))
            with VerticalScroll(id="confirm-body"):
                if self.targets.detail:
                    yield Static(self.targets.detail, markup=False)
                yield Static(Text(f"The {count} tenants:", style="bold"), classes="confirm-heading")
                yield Static("  ".join(self.targets.eligible), markup=False, id="confirm-list")
            with Vertical(id="confirm-foot"):
                yield from reason_field(self._prefilled)
                yield Static(Text.assemble("Type ", (self.phrase, "bold underline"), " and press Enter; Esc cancels."))
                yield Input(placeholder=f"type {self.phrase}", id="confirm-phrase", max_length=40)
                yield Static("", id="confirm-error")
                with Horizontal(id="confirm-buttons"):
                    yield Button("Cancel", id="cancel", variant="primary")

    @on(Input.Submitted, "#confirm-reason")
    def _reason_given(self) -> None:
        if not self.reason_missing():
            self.query_one("#confirm-error", Static).update("")
            self.query_one("#confirm-phrase", Input).focus()

    @on(Input.Submitted, "#confirm-phrase")
    def _typed(self, event: Input.Submitted) -> None:
        if " ".join(event.value.split()).lower() != self.phrase:
            shown = event.value.strip() or "nothing"
            self.query_one("#confirm-error", Static).update(
                Text(f"{shown!r} is not {self.phrase!r}: nothing done", style="bold red")
            )
            event.input.value = ""
            return
        if not self.reason_missing():
            self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
