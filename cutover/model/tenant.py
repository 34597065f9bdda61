"""A tenant as the engine and the console know it: its matrix row, its lifecycle and what was last observed
of it (sync, health, validation, DNS, metrics). Pure data: the store (state/tenants.py) reads and writes it."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from cutover.config.dns_names import ExtraName, split_extra_names
from cutover.config.tenant_spec import MatrixFields
from cutover.model.lifecycle import Lifecycle, SyncHealth


@dataclass(frozen=True)
class NameSeen:
    """One name of a tenant with several, as the DNS poller (or the engine's change) last saw it."""

    name: str
    zone: str
    routing: str  # in words; "no record" when the name has none
    oci_share: float | None  # None: no record, or a target that is neither side's
    ttl: int | None
    at: float
    primary: bool = False

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def names_seen_json(seen: Collection[NameSeen]) -> str:
    return json.dumps([item.to_json() for item in seen], sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, kw_only=True, slots=True, weakref_slot=True)
class Tenant(MatrixFields):
    """A tenant: its matrix fields (MatrixFields, config/tenant_spec.py), its lifecycle, what was last observed.

    Slots, not a `__dict__` (see `_row_builder`); a weak reference is allowed so that whether an old copy of a
    tenant was freed can be checked (the engine's kept fleet)."""

    lifecycle: Lifecycle
    lifecycle_since: float
    sync_health: SyncHealth
    sync_percent: float | None
    sync_eta_s: float | None
    sync_lag_s: float | None
    pending_objects: int | None
    pending_bytes: int | None
    checksum_mismatches: int | None
    last_pass_at: float | None
    verified_at: float | None
    backends_healthy: int | None
    backends_total: int | None
    health_at: float | None
    validation_passed: int | None
    validation_total: int | None
    validated_at: float | None
    hydrated_at: float | None
    monitoring_until: float | None
    observed_at: float | None
    imported_at: float
    import_source: str
    version: int
    dns_oci_share: float | None = None
    dns_routing: str = ""
    dns_at: float | None = None
    observed_oci_share: float | None = None
    requests: float | None = None
    error_rate: float | None = None
    p95_ms: float | None = None
    metrics_at: float | None = None
    dns_ttl: int | None = None  # the record's TTL as last read
    dns_ttl_since: float | None = None  # since when it has been that TTL (first read, or our change in sync)
    dns_ttl_before: int | None = None  # the TTL before that; None when the store never saw one
    dns_ttl_safe_at: float | None = None  # when no resolver can still cache a longer TTL (see ttl_history)
    # Each name's record as last read, for a tenant with extra names (JSON, see NameSeen); "" for one name.
    dns_names_seen: str = ""

    @property
    def dns_names(self) -> tuple[ExtraName, ...]:
        """Every name DNS routes for this tenant: its DNS name first (zone "": the tenant's zone), then its
        extra names, each with the zone it gave ("" for the tenant's zone)."""
        return (ExtraName(self.dns_name), *split_extra_names(self.extra_dns_names))

    @property
    def several_names(self) -> bool:
        return bool(self.extra_dns_names)

    @property
    def names_seen(self) -> tuple[NameSeen, ...]:
        """Each name's routing as last read (empty for a tenant with one name, or before the first read)."""
        if not self.dns_names_seen:
            return ()
        return tuple(NameSeen(**item) for item in json.loads(self.dns_names_seen))

    @property
    def dns_split(self) -> bool:
        """Its names do not all send the same share to OCI: some moved, some did not (or one is unknown)."""
        seen = self.names_seen
        return len({item.oci_share for item in seen}) > 1

    @property
    def judged(self) -> bool:
        """Whether the trigger rules judge this tenant's figures: in monitoring, or cutting over with DNS
        already sending traffic to OCI. Elsewhere its error rate is AWS's (or nobody's) business."""
        if self.lifecycle is Lifecycle.MONITORING:
            return True
        return self.lifecycle is Lifecycle.CUTTING_OVER and (bool(self.dns_oci_share) or self.dns_split)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Tenant:
        """A stored row as a Tenant; the store's bookkeeping (the row's revisions in the change feed, BOOKKEEPING)
        is not part of the tenant."""
        return cls.from_rows(list(row), [list(row.values())])[0]

    @classmethod
    def _constructed(cls, row: dict[str, Any]) -> Tenant:
        data = {**row, "lifecycle": Lifecycle(row["lifecycle"]), "sync_health": SyncHealth(row["sync_health"])}
        for name in BOOKKEEPING:
            data.pop(name, None)
        return cls(**data)

    @classmethod
    def from_rows(
        cls, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, unread: frozenset[str] = frozenset()
    ) -> list[Tenant]:
        """Stored rows (plain tuples, with their column names) as Tenants, as `from_row` makes each one; the
        fields in `unread` were not read (a reader that has no use for them) and are None.

        A frozen dataclass's __init__ sets its 60 fields one at a time through `object.__setattr__`: that was most
        of reading a 50,000-tenant fleet (about 1.4 s of CPU). Each list of columns that is exactly a stored
        tenant row gets a builder made once (`_row_builder`), which sets each slot straight from the tuple.
        """
        if not unread.isdisjoint(columns):
            raise ValueError(f"both read and not read: {', '.join(sorted(unread.intersection(columns)))}")
        build = _row_builder(tuple(columns), unread)
        if build is None:  # not a stored tenant row: the constructor's TypeError names the field missing or unknown
            return [cls._constructed({**dict.fromkeys(unread), **dict(zip(columns, row, strict=True))}) for row in rows]
        return [build(row) for row in rows]

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["lifecycle"] = self.lifecycle.value
        data["sync_health"] = self.sync_health.value
        return data


_FIELD_NAMES = sorted(f.name for f in fields(Tenant))
# The store's columns of a tenant row that are its bookkeeping, not the tenant: its revisions in the change feed.
BOOKKEEPING = ("revision", "readings_revision")


class _Members(dict[Any, Any]):
    """An enum's members by value; a value that is not one raises the enum's own ValueError."""

    def __init__(self, enum: type[Lifecycle] | type[SyncHealth]) -> None:
        super().__init__((member.value, member) for member in enum)
        self.enum = enum

    def __missing__(self, value: Any) -> Any:
        return self.enum(value)


_ENUM_FIELDS = {"lifecycle": _Members(Lifecycle), "sync_health": _Members(SyncHealth)}
# Matrix fields that take a handful of values across a fleet: each tenant read from the store would otherwise hold
# its own copy of the same text (at 50,000 tenants about 20 MB of the engine's copy of the fleet).
_SHARED_TEXT = frozenset({"tier", "complexity", "criticality", "priority", "region", "hosted_zone", "import_source"})


def _shared(value: Any) -> Any:
    """The one copy of this text (sys.intern); anything else as it is."""
    return sys.intern(value) if type(value) is str else value


_ROW_BUILDERS: dict[tuple[tuple[str, ...], frozenset[str]], Callable[[Sequence[Any]], Tenant] | None] = {}


def _row_builder(columns: tuple[str, ...], unread: frozenset[str]) -> Callable[[Sequence[Any]], Tenant] | None:
    """A function making a Tenant from a stored row with these columns, the fields in `unread` None (None: they
    are not a tenant row's).

    A Tenant has slots, not a `__dict__`: 50,000 of them take about 25 MB rather than 82 MB, and the collector
    walks one object a tenant rather than two. The function is generated once per list of columns so that each
    field is one slot store with no loop or lookup by name: 135 ms for 50,000 rows, where a loop of
    `object.__setattr__` takes 240 ms and the `__dict__` of before 230 ms. The few-valued matrix fields (_SHARED_TEXT)
    are each one shared copy of their text."""
    key = (columns, unread)
    if key in _ROW_BUILDERS:
        return _ROW_BUILDERS[key]
    builder = None
    read = [name for name in columns if name not in BOOKKEEPING]
    if unread.isdisjoint(read) and sorted([*read, *unread]) == _FIELD_NAMES:
        namespace: dict[str, Any] = {"new": object.__new__, "Tenant": Tenant}
        lines = ["def build(row):", "    tenant = new(Tenant)"]
        for index, name in enumerate(columns):
            if name in BOOKKEEPING:
                continue
            namespace[f"set_{name}"] = getattr(Tenant, name).__set__  # the slot's own store: frozen is no obstacle
            if name in _ENUM_FIELDS:
                namespace[f"{name}_members"] = _ENUM_FIELDS[name]
                lines.append(f"    set_{name}(tenant, {name}_members[row[{index}]])")
            elif name in _SHARED_TEXT:
                namespace["shared"] = _shared
                lines.append(f"    set_{name}(tenant, shared(row[{index}]))")
            else:
                lines.append(f"    set_{name}(tenant, row[{index}])")
        for name in sorted(unread):
            namespace[f"set_{name}"] = getattr(Tenant, name).__set__
            lines.append(f"    set_{name}(tenant, None)")
        lines.append("    return tenant")
        exec("\n".join(lines), namespace)  # only field names checked against the dataclass go in
        builder = namespace["build"]
    _ROW_BUILDERS[key] = builder
    return builder
