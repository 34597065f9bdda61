"""The audit trail: who, what, when, why, and the state before and after.

Append-only, hash-chained: see `cutover.state.chain` for the chain and its check.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from cutover.model.clock import Clock, SystemClock
from cutover.state.chain import GENESIS, ChainReport, canonical, event_hash, record_append, verify_chain
from cutover.state.identity import Actor
from cutover.state.store import Store

__all__ = ["GENESIS", "ChainReport", "Event", "EventLog", "event_hash", "verify_chain"]


@dataclass(frozen=True)
class Event:
    seq: int
    ts: float
    wall_ts: str
    operator: str
    host: str
    ssh_client: str
    tenant_id: str | None
    job_id: str | None
    kind: str
    what: str
    why: str
    state_before: str
    state_after: str
    detail: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Event:
        return cls(**{**row, "detail": json.loads(row["detail"] or "{}")})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class EventLog:
    """Appends events as one actor, on one clock."""

    def __init__(self, store: Store, actor: Actor, clock: Clock | None = None):
        self.store = store
        self.actor = actor
        self.clock = clock or SystemClock()

    def append(
        self,
        kind: str,
        what: str,
        *,
        tenant_id: str | None = None,
        job_id: str | None = None,
        why: str = "",
        state_before: str = "",
        state_after: str = "",
        detail: dict[str, Any] | None = None,
    ) -> Event:
        return self.append_many(
            [
                dict(
                    kind=kind,
                    what=what,
                    tenant_id=tenant_id,
                    job_id=job_id,
                    why=why,
                    state_before=state_before,
                    state_after=state_after,
                    detail=detail or {},
                )
            ]
        )[0]

    def append_many(self, entries: list[dict[str, Any]]) -> list[Event]:
        """Append several events in one transaction (joining the caller's, if any)."""
        appended: list[Event] = []
        with self.store.write() as db:
            head = db.execute("SELECT seq, hash FROM chain_head WHERE id = 1").fetchone()
            seq, prev = (head[0], head[1]) if head else (0, GENESIS)
            ts = self.clock.now()
            wall = datetime.now(UTC).isoformat(timespec="milliseconds")
            rows = []
            for entry in entries:
                seq += 1
                row = {
                    "seq": seq,
                    "ts": ts,
                    "wall_ts": wall,
                    "operator": self.actor.operator,
                    "host": self.actor.host,
                    "ssh_client": self.actor.ssh_client,
                    "tenant_id": entry.get("tenant_id"),
                    "job_id": entry.get("job_id"),
                    "kind": entry["kind"],
                    "what": entry["what"],
                    "why": entry.get("why", ""),
                    "state_before": entry.get("state_before", ""),
                    "state_after": entry.get("state_after", ""),
                    "detail": canonical(entry.get("detail") or {}),
                    "prev_hash": prev,
                }
                row["hash"] = prev = event_hash(row)
                rows.append(row)
                appended.append(Event.from_row(row))
            db.table("events").insert_all(rows)
            record_append(db, seq, prev)
        return appended

    def find(
        self,
        tenant_id: str | None = None,
        job_id: str | None = None,
        after_seq: int = 0,
        limit: int | None = None,
        kinds: tuple[str, ...] | None = None,
    ) -> list[Event]:
        """Events oldest first; with a limit, the newest `limit` of them; `kinds` keeps only those kinds."""
        where: list[str] = ["seq > ?"]
        params: list[object] = [after_seq]
        if tenant_id is not None:
            where.append("tenant_id = ?")
            params.append(tenant_id)
        if job_id is not None:
            where.append("job_id = ?")
            params.append(job_id)
        if kinds is not None:
            where.append(f"kind IN ({', '.join('?' for _ in kinds)})")
            params.extend(kinds)
        sql = f"SELECT * FROM events WHERE {' AND '.join(where)} ORDER BY seq DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = list(self.store.db.query(sql, params))
        return [Event.from_row(row) for row in reversed(rows)]

    def last_seq(self) -> int:
        row = self.store.db.execute("SELECT max(seq) FROM events").fetchone()
        return int(row[0] or 0)

    def count_transitions(self, state_after: str, since: float) -> int:
        """How many times any tenant entered `state_after` since `since` (e.g. rollbacks tonight)."""
        row = self.store.db.execute(
            "SELECT count(*) FROM events WHERE kind = 'transition' AND state_after = ? AND ts >= ?",
            [state_after, since],
        ).fetchone()
        return int(row[0])
