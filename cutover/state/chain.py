"""The audit trail's hash chain, and the check that walks it (`cutover audit verify`).

Each event row carries the SHA-256 of its own contents and of the row before it,
so an edited, inserted, deleted or reordered row breaks the chain at that row.
`chain_head` (the last hash) and `audit_seal` (how many events there are) are
written in the same transaction as every append: they catch a deleted or forged
tail, and a trail emptied outright. The chain is not keyed: someone able to
rewrite the whole file can forge it, so compare the head hash with a copy kept
elsewhere (the notifier posts it) when that matters.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from cutover.state.store import Store

GENESIS = "0" * 64
AUDIT_TABLES = ("events", "chain_head", "audit_seal")
# Rows here are always written with an event in the same transaction: if they exist, events did too.
_RECORDED_WITH_EVENTS = (("tenants", "tenant"), ("jobs", "job"))
_INTEGRITY_LINES = 20
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


def event_hash(row: dict[str, Any]) -> str:
    """SHA-256 over the row's contents (all but seq and hash) and its predecessor's hash.

    `seq` stays out so that renumbering is caught by the links, which says which
    row was inserted or deleted, instead of breaking every hash after it.
    """
    material = {key: row[key] for key in _HASHED}
    if not isinstance(material["detail"], str):
        material["detail"] = canonical(material["detail"])
    return hashlib.sha256(canonical(material).encode()).hexdigest()


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def record_append(db: sqlite_utils.Database, seq: int, head_hash: str) -> None:
    """Move the chain head and the seal to the last appended event (inside the append's transaction)."""
    db.execute(
        "INSERT INTO chain_head (id, seq, hash) VALUES (1, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        [seq, head_hash],
    )
    db.execute(
        "INSERT INTO audit_seal (id, events) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET events = excluded.events",
        [seq],
    )


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    problem: str = ""
    problem_seq: int | None = None
    integrity: tuple[str, ...] = ("ok",)  # what SQLite's integrity check said, line by line


def verify_chain(store: Store) -> ChainReport:
    """Check the file (SQLite's integrity check), then walk the whole trail and name the
    first edited, inserted, deleted or misplaced row; an emptied or dropped trail is named too."""
    with store.read() as db:
        integrity = store.integrity_check(db, _INTEGRITY_LINES)
        if integrity != ("ok",):
            return ChainReport(False, 0, 0, "", _damaged(integrity), integrity=integrity)
        missing = [table for table in AUDIT_TABLES if not db[table].exists()]
        if missing:
            return ChainReport(
                False,
                0,
                0,
                "",
                f"the audit trail's {' and '.join(missing)} table{'s are' if len(missing) > 1 else ' is'} missing: "
                "dropped from the store; restore it from a backup",
            )
        head = db.execute("SELECT seq, hash FROM chain_head WHERE id = 1").fetchone()
        seal = db.execute("SELECT events FROM audit_seal WHERE id = 1").fetchone()
        rows = db.query("SELECT * FROM events ORDER BY seq")

        def chained_to(prev_hash: str) -> list[dict[str, Any]]:
            return list(db.query("SELECT * FROM events WHERE prev_hash = ? ORDER BY seq", [prev_hash]))

        report = _walk(rows, head, chained_to)
        if report.ok:
            report = _check_seal(report, seal[0] if seal else None, _recorded_elsewhere(db))
    return report


def _walk(
    rows: Iterable[dict[str, Any]],
    head: tuple[int, str] | None,
    chained_to: Callable[[str], list[dict[str, Any]]],
) -> ChainReport:
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
            successor = next(
                (other for other in chained_to(prev_hash) if other["seq"] != row["seq"] and _intact(other)), None
            )
            if successor is not None:
                after = f"event {expected_seq - 1}" if previous is not None else "the start of the trail"
                holds = "" if row["seq"] != expected_seq else f" (it holds the event stored as event {row['seq']})"
                return broken(
                    expected_seq,
                    f"event {expected_seq} is out of place{holds}: the event chained after {after} is stored "
                    f"as event {successor['seq']}; the rows were reordered",
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
        if not _intact(row):
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


def _check_seal(report: ChainReport, sealed: int | None, elsewhere: dict[str, int]) -> ChainReport:
    """A chain that walks clean is still wrong if the seal counts other events, or if the trail
    is empty in a store whose tenants and jobs could only have come with events."""

    def broken(seq: int | None, problem: str) -> ChainReport:
        return ChainReport(False, report.checked, report.head_seq, report.head_hash, problem, seq)

    count = report.checked
    if sealed is not None and sealed > count:
        if count == 0:
            return broken(
                1,
                f"the audit trail was emptied: the seal records {sealed} events and none remain "
                "(the events and the chain head were deleted); restore the store from a backup",
            )
        return broken(
            count + 1,
            f"{_span(count + 1, sealed)} deleted from the end: the seal records {sealed} events, {count} remain "
            "(the chain head was rewritten to match)",
        )
    if sealed is not None and sealed < count:
        return broken(count, f"the audit seal records {sealed} events but {count} exist: the seal was rewritten")
    if sealed is None and count:
        return broken(None, f"the audit seal is missing but {count} events exist: it was deleted")
    if count == 0 and elsewhere:
        held = " and ".join(f"{number} {noun}{'s' if number > 1 else ''}" for noun, number in elsewhere.items())
        return broken(
            1,
            f"the audit trail is empty but the store holds {held}, which are only ever written with their "
            "events: the trail was emptied (events and chain head deleted); restore the store from a backup",
        )
    return report


def _damaged(integrity: tuple[str, ...]) -> str:
    found = f"{len(integrity)} problem{'s' if len(integrity) > 1 else ''}"
    if len(integrity) >= _INTEGRITY_LINES:
        found = f"at least {found}"
    return f"SQLite's integrity check found {found} in the store file; restore the store from a backup"


def _recorded_elsewhere(db: sqlite_utils.Database) -> dict[str, int]:
    counts = {}
    for table, noun in _RECORDED_WITH_EVENTS:
        if db[table].exists():
            number = int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            if number:
                counts[noun] = number
    return counts


def _intact(row: dict[str, Any]) -> bool:
    return bool(event_hash(row) == row["hash"])


def _span(first: int, last: int) -> str:
    return f"event {first} was" if first == last else f"events {first}-{last} were"
