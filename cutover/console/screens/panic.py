"""Roll back everything in flight: the set, the DNS change per zone, and a phrase the operator types."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, Static

from cutover.console.controller.targets import TargetSet
from cutover.console.screens.confirm import ConfirmMany


class TypedPhrase(ConfirmMany):
    """Acts only once the operator has typed the phrase (`rollback 7`) and pressed Enter; Esc cancels.
    The reason comes prefilled: stopping the harm is never slowed down by typing why."""

    TYPED_ID = "confirm-phrase"

    def __init__(self, targets: TargetSet, phrase: str, reason: str) -> None:
        self.phrase = phrase
        super().__init__(targets, reason)

    def head(self) -> ComposeResult:
        count = len(self.targets.eligible)
        headline = f"{self.targets.action.upper()}: {count} tenant{'s' * (count != 1)} to AWS"
        yield Static(Text(headline, style="bold reverse"))

    def typed_instruction(self) -> Text:
        return Text.assemble("Type ", (self.phrase, "bold underline"), " and press Enter; Esc cancels.")

    def typed_input(self) -> Input:
        return Input(placeholder=f"type {self.phrase}", id=self.TYPED_ID, max_length=40)

    def typed_refusal(self, typed: str) -> str | None:
        if " ".join(typed.split()).lower() == self.phrase:
            return None
        return f"{typed.strip() or 'nothing'!r} is not {self.phrase!r}: nothing done"
