"""Break-glass: overriding a safety rule takes a reason, and the operator sees exactly which rule it is.

The rules (migration window, enterprise approval and rehearsal, how many tenants in
flight, rollbacks tonight) are the engine's; this dialog only names the ones that
refuse the action, with their numbers, and asks why they should be broken. The
reason goes with the plan to the engine, which records each override in the audit
trail (kind `break-glass`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from cutover.actions.plan.safety import Refusal
from cutover.console.screens.confirm import DIALOG_BREAKPOINTS


class BreakGlass(ModalScreen[str | None]):
    """The refusing rules, a required reason; Cancel has the focus after the reason field."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    VERTICAL_BREAKPOINTS = DIALOG_BREAKPOINTS
    AUTO_FOCUS = "#break-glass-reason"

    def __init__(self, action: str, refusals: Sequence[Refusal]) -> None:
        super().__init__()
        self.action = action
        self.refusals = tuple(refusals)

    def compose(self) -> ComposeResult:
        rules = len(self.refusals)
        with Vertical(id="break-glass-box"):
            with Vertical(id="break-glass-head"):
                title = f"BREAK GLASS: {self.action} against {rules} safety rule{'s' * (rules != 1)}"
                yield Static(Text(title, "bold"))
            with VerticalScroll(id="break-glass-body"):
                for refusal in self.refusals:
                    yield Static(
                        Text.assemble(("overrides ", "bold"), (refusal.rule, "bold reverse"), f"\n{refusal.message}"),
                        classes="break-glass-rule",
                    )
            with Vertical(id="break-glass-foot"):
                which = "this rule" if rules == 1 else "these rules"
                yield Static(f"Why must {which} be broken? The reason, your name and the rules go in the audit trail.")
                yield Input(placeholder="reason (required)", id="break-glass-reason")
                yield Static("", id="break-glass-error")
                with Horizontal(id="break-glass-buttons"):
                    yield Button("Cancel", id="cancel", variant="primary")
                    yield Button("Override and go on", id="override", variant="error")

    @on(Input.Submitted, "#break-glass-reason")
    @on(Button.Pressed, "#override")
    def _override(self) -> None:
        reason = self.query_one("#break-glass-reason", Input).value.strip()
        if not reason:
            error = self.query_one("#break-glass-error", Static)
            error.update(Text("a reason is required: nothing is overridden without one", style="bold bright_red"))
            self.query_one("#break-glass-reason", Input).focus()
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
