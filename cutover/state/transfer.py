"""Copying a whole store into another, empty one: SQLite to PostgreSQL when a war room outgrows its jump host,
PostgreSQL to SQLite to take a store home. Every table, every row as stored (the audit trail with its own
sequence numbers and hashes, so its chain is the same chain), in one transaction on each side: the source's
write lock is held throughout, so nothing written meanwhile is left behind, and a failed copy leaves the
target as empty as it was. The copy is then checked: the same rows in every table, and the audit chain walked
on arrival ending at the source's head.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cutover.state.chain import verify_chain
from cutover.state.leases import LeaseStore
from cutover.state.postgres.schema import postgres_schema
from cutover.state.store import Store, StoreError

PAGE = 5_000  # rows read and written at a time
NOT_EMPTY = ("tenants", "events", "jobs")  # a target holding any of these is someone's store: refused


class CopyRefused(StoreError):
    """The copy would lose or mix something: the message says what and what to do."""


@dataclass
class CopyReport:
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows copied
    events: int = 0
    head_hash: str = ""


def copy_store(
    source: Store, target: Store, *, now: float, progress: Callable[[str, int], None] | None = None
) -> CopyReport:
    """Copy every row of `source` into the empty store `target`; raises CopyRefused (changing nothing) when an
    engine leads the source, the target holds a store already, or the copy does not check out."""
    leader = next(iter(LeaseStore(source).engines_leading(now)), None)
    if leader is not None:
        raise CopyRefused(
            f"{source.path}: an engine leads this store ({leader.holder}): stop every engine and console acting "
            "on it first, so nothing is written while it is copied"
        )
    before = verify_chain(source)
    if not before.ok:
        raise CopyRefused(
            f"{source.path}: its audit trail is broken ({before.problem}); a copy would carry the break: "
            "`cutover audit verify` says where"
        )
    with target.read() as db:
        for table in NOT_EMPTY:
            if db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]:
                raise CopyRefused(
                    f"{target.path}: it already holds a store ({table} has rows): copy into an empty database "
                    "(or schema, or a new file)"
                )
    report = CopyReport()
    with source.write() as reading, target.write() as writing:
        for shape in postgres_schema().tables:
            order = "seq" if shape.name == "jobs" else ", ".join(shape.key)  # a parent job before its children
            cursor = reading.execute(f"SELECT * FROM {shape.name} ORDER BY {order}")
            names = [column[0] for column in cursor.description]
            copied = 0
            while rows := cursor.fetchmany(PAGE):
                writing.table(shape.name).insert_all([dict(zip(names, row, strict=True)) for row in rows])
                copied += len(rows)
            report.rows[shape.name] = copied
            if progress is not None:
                progress(shape.name, copied)
        target.renumber(writing)
        for table, copied in report.rows.items():
            arrived = writing.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            if arrived != copied:
                raise CopyRefused(f"{table}: {copied} rows read but {arrived} arrived; nothing was copied")
    after = verify_chain(target)
    if not after.ok or (after.head_seq, after.head_hash) != (before.head_seq, before.head_hash):
        raise CopyRefused(
            f"{target.path}: the audit trail did not arrive intact ({after.problem or 'a different head'}); "
            "the copy is there but must not be used: drop it and copy again"
        )
    report.events, report.head_hash = after.checked, after.head_hash
    return report
