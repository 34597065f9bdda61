"""Confirmations: one tenant gets yes/no with Cancel focused; many get the frozen set and a typed count.

An action's dialog also asks why: the reason goes in the audit trail with the
action (`reason=""` asks for one and refuses to go on without it; a rollback's or
a pause's reason comes prefilled, so stopping the harm stays one key and a Tab
away, and the operator may overwrite it). `reason=None` asks nothing (quitting).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from cutover.console.controller.targets import NAMED_EXCLUSIONS, TargetSet

REASON_MISSING = "give a reason: it goes in the audit trail with the action"


def reason_field(prefilled: str) -> ComposeResult:
    yield Static("Reason (goes in the audit trail):", classes="confirm-reason-label")
    yield Input(prefilled, placeholder="why, for the audit trail", id="confirm-reason")


# Dialogs keep what the operator acts with (reason, typed count, message, buttons) docked at the bottom of the
# box; everything else (details, groups, tenant lists, exclusions) scrolls in the bounded area above it, so a long
# batch never pushes the fields off the screen (see console.tcss).
DIALOG_BREAKPOINTS: list[tuple[int, str]] = [(0, "-short"), (30, "-tall")]


if TYPE_CHECKING:
    _Dialog = ModalScreen[bool]
else:
    _Dialog = object


class _Reasoned(_Dialog):
    """The reason field shared by both dialogs (mixed into ModalScreens; the type checker sees one)."""

    asks_reason: bool

    @property
    def reason(self) -> str:
        """What the operator typed (or left prefilled), stripped; empty when the dialog asks none."""
        if not self.asks_reason:
            return ""
        return self.query_one("#confirm-reason", Input).value.strip()

    def reason_missing(self) -> bool:
        """True, with the inline message and the focus on the field, when a required reason is empty."""
        if not self.asks_reason or self.reason:
            return False
        self.query_one("#confirm-error", Static).update(Text(REASON_MISSING, style="bold bright_red"))
        self.query_one("#confirm-reason", Input).focus()
        return True


def needs_typed_count(targets: TargetSet) -> bool:
    """Many tenants, or a rollback of more than one, must be confirmed by typing the count."""
    return len(targets.eligible) > 1


class ConfirmOne(_Reasoned, ModalScreen[bool]):
    """Yes/no for one tenant. Cancel has the focus: Enter alone never acts.

    Typing (with the focus anywhere but a field) goes into the reason; Enter there then never acts by itself:
    the focus came by typing, not by the operator's choice (type-ahead, a paste). The focus returns to Cancel
    and the message says how to go on. Enter in the reason acts only when the operator put the focus there (Tab,
    or the action button asking for a missing reason)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    VERTICAL_BREAKPOINTS = DIALOG_BREAKPOINTS
    AUTO_FOCUS = "#cancel"

    def __init__(self, targets: TargetSet, reason: str | None = None) -> None:
        super().__init__()
        self.targets = targets
        self.asks_reason = reason is not None
        self._prefilled = reason or ""
        self._typed_into_reason = False

    @property
    def action_label(self) -> str:
        return f"{self.targets.action.capitalize()} {self.targets.eligible[0]}"

    def compose(self) -> ComposeResult:
        tenant = self.targets.eligible[0]
        with Vertical(id="confirm-box", classes="confirm"):
            with Vertical(id="confirm-head"):
                yield Static(
                    Text.assemble((f"{self.targets.action.capitalize()} ", "bold"), (tenant, "bold reverse")),
                    classes="confirm-title",
                )
                # Who is left out, and why, never scrolls out of sight (the head is docked).
                if self.targets.excluded:
                    yield Static(Text(self.targets.summary(), style="yellow"), id="confirm-summary")
            # Always there, even empty: the docked parts alone would give the box no height.
            with VerticalScroll(id="confirm-body"):
                if self.targets.detail:
                    yield Static(self.targets.detail, markup=False)
            with Vertical(id="confirm-foot"):
                if self.asks_reason:
                    yield from reason_field(self._prefilled)
                yield Static("", id="confirm-error")
                with Horizontal(id="confirm-buttons"):
                    yield Button("Cancel", id="cancel", variant="primary")
                    yield Button(self.action_label, id="confirm", variant="error")

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self._typed_into_reason = False  # the operator chose to act: a reason asked for now is theirs to Enter
        if not self.reason_missing():
            self.dismiss(True)

    @on(Input.Submitted, "#confirm-reason")
    def _reason_entered(self) -> None:
        if self._typed_into_reason:
            self.query_one("#cancel", Button).focus()
            self.query_one("#confirm-error", Static).update(
                Text(f"Reason kept; nothing done. To go on: Tab to {self.action_label}, then Enter.", style="bold")
            )
            return
        self._confirm()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if event.widget.id == "confirm-reason":
            self._typed_into_reason = False  # back in it later only by the operator's choice (Tab)

    def on_key(self, event: events.Key) -> None:
        """Typing goes into the reason wherever the focus is, so a sentence never closes the dialog half-way
        (and its rest never falls through to the fleet's keys). Without a reason to ask, n is No.

        A printable key that gets here was not taken by a field (a field takes and stops every one), even if the
        focus is in the reason by now: keys typed ahead in one read all went to what had the focus when they
        arrived (Cancel), and the focus moves to the reason between them."""
        if not event.is_printable or event.character is None:
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
        self._typed_into_reason = True
        field.select_on_focus = False
        field.focus()
        field.cursor_position = len(field.value)
        field.insert_text_at_cursor(event.character)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class ConfirmMany(_Reasoned, ModalScreen[bool]):
    """The frozen target set, and the operator types how many tenants it is to go ahead.

    A subclass asks for other words to type (the panic rollback's phrase) by overriding the typed_ methods."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    VERTICAL_BREAKPOINTS = DIALOG_BREAKPOINTS
    TYPED_ID = "confirm-count"

    def __init__(self, targets: TargetSet, reason: str | None = None) -> None:
        super().__init__()
        self.targets = targets
        self.asks_reason = reason is not None
        self._prefilled = reason or ""
        # The reason first when there is none yet; then what to type. Typing alone never acts.
        # Textual reads self.AUTO_FOCUS when the screen shows, so a per-dialog value works; it declares a ClassVar.
        self.AUTO_FOCUS = "#confirm-reason" if self.asks_reason and not self._prefilled else f"#{self.TYPED_ID}"  # type: ignore[misc]

    # --- what this dialog asks the operator to type -----------------------------------------------------

    def head(self) -> ComposeResult:
        count = len(self.targets.eligible)
        yield Static(Text(f"{self.targets.action.capitalize()}: {count} tenant{'s' * (count != 1)}", style="bold"))
        summary_style = "yellow" if self.targets.excluded else ""
        yield Static(Text(self.targets.summary(), style=summary_style), id="confirm-summary")

    def typed_instruction(self) -> Text:
        return Text(f"Type {len(self.targets.eligible)} and press Enter to {self.targets.action}; Esc cancels.")

    def typed_input(self) -> Input:
        count = len(self.targets.eligible)
        return Input(placeholder=f"type {count}", id=self.TYPED_ID, restrict=r"[0-9]*", max_length=6)

    def typed_refusal(self, typed: str) -> str | None:
        """None when what was typed goes ahead; else the message saying it does not."""
        count = str(len(self.targets.eligible))
        return None if typed.strip() == count else f"{typed or 'nothing'} is not {count}: nothing done"

    # ------------------------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        count = len(self.targets.eligible)
        with Vertical(id="confirm-box", classes="confirm many"):
            with Vertical(id="confirm-head"):
                yield from self.head()
            with VerticalScroll(id="confirm-body"):
                if self.targets.detail:
                    yield Static(self.targets.detail, markup=False)
                heading = f"The {count} tenants:" if count != 1 else "The tenant:"
                yield Static(Text(heading, style="bold"), classes="confirm-heading")
                yield Static("  ".join(self.targets.eligible), markup=False, id="confirm-list")
                if len(self.targets.excluded) > NAMED_EXCLUSIONS:
                    yield Static(Text("Excluded, by reason:", style="bold"), classes="confirm-heading")
                    yield Static(self.targets.excluded_listing(), markup=False, id="confirm-excluded")
            with Vertical(id="confirm-foot"):
                if self.asks_reason:
                    yield from reason_field(self._prefilled)
                yield Static(self.typed_instruction())
                typed = self.typed_input()
                typed.add_class("confirm-typed")
                yield typed
                yield Static("", id="confirm-error")
                with Horizontal(id="confirm-buttons"):
                    yield Button("Cancel", id="cancel", variant="primary")

    @on(Input.Submitted, "#confirm-reason")
    def _reason_given(self) -> None:
        if not self.reason_missing():
            self.query_one("#confirm-error", Static).update("")
            self.query_one(f"#{self.TYPED_ID}", Input).focus()

    @on(Input.Submitted, ".confirm-typed")
    def _submitted(self, event: Input.Submitted) -> None:
        refusal = self.typed_refusal(event.value)
        if refusal is not None:
            self.query_one("#confirm-error", Static).update(Text(refusal, style="bold bright_red"))
            event.input.value = ""
            return
        if not self.reason_missing():
            self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
