"""Decommission's confirmation: the point of no return, said first, and a phrase the operator types."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from cutover.console.screens.panic import TypedPhrase


class ConfirmDecommission(TypedPhrase):
    """Acts only once the operator has typed `decommission T-0042` (any case) and given a reason."""

    def head(self) -> ComposeResult:
        count = len(self.targets.eligible)
        headline = f"DECOMMISSION {count} tenant{'s' * (count != 1)}: the point of no return"
        yield Static(Text(headline, style="bold reverse"))

    def typed_refusal(self, typed: str) -> str | None:
        if " ".join(typed.split()).lower() == self.phrase.lower():
            return None
        return f"{typed.strip() or 'nothing'!r} is not {self.phrase!r}: nothing done"
