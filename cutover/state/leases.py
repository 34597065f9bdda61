"""The engine lease: one engine per war room runs pollers, triggers and jobs.

The holder renews it with a heartbeat; when it stops renewing (killed, hung,
its SSH session dropped) the lease expires and another engine takes it over.
Every takeover bumps `epoch`; the holder checks its epoch inside each write it
makes while running jobs (`fence`), so an engine that stalled past its expiry
can never write over its successor's work.

Leases run on WALL time (time.time()), never on the simulated clock: the
simulated fleet may run 60 times faster, and a lease must expire after 15 real
seconds whatever the world's speed.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from cutover.config.war_room import WHOLE_FLEET_LEASE, WarRoom
from cutover.state.job_records import LeaseLost
from cutover.state.store import Store, StoreGone

log = logging.getLogger(__name__)

ENGINE_LEASE = WHOLE_FLEET_LEASE  # a war room's is engine:<name> (config/war_room.py)
# A leader acts outside the store (a DNS change, a sync) only while its last renewal is younger than
# this share of the TTL: what is left of the TTL covers the call itself. The rest is the DNS fence's job.
SAFE_SHARE_OF_TTL = 2 / 3


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str
    holder_info: dict[str, Any]
    acquired_at: float
    heartbeat_at: float
    expires_at: float
    epoch: int

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Lease:
        return cls(**{**row, "holder_info": json.loads(row["holder_info"] or "{}")})

    @property
    def war_room(self) -> WarRoom:
        """The war room whose engine holds it (one from before war rooms drove the whole fleet)."""
        return WarRoom.from_json(self.holder_info.get("war_room"))

    @property
    def released(self) -> bool:
        """Handed over by its holder (a clean stop), not left to expire (a crash)."""
        return "released_at" in self.holder_info

    def standby(self, within: float, now: float | None = None) -> str:
        """Who last asked for the lease while it was held, if within the last `within` seconds; else ''."""
        now = time.time() if now is None else now
        if now - float(self.holder_info.get("standby_at", -within - 1)) > within:
            return ""
        return str(self.holder_info.get("standby", ""))

    def alive(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) < self.expires_at

    def describe(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        if self.alive(now):
            return f"{who(self.holder_info)}, heartbeat {now - self.heartbeat_at:.0f} s ago"
        return f"{who(self.holder_info)}, expired {now - self.expires_at:.0f} s ago"


def who(info: dict[str, Any]) -> str:
    """An engine as a person reads it: operator@host (pid N)."""
    return f"{info.get('operator', '?')}@{info.get('host', '?')} (pid {info.get('pid', '?')})"


class LeaseStore:
    def __init__(
        self,
        store: Store,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        *,
        name: str = ENGINE_LEASE,
    ):
        """`name`: the lease the methods mean when given none (a war room's engine lease, config/war_room.py)."""
        self.store = store
        self.wall = wall
        self.monotonic = monotonic
        self.name = name
        # What a standby last saw of another's lease, and when (monotonic): see `_stale`.
        self._seen: dict[str, tuple[tuple[str, int, float], float]] = {}

    def current(self, name: str | None = None) -> Lease | None:
        """The lease as recorded, alive or expired; None if nobody ever held it (or it was released)."""
        name = name or self.name
        row = next(self.store.db.query("SELECT * FROM leases WHERE name = ?", [name]), None)
        return Lease.from_row(row) if row else None

    def leader(self, name: str | None = None) -> Lease | None:
        """The live holder, if any."""
        lease = self.current(name)
        return lease if lease is not None and lease.alive(self.wall()) else None

    def engines_leading(self, now: float | None = None) -> list[Lease]:
        """Every war room's engine that leads now (one, in a store with one war room)."""
        now = self.wall() if now is None else now
        rows = self.store.db.query("SELECT * FROM leases WHERE name LIKE ? ORDER BY name", [f"{ENGINE_LEASE}%"])
        return [lease for lease in map(Lease.from_row, rows) if lease.alive(now)]

    def other_war_rooms_leading(self, room: WarRoom) -> tuple[WarRoom, ...]:
        """The parts of the fleet the other war rooms' engines lead now, by name (config/war_room.py)."""
        leading = (lease.war_room for lease in self.engines_leading())
        return tuple(sorted((other for other in leading if other.name != room.name), key=lambda other: other.name))

    def acquire(
        self,
        holder: str,
        info: dict[str, Any],
        ttl: float,
        name: str | None = None,
        *,
        conflicts: Callable[[Lease], bool] | None = None,
    ) -> tuple[Lease | None, Lease | None]:
        """Take the lease if it is free, expired or already ours, and no live engine lease that `conflicts`
        with it is held (another war room's, whose part of the fleet overlaps this one's).

        Returns (ours, previous): ours is None when someone else holds it or a conflicting one (previous
        says who); previous is the expired holder we took over from, if any.
        """
        name = name or self.name
        with self.store.write() as db:
            now = self.wall()
            if conflicts is not None:
                others = db.query("SELECT * FROM leases WHERE name != ? AND name LIKE ?", [name, f"{ENGINE_LEASE}%"])
                for other in map(Lease.from_row, others):
                    # Alive as the one it overlaps would be judged for a take-over (wall clock and heartbeats).
                    if other.alive(now) and not other.released and not self._stale(other) and conflicts(other):
                        return None, other
            row = next(db.query("SELECT * FROM leases WHERE name = ?", [name]), None)
            current = Lease.from_row(row) if row else None
            if current is not None and current.holder != holder and current.alive(now) and not self._stale(current):
                # Say we stand by, so a leader that would rather stop knows someone takes over.
                db.execute(
                    "UPDATE leases SET holder_info = json_set(holder_info, '$.standby', ?, '$.standby_at', ?) "
                    "WHERE name = ?",
                    [who(info), now, name],
                )
                return None, current
            if current is not None and current.holder == holder:
                db.execute(
                    "UPDATE leases SET holder_info = ?, heartbeat_at = ?, expires_at = ? WHERE name = ?",
                    [json.dumps(info, sort_keys=True), now, now + ttl, name],
                )
                return self.current(name), None
            epoch = (current.epoch if current else 0) + 1
            db.execute(
                "INSERT INTO leases (name, holder, holder_info, acquired_at, heartbeat_at, expires_at, epoch) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
                "holder_info = excluded.holder_info, acquired_at = excluded.acquired_at, "
                "heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at, epoch = excluded.epoch",
                [name, holder, json.dumps(info, sort_keys=True), now, now, now + ttl, epoch],
            )
            return self.current(name), current

    def _stale(self, lease: Lease) -> bool:
        """The holder has not renewed for a whole TTL on this process's monotonic clock, whatever the wall
        clock says: after the wall clock is set back, its `expires_at` lies far ahead, but a dead leader's
        heartbeat stops changing, and that is measured here without the wall clock."""
        seen = (lease.holder, lease.epoch, lease.heartbeat_at)
        now = self.monotonic()
        last = self._seen.get(lease.name)
        if last is None or last[0] != seen:
            self._seen[lease.name] = (seen, now)
            return False
        return now - last[1] > lease.expires_at - lease.heartbeat_at

    def heartbeat(self, holder: str, epoch: int, ttl: float, name: str | None = None) -> Lease | None:
        """Renew our lease; None if it is no longer ours (taken over, or released).

        A lease that expired while nobody could write (another process held the store's write lock)
        is renewed if its epoch is still ours: nobody took it over, so nobody acted in between."""
        name = name or self.name
        with self.store.write() as db:
            now = self.wall()
            cursor = db.execute(
                "UPDATE leases SET heartbeat_at = ?, expires_at = ? "
                "WHERE name = ? AND holder = ? AND epoch = ? AND json_extract(holder_info, '$.released_at') IS NULL",
                [now, now + ttl, name, holder, epoch],
            )
            return self.current(name) if cursor.rowcount else None

    def release(self, holder: str, epoch: int, name: str | None = None) -> bool:
        """Hand the lease over at once (expire it), so another engine need not wait for the expiry."""
        name = name or self.name
        with self.store.write() as db:
            now = self.wall()
            cursor = db.execute(
                "UPDATE leases SET expires_at = MIN(expires_at, ?), "
                "holder_info = json_set(holder_info, '$.released_at', ?) "
                "WHERE name = ? AND holder = ? AND epoch = ?",
                [now, now, name, holder, epoch],
            )
            return bool(cursor.rowcount)

    def fence(self, holder: str, epoch: int, name: str | None = None) -> Callable[[sqlite_utils.Database], None]:
        """A check to run inside each of the holder's writes: raises LeaseLost once the lease has moved on."""
        name = name or self.name

        def check(db: sqlite_utils.Database) -> None:
            row = db.execute("SELECT holder, epoch, expires_at FROM leases WHERE name = ?", [name]).fetchone()
            if row is None or row[0] != holder or row[1] != epoch:
                raise LeaseLost(f"the engine lease passed to another engine (epoch {row[1] if row else '?'})")
            if row[2] <= self.wall():
                raise LeaseLost("the engine lease expired before it was renewed")

        return check


class LeaseGuard:
    """A leader's hold on its lease, checked right before every side effect outside the store.

    Time since the last renewal is measured on the monotonic clock, so a process that was
    suspended (Ctrl-Z, a VM pause, a swap storm) knows it on waking, whatever the wall clock
    did meanwhile; then the store is asked whether the lease is still ours at this epoch.
    """

    def __init__(
        self,
        leases: LeaseStore,
        holder: str,
        epoch: int,
        ttl: float,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.leases = leases
        self.holder = holder
        self.epoch = epoch
        self.ttl = ttl
        self.monotonic = monotonic
        self.renewed_at = monotonic()
        self._fence = leases.fence(holder, epoch)

    def renewed(self, asked_at: float) -> None:
        """A heartbeat asked at `asked_at` (this guard's monotonic clock) was written."""
        self.renewed_at = max(self.renewed_at, asked_at)

    def check(self) -> None:
        """Raise LeaseLost unless this engine surely still leads, with time left to act."""
        since = self.monotonic() - self.renewed_at
        if since > self.ttl * SAFE_SHARE_OF_TTL:
            raise LeaseLost(
                f"this engine last renewed its lease {since:.1f} s ago (the lease lasts {self.ttl:g} s): it was "
                "stalled and another engine may lead, so it changes nothing more"
            )
        self.check_store()
        self._fence(self.leases.store.db)

    def check_store(self) -> None:
        """Raise LeaseLost if the store's file was deleted or replaced: nothing written now would last."""
        try:
            self.leases.store.check_identity()
        except StoreGone as gone:
            raise LeaseLost(str(gone)) from None


class LeaseKeeper:
    """Renews a leader's lease from a thread of its own, on its own connection to the store.

    The engine's event loop also runs the whole-fleet polls; at 50,000 tenants a poll holds the loop for
    seconds, and a heartbeat queued behind it came 20-24 s apart against a 15 s lease. This thread does
    nothing else: it is held back only by the store's write lock (short transactions) and by a pause of
    the whole process. Each renewal is fenced by epoch exactly as before (`LeaseStore.heartbeat`), and
    feeds the same `LeaseGuard`, so an engine that was stalled still stops acting on its own.

    When the lease is lost (taken over, released, or a renewal fails), `failure` says why, with how late
    the last renewal was, and `on_lost` is called (from this thread) once; the thread then ends.
    """

    def __init__(
        self,
        leases: LeaseStore,
        guard: LeaseGuard,
        every: float,
        on_lost: Callable[[], None],
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.leases = leases
        self.guard = guard
        self.every = every
        self.on_lost = on_lost
        self.monotonic = monotonic
        self.failure: BaseException | None = None
        self.renewals = 0
        self.longest_gap = 0.0  # the longest time between two renewals written (monotonic seconds)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{guard.holder}", daemon=True)

    def start(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def stop(self, timeout: float = 1.0) -> None:
        """Stop renewing (before the lease is released); waits for a renewal under way."""
        self._stopping.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def since_renewal(self) -> float:
        return self.monotonic() - self.guard.renewed_at

    def describe_renewals(self) -> str:
        """How late the last renewal is, in words, for an alert."""
        return (
            f"its last renewal was {self.since_renewal():.1f} s ago, the longest gap between renewals "
            f"{self.longest_gap:.1f} s (heartbeat every {self.every:g} s, the lease lasts {self.guard.ttl:g} s)"
        )

    def _run(self) -> None:
        try:
            while not self._stopping.wait(self.every):
                self.guard.check_store()
                asked_at = self.monotonic()
                renewed = self.leases.heartbeat(self.guard.holder, self.guard.epoch, self.guard.ttl)
                if self._stopping.is_set():
                    return  # a clean stop raced the renewal: whatever it found, the engine is handing over
                if renewed is None:
                    raise LeaseLost(self._taken(asked_at))
                self.longest_gap = max(self.longest_gap, asked_at - self.guard.renewed_at)
                self.guard.renewed(asked_at)
                self.renewals += 1
        except BaseException as failure:
            if not self._stopping.is_set():
                self.failure = failure
                log.warning("lease %s of %s lost: %s", self.guard.epoch, self.guard.holder, failure)
                self.on_lost()
        finally:
            self.leases.store.close_thread()

    def _taken(self, asked_at: float) -> str:
        """Why a renewal found the lease no longer ours: who has it now, and how late this renewal came."""
        late = asked_at - self.guard.renewed_at
        try:
            now = self.leases.current()
        except Exception:
            now = None
        if now is None or (now.holder == self.guard.holder and now.epoch == self.guard.epoch):
            whom = "the lease was released or removed"
        else:
            whom = f"{who(now.holder_info)} holds it now (epoch {now.epoch})"
        return (
            f"the lease was no longer this engine's when it came to renew it {late:.1f} s after its last "
            f"renewal: {whom}"
        )
