"""The audit trail: who, what, when, why, and the state before and after.

Append-only. Each row carries the SHA-256 of its own contents and of the row
before it, so an edited, inserted or deleted row breaks the chain at that row.
`chain_head` records the last append in the same transaction, which catches a
deleted or forged tail. The chain is not keyed: someone able to rewrite the
whole file can forge it, so compare the head hash with a copy kept elsewhere
(the notifier posts it) when that matters.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from cutover.state.clock import Clock, SystemClock
from cutover.state.identity import Actor
from cutover.state.store import Store

GENESIS = "0" * 64
_HASHED = (
    "ts",
    "wall_ts",
    "operator",
    "host",
    "ssh_client",
    "tenant_id",
    "job_id",
    "kind",
    "what",
    "why",
    "state_before",
    "state_after",
    "detail",
    "prev_hash",
)


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


def event_hash(row: dict[str, Any]) -> str:
    """SHA-256 over the row's contents (all but seq and hash) and its predecessor's hash.

    `seq` stays out so that renumbering is caught by the links, which says which
    row was inserted or deleted, instead of breaking every hash after it.
    """
    material = {key: row[key] for key in _HASHED}
    if not isinstance(material["detail"], str):
        material["detail"] = _canonical(material["detail"])
    return hashlib.sha256(_canonical(material).encode()).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


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
                    "detail": _canonical(entry.get("detail") or {}),
                    "prev_hash": prev,
                }
                row["hash"] = prev = event_hash(row)
                rows.append(row)
                appended.append(Event.from_row(row))
            db["events"].insert_all(rows)
            db.execute(
                "INSERT INTO chain_head (id, seq, hash) VALUES (1, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                [seq, prev],
            )
        return appended

    def list(
        self,
        tenant_id: str | None = None,
        job_id: str | None = None,
        after_seq: int = 0,
        limit: int | None = None,
        kinds: tuple[str, ...] | None = None,
    ) -> list[Event]:
        """Events oldest first; with a limit, the newest `limit` of them; `kinds` keeps only those kinds."""
        where, params = ["seq > ?"], [after_seq]
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


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    problem: str = ""
    problem_seq: int | None = None


def verify_chain(store: Store) -> ChainReport:
    """Walk the whole trail and name the first edited, inserted or deleted row."""
    with store.read() as db:
        head = db.execute("SELECT seq, hash FROM chain_head WHERE id = 1").fetchone()
        rows = db.query("SELECT * FROM events ORDER BY seq")
        report = _walk(rows, head)
    return report


def _walk(rows: Any, head: tuple[int, str] | None) -> ChainReport:
    expected_seq, prev_hash, before_prev = 1, GENESIS, None
    checked = 0
    previous: dict[str, Any] | None = None

    def broken(seq: int, problem: str) -> ChainReport:
        return ChainReport(False, checked, head[0] if head else 0, head[1] if head else "", problem, seq)

    for row in rows:
        if row["prev_hash"] != prev_hash:
            if previous is not None and row["prev_hash"] == before_prev:
                return broken(
                    previous["seq"],
                    f"event {previous['seq']} was inserted: event {row['seq']} is chained to the event before it",
                )
            if row["seq"] != expected_seq:
                missing = _span(expected_seq, row["seq"] - 1)
                return broken(
                    expected_seq, f"{missing} deleted: event {row['seq']} does not follow event {expected_seq - 1}"
                )
            if previous is None:
                return broken(
                    row["seq"],
                    f"event {row['seq']} is not chained to the start of the trail: "
                    "the rows before it were deleted or it was inserted",
                )
            return broken(
                previous["seq"],
                f"event {previous['seq']} was changed or a row after it deleted: "
                f"event {row['seq']} is chained to a row that is no longer there",
            )
        if event_hash(row) != row["hash"]:
            return broken(row["seq"], f"event {row['seq']} was edited: its contents no longer match its hash")
        if row["seq"] != expected_seq:
            return broken(expected_seq, f"the trail was renumbered at event {row['seq']} (expected {expected_seq})")
        checked += 1
        before_prev, prev_hash, previous = prev_hash, row["hash"], row
        expected_seq += 1

    last_seq = expected_seq - 1
    if head is None:
        if last_seq:
            return broken(1, f"the chain head is missing but {last_seq} events exist: it was deleted")
        return ChainReport(True, 0, 0, GENESIS)
    if head[0] > last_seq:
        return broken(
            last_seq + 1,
            f"{_span(last_seq + 1, head[0])} deleted from the end: the head records "
            f"{head[0]} events, {last_seq} remain",
        )
    if head[0] < last_seq or head[1] != prev_hash:
        return broken(
            head[0] + 1 if head[0] < last_seq else last_seq,
            f"event {head[0] + 1 if head[0] < last_seq else last_seq} was inserted at the end: "
            f"the head records {head[0]} events ending in {head[1][:12]}",
        )
    return ChainReport(True, checked, head[0], head[1])


def _span(first: int, last: int) -> str:
    return f"event {first} was" if first == last else f"events {first}-{last} were"
