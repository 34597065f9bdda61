"""The watch after a cutover, in the words an engineer would say it.

A tenant promoted to migrated stays under watch for `watch.duration` (24 h) from
its promotion (T): intensive for the first `watch.intensive`, lighter after. The
checkpoint (T+4h) is judged once and recorded as an event of kind
`watch.checkpoint`; AWS is kept as rollback insurance until the watch ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cutover.config.settings import WatchSettings
from cutover.config.units import format_duration
from cutover.model.lifecycle import Lifecycle
from cutover.model.tenant import Tenant
from cutover.state.events import Event
from cutover.state.store import Store
from cutover.state.tenants import TENANT_ROWS

CHECKPOINT = "watch.checkpoint"  # the event kind of a checkpoint's verdict


def checkpoint_label(watch: WatchSettings) -> str:
    """`T+4h`: when the checkpoint falls, counted from the promotion."""
    return f"T+{format_duration(watch.checkpoint_at)}"


def watch_until(tenant: Tenant, watch: WatchSettings) -> float | None:
    """When a migrated tenant's watch ends; None for a tenant that is not migrated."""
    if tenant.lifecycle is not Lifecycle.MIGRATED:
        return None
    return tenant.lifecycle_since + watch.duration


def under_watch(tenant: Tenant, now: float, watch: WatchSettings) -> bool:
    until = watch_until(tenant, watch)
    return until is not None and now < until


def intensive(tenant: Tenant, now: float, watch: WatchSettings) -> bool:
    """In the first part of the watch: polled as often as a tenant in flight."""
    return under_watch(tenant, now, watch) and now < tenant.lifecycle_since + watch.intensive


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint's recorded verdict with its evidence."""

    tenant_id: str
    label: str
    at: float
    passed: bool
    reasons: tuple[str, ...]
    evidence: dict[str, Any]

    @classmethod
    def from_event(cls, event: Event) -> Checkpoint:
        detail = event.detail
        return cls(
            event.tenant_id or "",
            str(detail.get("label", "")),
            event.ts,
            bool(detail.get("passed")),
            tuple(detail.get("reasons", ())),
            dict(detail.get("evidence", {})),
        )

    def text(self) -> str:
        """`checkpoint T+4h passed`, or `checkpoint T+4h failed: error rate 0.30 % (needs under 0.10 %)`."""
        if self.passed:
            return f"checkpoint {self.label} passed"
        return f"checkpoint {self.label} failed: {'; '.join(self.reasons)}"


def current(tenant: Tenant, checkpoint: Checkpoint | None) -> Checkpoint | None:
    """The checkpoint of this migration (not of an earlier one, before a rollback)."""
    return checkpoint if checkpoint is not None and checkpoint.at >= tenant.lifecycle_since else None


def watch_text(tenant: Tenant, now: float, watch: WatchSettings, checkpoint: Checkpoint | None) -> str:
    """`watch 3h12m left · checkpoint T+4h passed`; empty for a tenant that is not migrated."""
    until = watch_until(tenant, watch)
    if until is None:
        return ""
    checkpoint = current(tenant, checkpoint)
    if now >= until:
        head = f"watch ended {format_duration(now - until)} ago"
    else:
        phase = " (intensive)" if intensive(tenant, now, watch) else ""
        head = f"watch {format_duration(until - now)} left{phase}"
    if checkpoint is not None:
        return f"{head} · {checkpoint.text()}"
    due = tenant.lifecycle_since + watch.checkpoint_at
    if now < due and now < until:
        return f"{head} · checkpoint {checkpoint_label(watch)} in {format_duration(due - now)}"
    if now < until:
        return f"{head} · checkpoint {checkpoint_label(watch)} due"
    return head


def watch_json(
    tenant: Tenant, now: float, watch: WatchSettings, checkpoint: Checkpoint | None
) -> dict[str, Any] | None:
    """The watch for `status --json`: null for a tenant that is not migrated."""
    until = watch_until(tenant, watch)
    if until is None:
        return None
    checkpoint = current(tenant, checkpoint)
    return {
        "started_at": tenant.lifecycle_since,
        "until": until,
        "left_s": max(0.0, until - now),
        "intensive": intensive(tenant, now, watch),
        "text": watch_text(tenant, now, watch, checkpoint),
        "checkpoint": None
        if checkpoint is None
        else {
            "label": checkpoint.label,
            "at": checkpoint.at,
            "passed": checkpoint.passed,
            "reasons": list(checkpoint.reasons),
            "evidence": checkpoint.evidence,
        },
    }


def checkpoints(
    store: Store, tenant_ids: Sequence[str] | None = None, *, since: float | None = None
) -> dict[str, Checkpoint]:
    """The recorded checkpoint of each tenant (the newest, for one promoted again after a rollback); `since`:
    only those recorded since then (the fleet's, every poll: the checkpoints of the watches still running)."""
    if tenant_ids is None:
        rows = list(
            store.db.query(
                "SELECT * FROM events WHERE kind = ? AND ts >= ? ORDER BY seq",
                [CHECKPOINT, since if since is not None else float("-inf")],
            )
        )
    else:
        rows = []
        ids = list(tenant_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows += store.db.query(
                f"SELECT * FROM events WHERE kind = ? AND tenant_id IN ({', '.join('?' * len(chunk))}) ORDER BY seq",
                [CHECKPOINT, *chunk],
            )
    return {row["tenant_id"]: Checkpoint.from_event(Event.from_row(row)) for row in rows}


def watched(store: Store, now: float, watch: WatchSettings) -> list[Tenant]:
    """The migrated tenants still under watch, by ID."""
    rows = store.db.query(
        f"SELECT * FROM {TENANT_ROWS} WHERE lifecycle = ? AND lifecycle_since > ? ORDER BY tenant_id",
        [Lifecycle.MIGRATED.value, now - watch.duration],
    )
    return [Tenant.from_row(row) for row in rows]
