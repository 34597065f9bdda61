"""The simulated fleet's world, as kept in the store.

Every process that opens the same store file sees one world: the same clock, DNS
records, sync jobs and faults. Only what changes the world is kept here; the
simulator (`cutover.providers.sim`) computes traffic, metrics, lag and backend
health from these rows, the world time and the seed.

Every write bumps `sim_world.generation` in the same transaction, so a reader
can cache what it loaded and reload only when the world changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from typing import Any

from cutover.model.clock import Anchor, Reanchor
from cutover.model.lifecycle import Lifecycle, check_transition
from cutover.state.events import EventLog
from cutover.state.simworld_rows import (
    DnsChangeRow,
    DnsRecordRow,
    FaultRow,
    JobRow,
    NameRecordRow,
    NotificationRow,
    SeededLifecycle,
    WorldRow,
)
from cutover.state.store import Store
from cutover.state.tenants import NEXT_REVISION


class WorldMissing(Exception):
    """The store holds no simulated world yet."""


class SimWorldStore:
    """Every read holds the store's lock (`store.read_one()`), so threads sharing one
    connection never read through a cursor another thread's write disturbs."""

    def __init__(self, store: Store):
        self.store = store

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.store.read_one() as db:
            return list(db.query(sql, list(params)))

    def _tuples(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.store.read_one() as db:
            return db.execute(sql, list(params)).fetchall()

    def _first(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self.store.read_one() as db:
            row: tuple[Any, ...] | None = db.execute(sql, list(params)).fetchone()
            return row

    # --- the world row and its clock -------------------------------------------------

    def world(self) -> WorldRow:
        row = next(iter(self._rows("SELECT * FROM sim_world WHERE id = 1")), None)
        if row is None:
            raise WorldMissing(f"{self.store.path}: no simulated world in this store")
        row.pop("id")
        row["ambient_faults"] = bool(row["ambient_faults"])
        return WorldRow(**row)

    def has_world(self) -> bool:
        return bool(self._tuples("SELECT count(*) FROM sim_world")[0][0] > 0)

    def create_world(self, world: WorldRow) -> bool:
        """Create the world unless one exists (another process may have won the race)."""
        with self.store.write() as db:
            if self.has_world():
                return False
            db.table("sim_world").insert({"id": 1, **asdict(world)})
            return True

    def generation(self) -> int:
        row = self._first("SELECT generation FROM sim_world WHERE id = 1")
        return int(row[0]) if row else -1

    def clock_row(self) -> Anchor:
        """(anchor_world, anchor_wall, speed, alive_wall)."""
        row = self._first("SELECT anchor_world, anchor_wall, speed, alive_wall FROM sim_world WHERE id = 1")
        if row is None:
            raise WorldMissing(f"{self.store.path}: no simulated world in this store")
        return float(row[0]), float(row[1]), float(row[2]), row[3]

    def update_clock(self, compute: Reanchor) -> None:
        """Re-anchor the clock atomically: `compute(anchor_world, anchor_wall, speed, alive_wall)`
        returns the new (anchor_world, anchor_wall, speed)."""
        with self.store.write() as db:
            old = self.clock_row()
            anchor_world, anchor_wall, speed = compute(*old)
            if (anchor_world, anchor_wall, speed) == old[:3]:
                return  # the anchor stays: so does the heartbeat (resetting it to the anchor froze a running world)
            db.execute(
                "UPDATE sim_world SET anchor_world = ?, anchor_wall = ?, speed = ?, alive_wall = ? WHERE id = 1",
                [anchor_world, anchor_wall, speed, anchor_wall],
            )

    def heartbeat(self, wall: float) -> None:
        with self.store.write() as db:
            db.execute("UPDATE sim_world SET alive_wall = max(coalesce(alive_wall, 0), ?) WHERE id = 1", [wall])

    def set_scenario(self, name: str) -> None:
        with self.store.write() as db:
            db.execute("UPDATE sim_world SET scenario = ?, generation = generation + 1 WHERE id = 1", [name])

    def _bump(self, db: Any) -> int:
        db.execute("UPDATE sim_world SET generation = generation + 1 WHERE id = 1")
        return int(db.execute("SELECT generation FROM sim_world WHERE id = 1").fetchone()[0])

    # --- DNS ---------------------------------------------------------------------------

    def records(self, since_gen: int = -1) -> list[DnsRecordRow]:
        """Every record, or those written after generation `since_gen`."""
        rows = self._rows("SELECT * FROM sim_dns_records WHERE gen > ?", [since_gen])
        return [DnsRecordRow(**row) for row in rows]

    def add_records(self, rows: Iterable[DnsRecordRow]) -> int:
        """Create records for tenants that have none; existing records are left alone."""
        rows = list(rows)
        if not rows:
            return 0
        with self.store.write() as db:
            before = db["sim_dns_records"].count
            gen = self._bump(db)
            db.table("sim_dns_records").insert_all([{**asdict(row), "gen": gen} for row in rows], ignore=True)
            return db["sim_dns_records"].count - before

    def name_records(self, tenant_ids: Sequence[str]) -> dict[tuple[str, str], NameRecordRow]:
        """The extra names' records of these tenants, by (tenant, name)."""
        found: dict[tuple[str, str], NameRecordRow] = {}
        ids = list(tenant_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for row in self._rows(f"SELECT * FROM sim_dns_names WHERE tenant_id IN ({marks})", chunk):
                found[(row["tenant_id"], row["name"])] = NameRecordRow(**row)
        return found

    def add_name_records(self, rows: Iterable[NameRecordRow]) -> int:
        """Create records for extra names that have none; existing records are left alone."""
        rows = list(rows)
        if not rows:
            return 0
        with self.store.write() as db:
            before = db.table("sim_dns_names").count
            gen = self._bump(db)
            db.table("sim_dns_names").insert_all([{**asdict(row), "gen": gen} for row in rows], ignore=True)
            return db.table("sim_dns_names").count - before

    def apply_change_set(
        self,
        zone: str,
        change_id: str,
        submitted_at: float,
        insync_at: float,
        changes: Sequence[tuple[str, Callable[[DnsRecordRow | None], tuple[DnsRecordRow, bool]]]],
        names: Sequence[tuple[str, str, Callable[[NameRecordRow | None], NameRecordRow]]] = (),
    ) -> None:
        """Apply one change set atomically, with its history.

        For each (tenant_id, decide), `decide(current)` returns the new record and
        whether the change is a cutover (from no traffic on OCI to some), or raises
        to refuse, in which case nothing at all is written. It runs inside the write
        transaction, so a compare-and-swap sees exactly what it replaces.
        """
        with self.store.write() as db:
            current = {
                row["tenant_id"]: DnsRecordRow(**row)
                for row in db.query(
                    f"SELECT * FROM sim_dns_records WHERE tenant_id IN ({', '.join('?' * len(changes))})",
                    [tenant_id for tenant_id, _ in changes],
                )
            }
            decided = [(current.get(tenant_id), *decide(current.get(tenant_id))) for tenant_id, decide in changes]
            decided_names = []
            for tenant_id, name, decide_name in names:
                row = db.execute(
                    "SELECT * FROM sim_dns_names WHERE tenant_id = ? AND name = ?", [tenant_id, name]
                ).fetchone()
                old_name = NameRecordRow(*row) if row else None
                decided_names.append((old_name, decide_name(old_name)))
            gen = self._bump(db)
            history = []
            for old, new, cutover in decided:
                db.table("sim_dns_records").upsert({**asdict(new), "gen": gen}, pk="tenant_id")
                history.append(
                    {
                        "change_id": change_id,
                        "zone": zone,
                        "tenant_id": new.tenant_id,
                        "from_routing": old.routing if old else "",
                        "to_routing": new.routing,
                        "submitted_at": submitted_at,
                        "insync_at": insync_at,
                        "cutover": int(cutover),
                        "name": "",
                    }
                )
            for old_name, new_name in decided_names:
                db.table("sim_dns_names").upsert({**asdict(new_name), "gen": gen}, pk=("tenant_id", "name"))
                history.append(
                    {
                        "change_id": change_id,
                        "zone": zone,
                        "tenant_id": new_name.tenant_id,
                        "from_routing": old_name.routing if old_name else "",
                        "to_routing": new_name.routing,
                        "submitted_at": submitted_at,
                        "insync_at": insync_at,
                        "cutover": 0,
                        "name": new_name.name,
                    }
                )
            db.table("sim_dns_changes").insert_all(history)

    def changes(self, tenant_id: str | None = None, change_id: str | None = None) -> list[DnsChangeRow]:
        """Every DNS change applied, oldest first: the history tests count."""
        where, params = [], []
        if tenant_id is not None:
            where.append("tenant_id = ?")
            params.append(tenant_id)
        if change_id is not None:
            where.append("change_id = ?")
            params.append(change_id)
        sql = "SELECT * FROM sim_dns_changes" + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY seq"
        return [DnsChangeRow(**{**row, "cutover": bool(row["cutover"])}) for row in self._rows(sql, params)]

    def count_changes(self) -> int:
        return int(self._tuples("SELECT count(*) FROM sim_dns_changes")[0][0])

    def cutover_times(self) -> dict[str, list[float]]:
        """Per tenant, when each change that started moving traffic to OCI was submitted."""
        found: dict[str, list[float]] = {}
        for tenant_id, at in self._tuples(
            "SELECT tenant_id, submitted_at FROM sim_dns_changes WHERE cutover = 1 ORDER BY seq"
        ):
            found.setdefault(tenant_id, []).append(at)
        return found

    def tenant_targets(self, tenant_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """(AWS target, OCI target) of each tenant that exists."""
        found: dict[str, tuple[str, str]] = {}
        ids = list(tenant_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for tenant_id, aws, oci in self._tuples(
                f"SELECT tenant_id, aws_target, oci_target FROM tenants WHERE tenant_id IN ({marks})", chunk
            ):
                found[tenant_id] = (aws, oci)
        return found

    # --- jobs --------------------------------------------------------------------------

    def jobs(self, since_gen: int = -1) -> list[JobRow]:
        """Every job, or those recorded after generation `since_gen`, oldest first."""
        rows = self._rows("SELECT * FROM sim_jobs WHERE gen > ? ORDER BY started_at, job_id", [since_gen])
        return [JobRow(**{**row, "seeded": bool(row["seeded"])}) for row in rows]

    def job(self, job_id: str) -> JobRow | None:
        row = next(iter(self._rows("SELECT * FROM sim_jobs WHERE job_id = ?", [job_id])), None)
        return JobRow(**{**row, "seeded": bool(row["seeded"])}) if row else None

    def start_job(self, tenant_id: str, kind: str, started_at: float, duration_s: float | None) -> JobRow:
        """Record a new job, unless the tenant already has one of this kind running
        (a continuous sync always runs once started): then return that one."""
        prefix = {"continuous": "sync", "final": "final", "hydrate": "hydrate"}.get(kind, kind)
        with self.store.write() as db:
            running = next(
                db.query(
                    "SELECT * FROM sim_jobs WHERE tenant_id = ? AND kind = ? AND "
                    "(duration_s IS NULL OR started_at + duration_s > ?) ORDER BY started_at DESC LIMIT 1",
                    [tenant_id, kind, started_at],
                ),
                None,
            )
            if running is not None:
                return JobRow(**{**running, "seeded": bool(running["seeded"])})
            count = db.execute("SELECT count(*) FROM sim_jobs WHERE tenant_id = ? AND kind = ?", [tenant_id, kind])
            job_id = f"{prefix}-{tenant_id}-{count.fetchone()[0] + 1}"
            gen = self._bump(db)
            job = JobRow(job_id, tenant_id, kind, started_at, duration_s, False, gen)
            db.table("sim_jobs").insert(asdict(job))
            return job

    def add_jobs(self, jobs: Iterable[JobRow]) -> None:
        rows = [asdict(job) for job in jobs]
        if rows:
            with self.store.write() as db:
                gen = self._bump(db)
                db.table("sim_jobs").insert_all([{**row, "gen": gen} for row in rows])

    # --- faults ------------------------------------------------------------------------

    def faults(self) -> list[FaultRow]:
        found = []
        for row in self._rows("SELECT * FROM sim_faults ORDER BY fault_id"):
            targets = json.loads(row["targets"]) if row["targets"] is not None else None
            found.append(
                FaultRow(
                    fault_id=row["fault_id"],
                    kind=row["kind"],
                    targets=tuple(targets) if targets is not None else None,
                    start_at=row["start_at"],
                    after_cutover_s=row["after_cutover_s"],
                    duration_s=row["duration_s"],
                    params=json.loads(row["params"]),
                    source=row["source"],
                    label=row["label"],
                    added_at=row["added_at"],
                )
            )
        return found

    def add_faults(self, faults: Iterable[dict[str, Any]]) -> int:
        """Insert faults given as FaultRow fields without `fault_id`."""
        rows = []
        for fault in faults:
            targets = fault["targets"]
            rows.append(
                {
                    **fault,
                    "targets": json.dumps(list(targets)) if targets is not None else None,
                    "params": json.dumps(fault.get("params") or {}, sort_keys=True),
                }
            )
        if rows:
            with self.store.write() as db:
                db.table("sim_faults").insert_all(rows)
                self._bump(db)
        return len(rows)

    def clear_faults(self, source: str | None = None) -> int:
        with self.store.write() as db:
            if source is None:
                cursor = db.execute("DELETE FROM sim_faults")
            else:
                cursor = db.execute("DELETE FROM sim_faults WHERE source = ?", [source])
            self._bump(db)
        return cursor.rowcount

    # --- notifications -------------------------------------------------------------------

    def post(self, posted_at: float, severity: str, text: str, tenant_id: str | None, job_id: str | None) -> None:
        with self.store.write() as db:
            db.table("sim_notifications").insert(
                {"posted_at": posted_at, "severity": severity, "text": text, "tenant_id": tenant_id, "job_id": job_id}
            )

    def notifications(self, after_seq: int = 0) -> list[NotificationRow]:
        return [
            NotificationRow(**row)
            for row in self._rows("SELECT * FROM sim_notifications WHERE seq > ? ORDER BY seq", [after_seq])
        ]

    # --- seeding -------------------------------------------------------------------------

    def seed_lifecycles(self, events: EventLog, seeded: Sequence[SeededLifecycle], why: str) -> int:
        """Place pending tenants along their lifecycle, each step a legal transition,
        with one audit event per tenant saying the simulator put it there."""
        if not seeded:
            return 0
        entries = []
        with self.store.write() as db:
            revision = int(db.execute(f"SELECT {NEXT_REVISION}").fetchone()[0])  # the change feed's, as an import
            for item in seeded:
                row = db.execute("SELECT lifecycle FROM tenants WHERE tenant_id = ?", [item.tenant_id]).fetchone()
                if row is None or row[0] != Lifecycle.PENDING.value:
                    continue  # only a pending tenant is seeded; anything else has a history of its own
                current = Lifecycle.PENDING
                for step in item.path:
                    check_transition(item.tenant_id, current, step)
                    current = step
                db.execute(
                    "UPDATE tenants SET lifecycle = ?, lifecycle_since = ?, version = version + 1, revision = ? "
                    "WHERE tenant_id = ?",
                    [current.value, item.since, revision, item.tenant_id],
                )
                entries.append(
                    dict(
                        kind="sim.seeded",
                        what=f"seeded: pending -> {current.label}",
                        tenant_id=item.tenant_id,
                        why=why,
                        state_before=Lifecycle.PENDING.value,
                        state_after=current.value,
                        detail={"path": [step.value for step in item.path], "since": item.since},
                    )
                )
            if entries:
                events.append_many(entries)
        return len(entries)
