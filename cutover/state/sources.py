"""How each data source is doing: when it last answered, and its errors.

The engine records every poll here; every console reads it to show each
source's freshness (older than two intervals is stale) and its errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from cutover.state.store import Store


@dataclass(frozen=True)
class SourceHealth:
    name: str
    role: str
    interval_s: float
    last_ok_at: float | None
    last_error_at: float | None
    last_error: str
    consecutive_errors: int

    def is_stale(self, now: float) -> bool:
        """Older than two polling intervals: never to be shown as current."""
        return self.last_ok_at is None or now - self.last_ok_at > 2 * self.interval_s


class SourceStore:
    def __init__(self, store: Store):
        self.store = store

    def ok(self, name: str, role: str, interval_s: float, at: float) -> None:
        with self.store.write() as db:
            db.execute(
                "INSERT INTO sources (name, role, interval_s, last_ok_at, consecutive_errors) VALUES (?, ?, ?, ?, 0) "
                "ON CONFLICT (name) DO UPDATE SET role = excluded.role, interval_s = excluded.interval_s, "
                "last_ok_at = excluded.last_ok_at, consecutive_errors = 0",
                [name, role, interval_s, at],
            )

    def error(self, name: str, role: str, interval_s: float, at: float, message: str) -> SourceHealth:
        """Record a failed poll; returns the source's health, with its run of consecutive errors."""
        with self.store.write() as db:
            db.execute(
                "INSERT INTO sources (name, role, interval_s, last_error_at, last_error, consecutive_errors) "
                "VALUES (?, ?, ?, ?, ?, 1) "
                "ON CONFLICT (name) DO UPDATE SET role = excluded.role, interval_s = excluded.interval_s, "
                "last_error_at = excluded.last_error_at, last_error = excluded.last_error, "
                "consecutive_errors = consecutive_errors + 1",
                [name, role, interval_s, at, message],
            )
            return self.get(name)

    def get(self, name: str) -> SourceHealth:
        row = next(self.store.db.query("SELECT * FROM sources WHERE name = ?", [name]))
        return SourceHealth(**row)

    def all(self) -> list[SourceHealth]:
        return [SourceHealth(**row) for row in self.store.db.query("SELECT * FROM sources ORDER BY role, name")]
