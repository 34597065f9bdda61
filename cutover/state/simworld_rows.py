"""The simulated world's rows as the store keeps them: the world itself (seed, clock anchor, generation),
DNS records and changes, the simulator's jobs, faults, notifications, and the lifecycles it seeded.
Read and written by SimWorldStore (state/simworld.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cutover.model.lifecycle import Lifecycle


@dataclass(frozen=True)
class WorldRow:
    seed: int
    created_at: float  # world time
    fleet: str  # "generated" (by the simulator) or "imported" (the store's own matrix)
    ambient_faults: bool  # occasional node losses the world brings by itself
    anchor_world: float
    anchor_wall: float
    speed: float  # world seconds per wall second; 0 is paused
    alive_wall: float | None  # last heartbeat of a process driving the world clock
    generation: int
    scenario: str


@dataclass(frozen=True)
class DnsRecordRow:
    tenant_id: str
    zone: str
    name: str
    routing: str  # JSON, written and read by the simulator
    version: int
    changed_at: float
    visible_at: float  # when resolvers start to see this routing
    before_oci: float  # share of traffic on OCI when this routing was written
    before_lost: float  # share going to neither cloud (a foreign target) then
    before_ttl: int  # the TTL resolvers had cached: it sets how fast traffic moves
    gen: int = 0  # the world generation that wrote it
    fence: str = ""  # the token of the name's fencing TXT record, as Route 53 would hold it


@dataclass(frozen=True)
class NameRecordRow:
    """An extra DNS name of a tenant (the first name is a DnsRecordRow): routed, versioned, fenced."""

    tenant_id: str
    name: str
    zone: str
    routing: str  # JSON, as DnsRecordRow.routing
    version: int
    changed_at: float
    fence: str = ""
    gen: int = 0


@dataclass(frozen=True)
class DnsChangeRow:
    seq: int
    change_id: str
    zone: str
    tenant_id: str
    from_routing: str
    to_routing: str
    submitted_at: float
    insync_at: float
    cutover: bool  # moved the tenant from no traffic on OCI to some
    name: str = ""  # the extra DNS name changed ("" for the tenant's DNS name)


@dataclass(frozen=True)
class JobRow:
    job_id: str
    tenant_id: str
    kind: str  # "continuous", "final", "hydrate"
    started_at: float
    duration_s: float | None  # None: runs until stopped
    seeded: bool = False
    gen: int = 0


@dataclass(frozen=True)
class FaultRow:
    fault_id: int
    kind: str
    targets: tuple[str, ...] | None  # None: every tenant
    start_at: float | None  # world time; None when it starts relative to a cutover
    after_cutover_s: float | None
    duration_s: float | None  # None: until cleared
    params: dict[str, Any]
    source: str
    label: str
    added_at: float


@dataclass(frozen=True)
class NotificationRow:
    seq: int
    posted_at: float
    severity: str
    text: str
    tenant_id: str | None
    job_id: str | None


@dataclass(frozen=True)
class SeededLifecycle:
    """A tenant the simulator placed along its lifecycle, with the path it took."""

    tenant_id: str
    path: tuple[Lifecycle, ...]  # the states after pending, in order; the last is where it is
    since: float
