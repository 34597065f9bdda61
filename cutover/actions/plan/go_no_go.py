"""The night's go/no-go: the configured checklist (`[night.go_no_go]`, items and the role that signs each)
against the sign-offs recorded for tonight. One definition of what the header, `cutover go --status`, the
batch's admission and the safety rule `go-no-go` say.

None configured: no gate (`configured` is False and nothing refuses or shows)."""

from __future__ import annotations

from dataclasses import dataclass

from cutover.actions.plan.windows import night_of
from cutover.config.settings import Settings
from cutover.state.signoffs import GO, NO_GO, Signoff, signoffs_for
from cutover.state.store import Store


@dataclass(frozen=True)
class ChecklistItem:
    item: str
    role: str
    signoff: Signoff | None  # the latest decision tonight, or None: not signed

    @property
    def state(self) -> str:
        return self.signoff.decision if self.signoff is not None else "waiting"

    def to_json(self) -> dict[str, object]:
        return {"item": self.item, "role": self.role, "state": self.state, "signoff": _signoff_json(self.signoff)}


def _signoff_json(signoff: Signoff | None) -> dict[str, object] | None:
    return None if signoff is None else signoff.to_json()


@dataclass(frozen=True)
class NightDecision:
    night: str
    items: tuple[ChecklistItem, ...]

    @property
    def configured(self) -> bool:
        return bool(self.items)

    @property
    def no_go(self) -> tuple[ChecklistItem, ...]:
        return tuple(i for i in self.items if i.state == NO_GO)

    @property
    def missing(self) -> tuple[ChecklistItem, ...]:
        """Items without a go: not signed, or signed no-go."""
        return tuple(i for i in self.items if i.state != GO)

    @property
    def signed(self) -> int:
        return sum(1 for i in self.items if i.state == GO)

    @property
    def go(self) -> bool:
        """Every item signed go (True when none is configured: no gate)."""
        return not self.missing

    def header(self) -> str:
        """ "GO 4/5: waiting for dba", "NO-GO: dba (backups not verified)", "GO 5/5"; "" with no checklist."""
        if not self.configured:
            return ""
        if self.no_go:
            return "NO-GO: " + "; ".join(f"{i.role} ({i.signoff.reason})" for i in self.no_go if i.signoff)
        total = len(self.items)
        if self.missing:
            roles = sorted({i.role for i in self.missing})
            return f"GO {self.signed}/{total}: waiting for {', '.join(roles)}"
        return f"GO {total}/{total}"

    def no_go_words(self) -> str:
        """ "NO-GO for the night of 2026-03-07: backups by carol (dba): restore test failed"."""
        said = "; ".join(
            f"{i.item} by {i.signoff.operator} ({i.role}): {i.signoff.reason}" for i in self.no_go if i.signoff
        )
        return f"NO-GO for the night of {self.night}: {said}"

    def missing_words(self) -> str:
        """ "the night of 2026-03-07 has no go yet (GO 3/5): waiting for backups (dba), pager (on-call)"."""
        waiting = ", ".join(f"{i.item} ({i.role})" for i in self.missing)
        return f"the night of {self.night} has no go yet (GO {self.signed}/{len(self.items)}): waiting for {waiting}"

    def to_json(self) -> dict[str, object]:
        return {
            "schema": "cutover.go_no_go/1",
            "night": self.night,
            "configured": self.configured,
            "go": self.go and not self.no_go,
            "no_go": bool(self.no_go),
            "signed": self.signed,
            "total": len(self.items),
            "header": self.header(),
            "items": [i.to_json() for i in self.items],
        }


def read_night(store: Store, settings: Settings, now: float) -> NightDecision:
    """Tonight's checklist and its sign-offs (no query at all when none is configured)."""
    night = night_of(now, settings.safety.window)
    configured = settings.night.go_no_go.items
    if not configured:
        return NightDecision(night, ())
    signed = signoffs_for(store, night)
    return NightDecision(night, tuple(ChecklistItem(item, role, signed.get(item)) for item, role in configured.items()))
