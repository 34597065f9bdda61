"""Checks of this host: the store (a local disk, writable, WAL) and the time-zone database."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cutover.actions.wiring.doctor.results import Check, failed, ok, warn
from cutover.config.regions import REGION_ZONES
from cutover.config.settings import Settings
from cutover.model.tenant import Tenant
from cutover.state.disk import inspect_store

STORE = "store"
ZONES = "time zones"


def check_store_url(url: str) -> list[Check]:
    """A store on PostgreSQL: it answers, and holds a store of this cutover's schema."""
    from cutover.state.location import open_store
    from cutover.state.store import StoreError

    try:
        with open_store(url, read_only=True) as store:
            return [ok(STORE, f"{store.path}: PostgreSQL, schema {store.schema_version}")]
    except StoreError as exc:
        return [failed(STORE, str(exc), "fix state.url, or copy a store there with cutover store migrate --to URL")]


def check_store(path: Path, *, created_on_first_run: bool, mounts_file: Path = Path("/proc/mounts")) -> list[Check]:
    """`created_on_first_run`: the simulated fleet makes its store when it first opens, so none yet is fine."""
    disk = inspect_store(path, mounts_file)
    name = STORE
    where = f"{disk.fstype} at {disk.mount_point}" if disk.fstype else "file system unknown"
    if disk.network:
        return [
            failed(
                name,
                f"{disk.path} is on a network file system ({where}): SQLite's WAL, which lets consoles read "
                "while the engine writes, does not work over NFS, SMB or FUSE file systems; locks fail and "
                "the store can be corrupted",
                "WAL needs a local disk: move the store to the jump host's local disk (state.path), restoring it with "
                "sqlite3's .backup (docs/operations.md)",
            )
        ]
    if not disk.exists and created_on_first_run and not disk.path.exists():
        ancestor = disk.path.parent
        while not ancestor.exists() and ancestor != ancestor.parent:
            ancestor = ancestor.parent
        if not os.access(ancestor, os.W_OK | os.X_OK):
            return [
                failed(
                    name,
                    f"{disk.path}: not made yet, and {ancestor} is not writable by this user",
                    "set state.path to a directory this user can write on the local disk",
                )
            ]
        return [ok(name, f"{disk.path}: not made yet; the simulated fleet makes it when it first opens ({where})")]
    if not disk.exists:
        return [
            failed(
                name,
                f"{disk.path}: no store here (or an empty file)",
                "import the matrix (cutover import FILE.csv), or point --config / state.path at the war room's store",
            )
        ]
    if not disk.writable:
        return [
            failed(
                name,
                f"{disk.path}: not writable: {disk.why_not_writable}",
                "run cutover as the user that owns the store, or fix its permissions and mount (the engine and every "
                "console that acts write to it)",
            )
        ]
    if disk.journal_mode != "wal":
        return [
            warn(
                name,
                f"{disk.path}: journal mode is {disk.journal_mode or 'unreadable'}, not WAL ({where})",
                "open it once with write access (any cutover command that writes, such as cutover engine) to "
                "switch it to WAL",
            )
        ]
    return [ok(name, f"{disk.path}: local disk ({where}), writable, journal mode WAL")]


def check_zones(settings: Settings, tenants: Sequence[Tenant]) -> list[Check]:
    """The window's zone, and the zone of every tenant's region, resolvable from the zone database."""
    window_zone = settings.safety.window.timezone
    wanted: dict[str, str] = {window_zone: "safety.window.timezone"}
    unknown_regions: set[str] = set()
    for tenant in tenants:
        region = tenant.region.strip().lower()
        if region in REGION_ZONES:
            wanted.setdefault(REGION_ZONES[region], f"region {region}")
        elif region:
            unknown_regions.add(region)
    missing = []
    for zone, why in wanted.items():
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            missing.append(f"{zone} ({why})")
    if missing:
        return [
            failed(
                ZONES,
                f"not in the time-zone database: {', '.join(missing)}",
                "install the tzdata package for this Python (pip install tzdata; it is a dependency of cutover) "
                "or the system's tzdata, or set safety.window.timezone to an IANA zone such as America/New_York",
            )
        ]
    checks = [ok(ZONES, f"{len(wanted)} zone(s) resolvable: {', '.join(sorted(wanted))}")]
    if unknown_regions:
        checks.append(
            warn(
                ZONES,
                f"regions with no known zone: {', '.join(sorted(unknown_regions))}; their migration window is "
                f"read in {window_zone}",
                "check the matrix's Region column (AWS or OCI region names, like us-east-1 or us-ashburn-1)",
            )
        )
    return checks
