"""The night's go/no-go sign-offs: per night (the migration window's date) and checklist item, the latest
decision, `go` or `no-go`, with who signed it (operator and host, as the audit trail records them) and why.
Every sign-off is also an audit event (`night.go`, `night.no_go`)."""

from __future__ import annotations

from dataclasses import dataclass

from cutover.state.events import EventLog
from cutover.state.store import Store

GO, NO_GO = "go", "no-go"
DECISIONS = (GO, NO_GO)


@dataclass(frozen=True)
class Signoff:
    night: str  # "2026-03-07": the date of the migration window's start
    item: str
    decision: str  # GO or NO_GO
    role: str
    operator: str
    host: str
    reason: str
    signed_at: float

    def to_json(self) -> dict[str, object]:
        return {
            "item": self.item,
            "decision": self.decision,
            "role": self.role,
            "operator": self.operator,
            "host": self.host,
            "reason": self.reason,
            "signed_at": self.signed_at,
        }


_COLUMNS = "night, item, decision, role, operator, host, reason, signed_at"


def signoffs_for(store: Store, night: str) -> dict[str, Signoff]:
    rows = store.db.execute(f"SELECT {_COLUMNS} FROM night_signoffs WHERE night = ?", [night]).fetchall()
    return {row[1]: Signoff(*row) for row in rows}


class SignoffStore:
    def __init__(self, store: Store, events: EventLog):
        self.store = store
        self.events = events

    def sign(self, signoff: Signoff) -> None:
        """Record the item's decision for the night (replacing an earlier one) and its audit event."""
        with self.store.write() as db:
            db.execute(
                f"INSERT OR REPLACE INTO night_signoffs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    signoff.night,
                    signoff.item,
                    signoff.decision,
                    signoff.role,
                    signoff.operator,
                    signoff.host,
                    signoff.reason,
                    signoff.signed_at,
                ],
            )
            word = "GO" if signoff.decision == GO else "NO-GO"
            self.events.append(
                "night.go" if signoff.decision == GO else "night.no_go",
                f"{word} for the night of {signoff.night}: {signoff.item} ({signoff.role})",
                why=signoff.reason,
                detail={"night": signoff.night, "item": signoff.item, "role": signoff.role},
            )
