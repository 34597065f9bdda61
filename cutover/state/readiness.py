"""Rollback readiness: a tenant's way back while it is on OCI, as the engine last measured it.

Three things an engineer asks before pressing `r`: is AWS still there to take the
traffic (the AWS side's target health, `AWS 3/3 targets healthy (40s ago)`, when the
health provider measures it; "not measured" when it does not), what a rollback would
strand (objects and bytes written on OCI that AWS lacks, from listings of both sides,
since the sides were last proven equal: the last reverse sync, or the cutover's
verification), and how long rollback stays possible (until the watch ends and
decommission may retire AWS). The engine measures the first two at `rollback.readiness_interval`; the time left is the
watch's clock. Readiness informs; it never refuses a rollback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from cutover.config.settings import WatchSettings
from cutover.config.units import format_clock, format_duration, format_size
from cutover.model.lifecycle import Lifecycle
from cutover.model.tenant import Tenant
from cutover.state.store import Store
from cutover.state.watch import watch_until

# Tenants whose customers write on OCI: the ones whose readiness is measured.
ON_OCI = (Lifecycle.MONITORING, Lifecycle.MIGRATED)
AWS_NOT_MEASURED = "AWS targets not measured (the health provider reports OCI's backends only)"
REVERSE_MODES = {
    "before-dns": "a reverse sync runs first",
    "after-dns": "a reverse sync runs right after the DNS change",
    "off": "reverse sync is off: they stay on OCI",
}


@dataclass(frozen=True)
class Readiness:
    tenant_id: str
    measured_at: float
    stranded_objects: int | None  # None: not measured (see error)
    stranded_bytes: int | None
    compared: int | None
    since: float | None  # when the sides were last proven equal
    since_what: str  # "the cutover's verification", "the reverse sync"
    source: str
    error: str
    aws_side: str
    reverse_at: float | None = None  # the end of the last reverse sync that succeeded
    aws_healthy: int | None = None  # the AWS side's healthy targets; None: not measured (aws_side says why)
    aws_total: int | None = None
    aws_measured_at: float | None = None

    @property
    def aws_measured(self) -> bool:
        return self.aws_healthy is not None and self.aws_total is not None and self.aws_measured_at is not None

    def aws_text(self, now: float) -> str:
        """`AWS 3/3 targets healthy (40s ago)`, or why it is not measured."""
        if not self.aws_measured:
            return self.aws_side
        return aws_targets_text(self.aws_healthy or 0, self.aws_total or 0, now - (self.aws_measured_at or now))

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Readiness:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})

    def strands(self, zone: tzinfo | None = None) -> str:
        """`a rollback now strands 42 objects, 3.1MB written on OCI since 02:14 UTC`."""
        if self.stranded_objects is None:
            return f"what a rollback strands is not measured: {self.error}"
        since = f" since {format_clock(self.since, zone)}" if self.since is not None else " since the cutover"
        if self.stranded_objects == 0:
            return f"a rollback now strands nothing: OCI holds nothing AWS lacks ({self.compared or 0} objects listed)"
        objects = f"{self.stranded_objects} object{'s' * (self.stranded_objects != 1)}"
        return f"a rollback now strands {objects}, {format_size(self.stranded_bytes or 0)} written on OCI{since}"


def aws_targets_text(healthy: int, total: int, age_s: float) -> str:
    """The AWS side in words: all healthy, or degraded (which a rollback would land on; it still may)."""
    counted = f"AWS {healthy}/{total} targets healthy ({format_duration(max(0.0, age_s))} ago)"
    if total > 0 and healthy == total:
        return counted
    if total == 0:
        return f"{counted}: no target is registered, a rollback lands on a degraded side"
    return f"{counted}: a rollback lands on a degraded side"


def strands_line(readiness: Readiness | None, mode: str, zone: tzinfo | None = None) -> str:
    """What a rollback does to the data, with the reverse sync's part: the confirmation's words."""
    if readiness is None:
        return f"what a rollback strands is not measured yet; {REVERSE_MODES[mode]}"
    if readiness.stranded_objects == 0:
        return readiness.strands(zone)
    return f"{readiness.strands(zone)}; {REVERSE_MODES[mode]}"


def window_text(tenant: Tenant, now: float, watch: WatchSettings) -> str:
    """How long rollback stays possible: until the watch ends, then until someone decommissions."""
    until = watch_until(tenant, watch)
    if until is None:
        return "rollback possible until the tenant is migrated and its watch ends"
    if now < until:
        return f"rollback possible for {format_duration(until - now)} (then decommission may retire AWS)"
    return "the watch has ended: a decommission may retire AWS at any time"


def readiness_lines(
    tenant: Tenant, readiness: Readiness | None, now: float, watch: WatchSettings, mode: str, zone: tzinfo | None
) -> list[str]:
    """The way back in words: data stranded, the AWS side, the time left, the age of the measure."""
    lines = [strands_line(readiness, mode, zone)]
    if readiness is not None and readiness.aws_measured:
        lines.append(readiness.aws_text(now))
    elif readiness is not None:
        lines.append(f"{readiness.aws_side} · measured {format_duration(max(0.0, now - readiness.measured_at))} ago")
    lines.append(window_text(tenant, now, watch))
    return lines


def readiness_json(
    tenant: Tenant, readiness: Readiness | None, now: float, watch: WatchSettings, mode: str
) -> dict[str, Any] | None:
    """For `status --json`: null for a tenant not on OCI."""
    if tenant.lifecycle not in ON_OCI:
        return None
    until = watch_until(tenant, watch)
    stranded = None
    if readiness is not None and readiness.stranded_objects is not None:
        stranded = {
            "objects": readiness.stranded_objects,
            "bytes": readiness.stranded_bytes,
            "compared": readiness.compared,
            "since": readiness.since,
            "since_what": readiness.since_what,
        }
    return {
        "measured_at": readiness.measured_at if readiness else None,
        "stranded": stranded,
        "error": readiness.error if readiness else "not measured yet",
        "aws_side": aws_side_json(readiness, now),
        "rollback_possible_until": until,
        "left_s": max(0.0, until - now) if until is not None else None,
        "reverse_sync": mode,
        "text": " · ".join(readiness_lines(tenant, readiness, now, watch, mode, None)),
    }


def aws_side_json(readiness: Readiness | None, now: float) -> dict[str, Any]:
    if readiness is None or not readiness.aws_measured:
        return {"measured": False, "text": readiness.aws_side if readiness else AWS_NOT_MEASURED}
    return {
        "measured": True,
        "healthy": readiness.aws_healthy,
        "total": readiness.aws_total,
        "measured_at": readiness.aws_measured_at,
        "text": readiness.aws_text(now),
    }


class ReadinessStore:
    def __init__(self, store: Store):
        self.store = store

    def put(self, readiness: Readiness) -> None:
        with self.store.write() as db:
            db.execute(
                f"INSERT OR REPLACE INTO rollback_readiness ({', '.join(Readiness.__dataclass_fields__)}) "
                f"VALUES ({', '.join('?' * len(Readiness.__dataclass_fields__))})",
                [getattr(readiness, name) for name in Readiness.__dataclass_fields__],
            )

    def get(self, tenant_ids: Sequence[str] | None = None) -> dict[str, Readiness]:
        rows: list[dict[str, Any]]
        if tenant_ids is None:
            rows = list(self.store.db.query("SELECT * FROM rollback_readiness"))
        else:
            ids = list(tenant_ids)
            rows = []
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows += self.store.db.query(
                    f"SELECT * FROM rollback_readiness WHERE tenant_id IN ({', '.join('?' * len(chunk))})", chunk
                )
        return {row["tenant_id"]: Readiness.from_row(row) for row in rows}

    def one(self, tenant_id: str) -> Readiness | None:
        return self.get([tenant_id]).get(tenant_id)
