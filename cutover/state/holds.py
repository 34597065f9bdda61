"""Tenant holds: an operator keeps a tenant out of the queue, for good (until `unhold`) or until a time
(`--not-before`, the runbook's "reschedule T+48h"). Every hold and release is in the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from cutover.config.units import format_day_clock
from cutover.state.events import EventLog
from cutover.state.store import Store


@dataclass(frozen=True)
class TenantHold:
    tenant_id: str
    reason: str
    not_before: float | None  # None: held until someone releases it
    held_by: str
    held_at: float

    def active(self, now: float) -> bool:
        return self.not_before is None or now < self.not_before

    def words(self, zone: tzinfo | None = None) -> str:
        """Why it is left out, whole: "held by bob: customer asked to reschedule",
        "not before 03-07 02:00 EST (bob: reschedule T+48h)"."""
        if self.not_before is None:
            return f"held by {self.held_by}: {self.reason}"
        return f"not before {format_day_clock(self.not_before, zone)} ({self.held_by}: {self.reason})"

    def step(self, zone: tzinfo | None = None) -> str:
        """The next step of a held tenant: "held: customer asked to reschedule (bob)", "not before 03-07 02:00 EST"."""
        if self.not_before is None:
            return f"held: {self.reason} ({self.held_by})"
        return f"not before {format_day_clock(self.not_before, zone)}"

    def to_json(self) -> dict[str, object]:
        return {
            "reason": self.reason,
            "not_before": self.not_before,
            "held_by": self.held_by,
            "held_at": self.held_at,
        }


def active_holds(store: Store, now: float) -> dict[str, TenantHold]:
    """The holds in force now (a not-before hold whose time has come no longer counts)."""
    rows = store.db.execute("SELECT tenant_id, reason, not_before, held_by, held_at FROM tenant_holds").fetchall()
    return {row[0]: hold for row in rows if (hold := TenantHold(*row)).active(now)}


class HoldStore:
    def __init__(self, store: Store, events: EventLog):
        self.store = store
        self.events = events

    def all(self) -> dict[str, TenantHold]:
        rows = self.store.db.execute(
            "SELECT tenant_id, reason, not_before, held_by, held_at FROM tenant_holds"
        ).fetchall()
        return {row[0]: TenantHold(*row) for row in rows}

    def active(self, now: float) -> dict[str, TenantHold]:
        return active_holds(self.store, now)

    def hold(
        self, tenant_ids: list[str], *, reason: str, not_before: float | None, by: str, now: float, what: str
    ) -> None:
        with self.store.write() as db:
            for tenant_id in tenant_ids:
                db.execute(
                    "INSERT OR REPLACE INTO tenant_holds (tenant_id, reason, not_before, held_by, held_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [tenant_id, reason, not_before, by, now],
                )
            self.events.append_many(
                [
                    dict(kind="tenant.held", what=what, tenant_id=tid, why=reason, detail={"not_before": not_before})
                    for tid in tenant_ids
                ]
            )

    def release(self, tenant_ids: list[str], *, reason: str) -> list[str]:
        """Release the holds of those held; returns the tenants that were."""
        held = self.all()
        released = [tid for tid in tenant_ids if tid in held]
        with self.store.write() as db:
            for tenant_id in released:
                db.execute("DELETE FROM tenant_holds WHERE tenant_id = ?", [tenant_id])
            self.events.append_many(
                [
                    dict(kind="tenant.unheld", what=f"hold released: {held[tid].reason}", tenant_id=tid, why=reason)
                    for tid in released
                ]
            )
        return released
