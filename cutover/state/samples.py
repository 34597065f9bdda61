"""Metric samples per tenant and side, kept for a retention window and under a size cap.

Two resolutions. Tenants in flight or under watch keep every sample as measured
(`metric_samples`, one row per side: the cadence the triggers, the checkpoint and the
tenant report's downtime need). The rest of the fleet is kept coarse (`metric_coarse`):
one row per tenant per `resolution` bucket, both sides in it, requests and errors summed
over the bucket and p95 its worst, so the ratios a sparkline draws (OCI's share, the
error rate) and the sums a report adds up are those of the samples it replaced. A
tenant's fine samples are compacted into buckets once it is neither in flight, under
watch nor recently moved (`compact`). `history` reads both as `Sample`s, a bucket
being one sample per side at its start.

`prune` drops samples older than the retention and then, over `max_rows` rows in all,
the oldest first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cutover.state.store import Store

SIDES = ("aws", "oci")


@dataclass(frozen=True)
class Sample:
    tenant_id: str
    side: str
    measured_at: float
    requests: float | None
    errors: float | None
    p95_ms: float | None
    source: str


# A Sample's values, in its fields' order, as a plain tuple: what a whole-fleet metrics poll keeps until it writes them
# (actions/engine/pollers.py), a transaction's worth of Samples at a time. CPython stops tracking a tuple of plain
# values in its first young collection; a Sample, as any instance of a class, stays tracked while it lives. At 50,000
# tenants a poll's 86,000 Samples, all alive until written, were what a full collection during the engine's first
# poll walked, with the simulated world's parameters: 83-101 ms.
SampleValues = tuple[str, str, float, float | None, float | None, float | None, str]


def _sum(column: str) -> str:
    return f"{column} = coalesce({column} + excluded.{column}, {column}, excluded.{column})"


def _worst(column: str) -> str:
    return f"{column} = max(coalesce({column}, excluded.{column}), coalesce(excluded.{column}, {column}))"


# Merging a bucket into the one already kept: sums add up, p95 keeps the worst, a side's source the newest.
_MERGE = ", ".join(
    part
    for side in SIDES
    for part in (
        _sum(f"{side}_requests"),
        _sum(f"{side}_errors"),
        _worst(f"{side}_p95_ms"),
        f"{side}_source = coalesce(excluded.{side}_source, {side}_source)",
    )
)
_COLUMNS = ", ".join(f"{side}_{name}" for side in SIDES for name in ("requests", "errors", "p95_ms", "source"))
_UPSERT = (
    f"INSERT INTO metric_coarse (tenant_id, at, {_COLUMNS}) VALUES (?, ?, {', '.join('?' * 8)}) "
    f"ON CONFLICT (tenant_id, at) DO UPDATE SET {_MERGE}"
)
_FOLD = ", ".join(
    f"SUM(CASE WHEN side = '{side}' THEN requests END), SUM(CASE WHEN side = '{side}' THEN errors END), "
    f"MAX(CASE WHEN side = '{side}' THEN p95_ms END), MAX(CASE WHEN side = '{side}' THEN source END)"
    for side in SIDES
)
# Fine samples of tenants not kept: measured before the bucket boundary, neither named nor moved since.
_NOT_KEPT = (
    "measured_at < :before AND tenant_id NOT IN (SELECT value FROM json_each(:keep)) "
    "AND tenant_id NOT IN (SELECT tenant_id FROM tenants WHERE lifecycle_since >= :moved_since)"
)


def _added(kept: float | None, more: float | None) -> float | None:
    return more if kept is None else kept if more is None else kept + more


def _worse(kept: float | None, more: float | None) -> float | None:
    return more if kept is None else kept if more is None else max(kept, more)


def bucket_of(at: float, resolution: float) -> int:
    """The start of the `resolution`-long bucket `at` falls in, in whole seconds."""
    step = max(1, round(resolution))
    return int(at // step) * step


class SampleStore:
    def __init__(self, store: Store):
        self.store = store

    def add(self, samples: Iterable[Sample]) -> int:
        """Keep samples as measured (tenants in flight or under watch)."""
        rows = [sample.__dict__ for sample in samples]
        with self.store.write() as db:
            db.table("metric_samples").insert_all(rows, replace=True)
        return len(rows)

    def add_coarse(self, samples: Iterable[Sample], resolution: float) -> int:
        """Fold samples into their tenant's `resolution` bucket; returns how many samples went in."""
        buckets: dict[tuple[str, int], list[Any]] = {}
        count = 0
        for sample in samples:
            row = buckets.setdefault((sample.tenant_id, bucket_of(sample.measured_at, resolution)), [None] * 8)
            at = 4 * SIDES.index(sample.side)
            requests, errors, p95, _ = row[at : at + 4]
            row[at : at + 4] = [
                _added(requests, sample.requests),
                _added(errors, sample.errors),
                _worse(p95, sample.p95_ms),
                sample.source,
            ]
            count += 1
        with self.store.write() as db:
            db.conn.executemany(_UPSERT, [(tenant_id, at, *row) for (tenant_id, at), row in buckets.items()])
        return count

    def compact(self, before: float, resolution: float, keep: Iterable[str], moved_since: float) -> int:
        """Fold the fine samples of whole buckets ended by `before` into coarse ones, except those of the tenants
        in `keep` (in flight, under watch) and of tenants whose lifecycle changed at or after `moved_since`
        (their cutover or rollback stays measurable). Returns how many fine rows went."""
        params = {
            "before": bucket_of(before, resolution),
            "keep": json.dumps(sorted(set(keep))),
            "moved_since": moved_since,
            "step": max(1, round(resolution)),
        }
        with self.store.write() as db:
            db.execute(
                f"INSERT INTO metric_coarse (tenant_id, at, {_COLUMNS}) "
                f"SELECT tenant_id, CAST(measured_at / :step AS INTEGER) * :step AS bucket, {_FOLD} "
                f"FROM metric_samples WHERE {_NOT_KEPT} GROUP BY tenant_id, bucket "
                f"ORDER BY tenant_id, bucket ON CONFLICT (tenant_id, at) DO UPDATE SET {_MERGE}",
                params,
            )
            cursor = db.execute(f"DELETE FROM metric_samples WHERE {_NOT_KEPT}", params)
        return cursor.rowcount

    def history(self, tenant_id: str, since: float) -> list[Sample]:
        """A tenant's samples from `since`, oldest first: the coarse buckets (one sample per side at the
        bucket's start) and the fine samples together."""
        with self.store.read() as db:
            fine = [
                Sample(**row)
                for row in db.query(
                    "SELECT * FROM metric_samples WHERE tenant_id = ? AND measured_at >= ?", [tenant_id, since]
                )
            ]
            coarse = list(db.query("SELECT * FROM metric_coarse WHERE tenant_id = ? AND at >= ?", [tenant_id, since]))
        for row in coarse:
            for side in SIDES:
                source = row[f"{side}_source"]
                if source is not None:
                    fine.append(
                        Sample(
                            tenant_id,
                            side,
                            float(row["at"]),
                            row[f"{side}_requests"],
                            row[f"{side}_errors"],
                            row[f"{side}_p95_ms"],
                            source,
                        )
                    )
        fine.sort(key=lambda sample: (sample.measured_at, sample.side))
        return fine

    def rows(self) -> int:
        """Sample rows kept, both resolutions."""
        with self.store.read() as db:
            return sum(
                int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
                for table in ("metric_samples", "metric_coarse")
            )

    def prune(self, now: float, retention: float, max_rows: int | None = None) -> int:
        """Drop samples older than `retention` seconds, then, over `max_rows` rows, the oldest (a timestamp's
        rows go together); returns how many rows went."""
        cutoff = now - retention
        with self.store.write() as db:
            gone = db.execute("DELETE FROM metric_samples WHERE measured_at < ?", [cutoff]).rowcount
            gone += db.execute("DELETE FROM metric_coarse WHERE at < ?", [cutoff]).rowcount
            if max_rows is None:
                return gone
            over = self.rows() - max_rows
            if over <= 0:
                return gone
            oldest_kept = db.execute(
                "SELECT at FROM (SELECT measured_at AS at FROM metric_samples UNION ALL "
                "SELECT at FROM metric_coarse) AS every_sample ORDER BY at LIMIT 1 OFFSET ?",
                [over - 1],
            ).fetchone()[0]
            gone += db.execute("DELETE FROM metric_samples WHERE measured_at <= ?", [oldest_kept]).rowcount
            gone += db.execute("DELETE FROM metric_coarse WHERE at <= ?", [oldest_kept]).rowcount
        return gone
