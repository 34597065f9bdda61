"""Confirmations: one tenant gets yes/no with Cancel focused; many get the frozen set and a typed count.

An action's dialog also asks why: the reason goes in the audit trail with the
action (`reason=""` asks for one and refuses to go on without it; a rollback's or
a pause's reason comes prefilled, so stopping the harm stays one key and a Tab
away, and the operator may overwrite it). `reason=None` asks nothing (quitting).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from cutover.console.fleet import TargetSet

REASON_MISSING = "give a reason: it goes in the audit trail with the action"


def reason_field(prefilled: str) -> ComposeResult:
    yield Static("Reason (goes in the audit trail):", classes="confirm-reason-label")
    yield Input(prefilled, placeholder="why, for the audit trail", id="confirm-reason")


class _Reasoned:
    """The reason field shared by both dialogs."""

    asks_reason: bool

    @property
    def reason(self) -> str:
        """What the operator typed (or left prefilled), stripped; empty when the dialog asks none."""
        if not self.asks_reason:
            return ""
        return self.query_one("#confirm-reason", Input).value.strip()  # type: ignore[attr-defined]

    def reason_missing(self) -> bool:
        """True, with the inline message and the focus on the field, when a required reason is empty."""
        if not self.asks_reason or self.reason:
            return False
        self.query_one("#confirm-error", Static).update(Text(REASON_MISSING, style="bold red"))  # type: ignore[attr-defined]
        self.query_one("#confirm-reason", Input).focus()  # type: ignore[attr-defined]
        return True


def needs_typed_count(targets: TargetSet) -> bool:
    """Many tenants, or a rollback of more than one, must be confirmed by typing the count."""
    return len(targets.eligible) > 1


class ConfirmOne(_Reasoned, ModalScreen[bool]):
    """Yes/no for one tenant. Cancel has the focus: Enter alone never acts."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, targets: TargetSet, reason: str | None = None) -> None:
        super().__init__()
        self.targets = targets
        self.asks_reason = reason is not None
        self._prefilled = reason or ""

    def compose(self) -> ComposeResult:
        tenant = self.targets.eligible[0]
        with Vertical(id="confirm-box", classes="confirm"):
            yield Static(Text.assemble((f"{self.targets.action.capitalize()} ", "bold"), (tenant, "bold reverse")))
            if self.targets.detail:
                yield Static(self.targets.detail, markup=False)
            if self.targets.excluded:
                yield Static(Text(self.targets.summary(), style="yellow"))
            if self.asks_reason:
                yield from reason_field(self._prefilled)
            yield Static("", id="confirm-error")
            with Horizontal(id="confirm-buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button(f"{self.targets.action.capitalize()} {tenant}", id="confirm", variant="error")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#confirm")
    @on(Input.Submitted, "#confirm-reason")
    def _confirm(self) -> None:
        if not self.reason_missing():
            self.dismiss(True)

    def on_key(self, event: events.Key) -> None:
        """Typing goes into the reason wherever the focus is, so a sentence never closes the dialog half-way
        (and its rest never falls through to the fleet's keys). Without a reason to ask, n is No."""
        if isinstance(self.focused, Input) or not event.is_printable or event.character is None:
            return
        if not self.asks_reason:
            if event.character == "n":
                event.stop()
                self.action_cancel()
            return
        event.stop()
        event.prevent_default()
        field = self.query_one("#confirm-reason", Input)
        if field.value == self._prefilled:  # a prefilled reason is replaced, as a selected one would be
            field.value = ""
        field.select_on_focus = False
        field.focus()
        field.cursor_position = len(field.value)
        field.insert_text_at_cursor(event.character)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class ConfirmMany(_Reasoned, ModalScreen[bool]):
    """The frozen target set, and the operator types how many tenants it is to go ahead."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, targets: TargetSet, reason: str | None = None) -> None:
        super().__init__()
        self.targets = targets
        self.asks_reason = reason is not None
        self._prefilled = reason or ""

    def compose(self) -> ComposeResult:
        count = len(self.targets.eligible)
        with Vertical(id="confirm-box", classes="confirm many"):
            yield Static(Text(f"{self.targets.action.capitalize()} {count} tenants", style="bold"))
            yield Static(Text(self.targets.summary(), style="yellow" if self.targets.excluded else ""))
            if self.targets.detail:
                yield Static(self.targets.detail, markup=False)
            with VerticalScroll(id="confirm-list"):
                yield Static("  ".join(self.targets.eligible), markup=False)
            if self.asks_reason:
                yield from reason_field(self._prefilled)
            yield Static(f"Type {count} and press Enter to {self.targets.action}; Esc cancels.")
            yield Input(placeholder=f"type {count}", id="confirm-count", restrict=r"[0-9]*", max_length=6)
            yield Static("", id="confirm-error")
            with Horizontal(id="confirm-buttons"):
                yield Button("Cancel", id="cancel", variant="primary")

    def on_mount(self) -> None:
        # The reason first when there is none yet; then the count. Typing alone never acts.
        first = "#confirm-reason" if self.asks_reason and not self._prefilled else "#confirm-count"
        self.query_one(first, Input).focus()

    @on(Input.Submitted, "#confirm-reason")
    def _reason_given(self) -> None:
        if not self.reason_missing():
            self.query_one("#confirm-error", Static).update("")
            self.query_one("#confirm-count", Input).focus()

    @on(Input.Submitted, "#confirm-count")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() != str(len(self.targets.eligible)):
            error = self.query_one("#confirm-error", Static)
            error.update(
                Text(f"{event.value or 'nothing'} is not {len(self.targets.eligible)}: nothing done", style="bold red")
            )
            event.input.value = ""
            return
        if not self.reason_missing():
            self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
