"""Where the store lives: its file system, whether this process can write it, and its journal mode.

SQLite's WAL mode (what lets consoles read while the engine writes) needs shared memory
between the processes on one host; over NFS, SMB or a FUSE file system such as sshfs
its locks and shared memory do not work, and the store can be corrupted. `cutover
doctor` asks this module; no SQL lives outside `state/`.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

# File system types on which SQLite's WAL (shared-memory index, POSIX locks) is not safe.
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "ncpfs",
        "afs",
        "9p",
        "ceph",
        "glusterfs",
        "lustre",
        "gpfs",
        "davfs",
        "virtiofs",
    }
)
NETWORK_FUSE = ("sshfs", "s3fs", "rclone", "glusterfs", "gcsfuse", "goofys", "davfs", "smb", "nfs")


def is_network(fstype: str) -> bool:
    kind = fstype.lower()
    if kind in NETWORK_FILESYSTEMS:
        return True
    return kind.startswith("fuse") and any(name in kind for name in NETWORK_FUSE)


def mount_of(path: Path, mounts: str) -> tuple[str, str]:
    """(mount point, file system type) holding `path`, from /proc/mounts' text: the longest mount point
    that is a prefix of the path (the last one mounted there wins, as the kernel's does)."""
    target = str(path)
    best = ("", "")
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best[0]):
            best = (point, fields[2])
    return best


def filesystem_of(path: Path, mounts_file: Path = Path("/proc/mounts")) -> tuple[str, str] | None:
    """The mount point and type of the file system holding `path`, or None where /proc/mounts is not there."""
    try:
        mounts = mounts_file.read_text()
    except OSError:
        return None
    found = mount_of(path.resolve(), mounts)
    return found if found[0] else None


@dataclass(frozen=True)
class StoreDisk:
    path: Path
    exists: bool
    mount_point: str
    fstype: str  # "" when unknown
    network: bool
    writable: bool
    why_not_writable: str
    journal_mode: str  # "wal", "delete", ...; "" when it could not be read


def inspect_store(path: Path, mounts_file: Path = Path("/proc/mounts")) -> StoreDisk:
    """What the store's disk is; reads the file (read-only) and never creates or changes anything."""
    path = path.expanduser()
    where = path if path.exists() else path.parent
    while not where.exists() and where != where.parent:
        where = where.parent
    mount = filesystem_of(where, mounts_file) or ("", "")
    exists = path.is_file() and path.stat().st_size > 0
    writable, why = _writable(path) if exists else (False, "")
    return StoreDisk(
        path=path,
        exists=exists,
        mount_point=mount[0],
        fstype=mount[1],
        network=is_network(mount[1]),
        writable=writable,
        why_not_writable=why,
        journal_mode=_journal_mode(path) if exists else "",
    )


def _writable(path: Path) -> tuple[bool, str]:
    """WAL writes the file and, beside it, the -wal and -shm files: both must be writable."""
    if not os.access(path, os.W_OK):
        return False, f"{path} is not writable by this user"
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return False, f"its directory {path.parent} is not writable by this user (WAL keeps -wal and -shm files there)"
    try:
        statvfs = os.statvfs(path.parent)
    except OSError as exc:
        return False, f"{path.parent}: {exc.strerror}"
    if statvfs.f_flag & os.ST_RDONLY:
        return False, f"{path.parent} is on a read-only mount"
    return True, ""


def _journal_mode(path: Path) -> str:
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
    except sqlite3.Error:
        return ""
    try:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
    except sqlite3.Error:
        return ""
    finally:
        conn.close()
