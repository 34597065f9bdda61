"""A report's audit seal, and the check that the store still says what a report states.

A tenant report covers the tenant's events (and the events of its jobs that name
no tenant: a job held, resumed, paused) up to the chain's head when it was
made. The seal at its end states that head (seq and hash), how many events it
covers, each one's hash (the first 16 hex digits) and a digest over all of them.
The hashes are recomputed from the rows' contents, not read from their `hash`
column, so an edited row is caught even when its stored hash was left alone.

`verify_report` recomputes all of this from the store and names every
difference; it also walks the whole chain (`verify_chain`).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cutover.model.lifecycle import DomainError
from cutover.state.chain import event_hash, verify_chain
from cutover.state.events import Event
from cutover.state.store import Store

SEAL_FORMAT = "cutover.report/1"
BEGIN = "-----BEGIN CUTOVER AUDIT SEAL-----"
END = "-----END CUTOVER AUDIT SEAL-----"
SHORT = 16  # hex digits of each event's hash the seal lists


class BadReport(DomainError):
    """The file is not a report Cutover wrote (no seal, or a seal it cannot read)."""


@dataclass(frozen=True)
class Seal:
    tenant_id: str
    head_seq: int
    head_hash: str
    digest: str
    events: tuple[tuple[int, str], ...]  # (seq, the first SHORT hex digits of its recomputed hash)

    def lines(self) -> list[str]:
        out = [
            BEGIN,
            f"format: {SEAL_FORMAT}",
            f"tenant: {self.tenant_id}",
            f"head-seq: {self.head_seq}",
            f"head-hash: {self.head_hash}",
            f"events: {len(self.events)}",
            f"digest: sha256:{self.digest}",
        ]
        out += [f"event: {seq} {short}" for seq, short in self.events]
        out.append(END)
        return out

    @property
    def text(self) -> str:
        return "\n".join(self.lines())


def tenant_event_rows(store: Store, tenant_id: str, up_to_seq: int) -> list[dict[str, Any]]:
    """The rows a tenant's report covers, oldest first: the tenant's own events, and the events of the jobs
    named in them that name no tenant. Read from the events table alone (the chained record)."""
    return list(
        store.db.query(
            "SELECT * FROM events WHERE seq <= ? AND (tenant_id = ? OR (tenant_id IS NULL AND job_id IN "
            "(SELECT DISTINCT job_id FROM events WHERE tenant_id = ? AND job_id IS NOT NULL AND seq <= ?))) "
            "ORDER BY seq",
            [up_to_seq, tenant_id, tenant_id, up_to_seq],
        )
    )


def chain_head(store: Store) -> tuple[int, str]:
    row = store.db.execute("SELECT seq, hash FROM chain_head WHERE id = 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, "0" * 64)


def seal_of(tenant_id: str, head: tuple[int, str], rows: Sequence[dict[str, Any]]) -> Seal:
    hashes = [(int(row["seq"]), event_hash(row)) for row in rows]
    return Seal(tenant_id, head[0], head[1], _digest(hashes), tuple((seq, full[:SHORT]) for seq, full in hashes))


def _digest(hashes: Sequence[tuple[int, str]]) -> str:
    material = "".join(f"{seq}:{full}\n" for seq, full in hashes)
    return hashlib.sha256(material.encode()).hexdigest()


_BLOCK = re.compile(re.escape(BEGIN) + r"(.*?)" + re.escape(END), re.S)


def read_seal(text: str, source: str) -> Seal:
    """The seal in a report's text (Markdown or HTML). Raises BadReport naming `source` and what to do."""
    found = _BLOCK.findall(html.unescape(text))
    if not found:
        raise BadReport(
            f"{source}: no audit seal found: not a report written by `cutover report TENANT` "
            "(or its end was cut off); give the report file as written"
        )
    fields: dict[str, str] = {}
    events: list[tuple[int, str]] = []
    try:
        for line in found[-1].strip().splitlines():
            key, _, value = line.strip().partition(": ")
            if key == "event":
                seq, short = value.split()
                events.append((int(seq), short))
            else:
                fields[key] = value.strip()
        if fields.get("format") != SEAL_FORMAT:
            raise ValueError(f"format {fields.get('format')!r}, expected {SEAL_FORMAT}")
        seal = Seal(
            fields["tenant"],
            int(fields["head-seq"]),
            fields["head-hash"],
            fields["digest"].removeprefix("sha256:"),
            tuple(events),
        )
        if int(fields["events"]) != len(events):
            raise ValueError(f"it counts {fields['events']} events and lists {len(events)}")
    except (KeyError, ValueError) as exc:
        raise BadReport(f"{source}: the audit seal cannot be read ({exc}): the file was altered or cut") from None
    return seal


@dataclass(frozen=True)
class ReportCheck:
    ok: bool
    tenant_id: str
    head_seq: int
    head_hash: str
    events: int
    problems: tuple[str, ...]


def verify_report(store: Store, text: str, source: str) -> ReportCheck:
    """Recompute what the report's seal states from the store; every difference is named."""
    seal = read_seal(text, source)
    problems: list[str] = []
    chain = verify_chain(store)
    if not chain.ok:
        where = "" if chain.problem_seq is None else f" at event {chain.problem_seq}"
        problems.append(f"the audit trail is broken{where}: {chain.problem}")
    head = next(store.db.query("SELECT * FROM events WHERE seq = ?", [seal.head_seq]), None)
    if head is None:
        problems.append(f"the report's head, event {seal.head_seq}, is not in the store")
    elif head["hash"] != seal.head_hash:
        problems.append(
            f"the chain's event {seal.head_seq} has hash {head['hash'][:SHORT]}…, "
            f"the report states {seal.head_hash[:SHORT]}…: the trail was rewritten since the report was made"
        )
    elif event_hash(head) != seal.head_hash:
        problems.append(f"event {seal.head_seq}, the report's head, was edited: its contents no longer match")
    rows = tenant_event_rows(store, seal.tenant_id, seal.head_seq)
    now = seal_of(seal.tenant_id, (seal.head_seq, seal.head_hash), rows)
    stated = dict(seal.events)
    found = dict(now.events)
    by_seq = {int(row["seq"]): Event.from_row(row) for row in rows}
    for seq, short in seal.events:
        if seq not in found:
            problems.append(f"event {seq} of the report is no longer among {seal.tenant_id}'s events in the store")
        elif found[seq] != short:
            event = by_seq[seq]
            problems.append(
                f"event {seq} ({event.kind}: {event.what}) differs from the report: "
                "its contents in the store no longer match the hash the report states"
            )
    for seq in sorted(set(found) - set(stated)):
        event = by_seq[seq]
        problems.append(f"event {seq} ({event.kind}: {event.what}) is in the store but not in the report")
    if now.digest != seal.digest:
        problems.append(
            f"the digest of {seal.tenant_id}'s {len(rows)} events up to event {seal.head_seq} is "
            f"{now.digest[:SHORT]}…, the report states {seal.digest[:SHORT]}…"
        )
    return ReportCheck(not problems, seal.tenant_id, seal.head_seq, seal.head_hash, len(seal.events), tuple(problems))
