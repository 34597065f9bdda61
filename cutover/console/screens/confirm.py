"""Confirmations: one tenant gets yes/no with Cancel focused; many get the frozen set and a typed count."""

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


def needs_typed_count(targets: TargetSet) -> bool:
    """Many tenants, or a rollback of more than one, must be confirmed by typing the count."""
    return len(targets.eligible) > 1


class ConfirmOne(ModalScreen[bool]):
    """Yes/no for one tenant. Cancel has the focus: Enter alone never acts."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,n", "cancel", "Cancel")]

    def __init__(self, targets: TargetSet) -> None:
        super().__init__()
        self.targets = targets

    def compose(self) -> ComposeResult:
        tenant = self.targets.eligible[0]
        with Vertical(id="confirm-box", classes="confirm"):
            yield Static(Text.assemble((f"{self.targets.action.capitalize()} ", "bold"), (tenant, "bold reverse")))
            if self.targets.detail:
                yield Static(self.targets.detail, markup=False)
            if self.targets.excluded:
                yield Static(Text(self.targets.summary(), style="yellow"))
            with Horizontal(id="confirm-buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button(f"{self.targets.action.capitalize()} {tenant}", id="confirm", variant="error")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class ConfirmMany(ModalScreen[bool]):
    """The frozen target set, and the operator types how many tenants it is to go ahead."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, targets: TargetSet) -> None:
        super().__init__()
        self.targets = targets

    def compose(self) -> ComposeResult:
        count = len(self.targets.eligible)
        with Vertical(id="confirm-box", classes="confirm many"):
            yield Static(Text(f"{self.targets.action.capitalize()} {count} tenants", style="bold"))
            yield Static(Text(self.targets.summary(), style="yellow" if self.targets.excluded else ""))
            if self.targets.detail:
                yield Static(self.targets.detail, markup=False)
            with VerticalScroll(id="confirm-list"):
                yield Static("  ".join(self.targets.eligible), markup=False)
            yield Static(f"Type {count} and press Enter to {self.targets.action}; Esc cancels.")
            yield Input(placeholder=f"type {count}", id="confirm-count", restrict=r"[0-9]*", max_length=6)
            yield Static("", id="confirm-error")
            with Horizontal(id="confirm-buttons"):
                yield Button("Cancel", id="cancel", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#confirm-count", Input).focus()

    @on(Input.Submitted, "#confirm-count")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() == str(len(self.targets.eligible)):
            self.dismiss(True)
            return
        error = self.query_one("#confirm-error", Static)
        error.update(
            Text(f"{event.value or 'nothing'} is not {len(self.targets.eligible)}: nothing done", style="bold red")
        )
        event.input.value = ""

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
