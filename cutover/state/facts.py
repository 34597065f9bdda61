"""What the engine's safety rules and triggers ask of the store, in a few queries.

Tenants by lifecycle, rollbacks since a time, recorded rehearsals (dry runs) and
second-operator approvals, the alerts the console shows, and small named cursors.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from cutover.model.lifecycle import Lifecycle
from cutover.state.events import Event
from cutover.state.store import Store

REHEARSAL = "rehearsal"
APPROVAL = "approval"
ALERT = "alert"
ALERT_ACKNOWLEDGED = "alert.acknowledged"  # an operator acknowledged the pinned alerts up to a sequence number


@dataclass(frozen=True)
class RollbackRecord:
    tenant_id: str
    at: float
    job_id: str | None


class Facts:
    def __init__(self, store: Store):
        self.store = store

    def tenants_in(self, states: Iterable[Lifecycle]) -> dict[Lifecycle, tuple[str, ...]]:
        values = [Lifecycle(state).value for state in states]
        found: dict[Lifecycle, list[str]] = {Lifecycle(value): [] for value in values}
        rows = self.store.db.execute(
            f"SELECT lifecycle, tenant_id FROM tenants WHERE lifecycle IN ({', '.join('?' * len(values))}) "
            "ORDER BY tenant_id",
            values,
        )
        for lifecycle, tenant_id in rows:
            found[Lifecycle(lifecycle)].append(tenant_id)
        return {state: tuple(ids) for state, ids in found.items()}

    def rollbacks_since(self, since: float) -> list[RollbackRecord]:
        """Tenants that started rolling back at or after `since`, oldest first."""
        rows = self.store.db.execute(
            "SELECT tenant_id, ts, job_id FROM events WHERE kind = 'transition' AND state_after = ? AND ts >= ? "
            "ORDER BY seq",
            [Lifecycle.ROLLING_BACK.value, since],
        )
        return [RollbackRecord(tenant_id, ts, job_id) for tenant_id, ts, job_id in rows]

    def started_since(self, since: float) -> set[str]:
        """Tenants that started cutting over at or after `since` (a night's count against a wave's cap)."""
        rows = self.store.db.execute(
            "SELECT DISTINCT tenant_id FROM events WHERE kind = 'transition' AND state_after = ? AND ts >= ?",
            [Lifecycle.CUTTING_OVER.value, since],
        )
        return {tenant_id for (tenant_id,) in rows if tenant_id}

    def rehearsed(self, tenant_ids: Sequence[str], kinds: Collection[str], since: float) -> set[str]:
        """Tenants with a recorded dry run of one of `kinds` (flip, ramp, batch) at or after `since`."""
        return {
            event.tenant_id or ""
            for event in self._events_for(REHEARSAL, tenant_ids, since)
            if event.detail.get("kind") in kinds
        }

    def approvals(self, tenant_ids: Sequence[str], since: float) -> dict[str, set[str]]:
        """Who approved each tenant's cutover at or after `since`."""
        found: dict[str, set[str]] = {}
        for event in self._events_for(APPROVAL, tenant_ids, since):
            found.setdefault(event.tenant_id or "", set()).add(event.operator)
        return found

    def _events_for(self, kind: str, tenant_ids: Sequence[str], since: float) -> list[Event]:
        events: list[Event] = []
        for start in range(0, len(tenant_ids), 500):
            chunk = list(tenant_ids[start : start + 500])
            rows = self.store.db.query(
                f"SELECT * FROM events WHERE kind = ? AND ts >= ? AND tenant_id IN ({', '.join('?' * len(chunk))}) "
                "ORDER BY seq",
                [kind, since, *chunk],
            )
            events += [Event.from_row(row) for row in rows]
        return events

    def alerts(self, limit: int = 100, after_seq: int = 0) -> list[Event]:
        """The newest alerts, oldest first (what the console's alert panel shows)."""
        rows = self.store.db.query(
            "SELECT * FROM events WHERE kind = ? AND seq > ? ORDER BY seq DESC LIMIT ?", [ALERT, after_seq, limit]
        )
        return [Event.from_row(row) for row in reversed(list(rows))]

    def alerts_acknowledged_up_to(self) -> int:
        """The sequence number up to which an operator acknowledged the pinned alerts (0: never)."""
        row = self.store.db.execute(
            "SELECT detail FROM events WHERE kind = ? ORDER BY seq DESC LIMIT 1", [ALERT_ACKNOWLEDGED]
        ).fetchone()
        if row is None:
            return 0
        return int(json.loads(row[0] or "{}").get("up_to_seq", 0))

    def events_of_kinds(self, prefix: str, after_seq: int, limit: int = 200) -> list[Event]:
        """Events whose kind starts with `prefix` (job.), after a sequence number, oldest first."""
        rows = self.store.db.query(
            "SELECT * FROM events WHERE kind >= ? AND kind < ? AND seq > ? ORDER BY seq LIMIT ?",
            [prefix, prefix + "\uffff", after_seq, limit],
        )
        return [Event.from_row(row) for row in rows]

    # --- cursors: how far a reader of the trail has got ----------------------------------

    def cursor(self, name: str) -> int:
        row = self.store.db.execute("SELECT seq FROM cursors WHERE name = ?", [name]).fetchone()
        return int(row[0]) if row else 0

    def set_cursor(self, name: str, seq: int) -> None:
        with self.store.write() as db:
            db.execute(
                "INSERT INTO cursors (name, seq) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq",
                [name, seq],
            )


@dataclass(frozen=True)
class TriggerStatus:
    """A trigger rule's last verdict on a tenant, as the console shows it."""

    tenant_id: str
    rule: str
    outcome: str  # pass, fail, inconclusive, error
    value: float | None
    breaching_since: float | None
    evaluated_at: float
    message: str
    measured_at: float | None = None  # the last observation of a breaching streak: the streak's evidence so far


class TriggerStatusStore:
    def __init__(self, store: Store):
        self.store = store

    def record(self, statuses: Iterable[TriggerStatus]) -> None:
        rows = [status.__dict__ for status in statuses]
        if rows:
            with self.store.write() as db:
                db.table("trigger_status").insert_all(rows, replace=True)

    def clear(self, tenant_ids: Iterable[str]) -> None:
        ids = list(tenant_ids)
        if ids:
            with self.store.write() as db:
                db.execute(f"DELETE FROM trigger_status WHERE tenant_id IN ({', '.join('?' * len(ids))})", ids)

    def for_tenant(self, tenant_id: str) -> list[TriggerStatus]:
        rows = self.store.db.query("SELECT * FROM trigger_status WHERE tenant_id = ? ORDER BY rule", [tenant_id])
        return [TriggerStatus(**row) for row in rows]

    def all(self) -> list[TriggerStatus]:
        return [TriggerStatus(**row) for row in self.store.db.query("SELECT * FROM trigger_status ORDER BY 1, 2")]
