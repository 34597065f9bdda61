"""Metric samples per tenant and side, kept for a retention window."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cutover.state.store import Store


@dataclass(frozen=True)
class Sample:
    tenant_id: str
    side: str
    measured_at: float
    requests: float | None
    errors: float | None
    p95_ms: float | None
    source: str


class SampleStore:
    def __init__(self, store: Store):
        self.store = store

    def add(self, samples: Iterable[Sample]) -> int:
        rows = [sample.__dict__ for sample in samples]
        with self.store.write() as db:
            db.table("metric_samples").insert_all(rows, replace=True)
        return len(rows)

    def history(self, tenant_id: str, since: float) -> list[Sample]:
        rows = self.store.db.query(
            "SELECT * FROM metric_samples WHERE tenant_id = ? AND measured_at >= ? ORDER BY measured_at, side",
            [tenant_id, since],
        )
        return [Sample(**row) for row in rows]

    def prune(self, now: float, retention: float) -> int:
        """Drop samples older than `retention` seconds; returns how many went."""
        with self.store.write() as db:
            cursor = db.execute("DELETE FROM metric_samples WHERE measured_at < ?", [now - retention])
        return cursor.rowcount
