"""How each data source is doing: when it last answered, and its errors.

The engine records every poll here; every console reads it to show each
source's freshness and its errors. A polled source is stale once its last good
answer is older than two of the intervals it is actually polled at (recorded
with each poll: 5 s while tenants are in flight, the fleet interval otherwise)
plus its own reporting delay. A notifier speaks only when there is something to
say: its silence is not staleness, only a failure since its last delivery is.
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
    reporting_delay_s: float = 0.0  # how late a healthy source's figures arrive (CloudWatch: minutes)

    @property
    def event_driven(self) -> bool:
        return self.role in EVENT_DRIVEN

    @property
    def stale_after(self) -> float:
        """No good answer for this long: the source is stale."""
        return 2 * self.interval_s + self.reporting_delay_s

    @property
    def failing(self) -> bool:
        """Its latest answer was an error."""
        return self.last_error_at is not None and (self.last_ok_at is None or self.last_error_at >= self.last_ok_at)

    def is_stale(self, now: float) -> bool:
        """Never to be shown as current: a polled source past its bound, a notifier whose last post failed."""
        if self.event_driven:
            return self.failing
        return self.last_ok_at is None or now - self.last_ok_at > self.stale_after


EVENT_DRIVEN = frozenset({"notifier"})  # sources that are quiet while there is nothing to say


class SourceStore:
    def __init__(self, store: Store):
        self.store = store

    def ok(self, name: str, role: str, interval_s: float, at: float, *, reporting_delay_s: float = 0.0) -> None:
        """A good answer at `at`; the next is expected within `interval_s` (the cadence it is polled at now)."""
        with self.store.write() as db:
            db.execute(
                "INSERT INTO sources (name, role, interval_s, last_ok_at, consecutive_errors, reporting_delay_s) "
                "VALUES (?, ?, ?, ?, 0, ?) "
                "ON CONFLICT (name) DO UPDATE SET role = excluded.role, interval_s = excluded.interval_s, "
                "last_ok_at = excluded.last_ok_at, consecutive_errors = 0, "
                "reporting_delay_s = excluded.reporting_delay_s",
                [name, role, interval_s, at, reporting_delay_s],
            )

    def error(
        self, name: str, role: str, interval_s: float, at: float, message: str, *, reporting_delay_s: float = 0.0
    ) -> SourceHealth:
        """Record a failed poll; returns the source's health, with its run of consecutive errors."""
        with self.store.write() as db:
            db.execute(
                "INSERT INTO sources (name, role, interval_s, last_error_at, last_error, consecutive_errors, "
                "reporting_delay_s) VALUES (?, ?, ?, ?, ?, 1, ?) "
                "ON CONFLICT (name) DO UPDATE SET role = excluded.role, interval_s = excluded.interval_s, "
                "last_error_at = excluded.last_error_at, last_error = excluded.last_error, "
                "consecutive_errors = consecutive_errors + 1, reporting_delay_s = excluded.reporting_delay_s",
                [name, role, interval_s, at, message, reporting_delay_s],
            )
            return self.get(name)

    def expect(self, name: str, interval_s: float) -> None:
        """The source is polled at another cadence from now on (no tenant in flight: the fleet interval)."""
        with self.store.write() as db:
            db.execute(
                "UPDATE sources SET interval_s = ? WHERE name = ? AND interval_s <> ?", [interval_s, name, interval_s]
            )

    def get(self, name: str) -> SourceHealth:
        row = next(self.store.db.query("SELECT * FROM sources WHERE name = ?", [name]))
        return SourceHealth(**row)

    def all(self) -> list[SourceHealth]:
        return [SourceHealth(**row) for row in self.store.db.query("SELECT * FROM sources ORDER BY role, name")]
