"""Where the store lives, from one setting: a SQLite file (a path, or `sqlite:///path`) or a PostgreSQL
database (`postgresql://...`). Nothing above `state/` knows which one it opened."""

from __future__ import annotations

from pathlib import Path

from cutover.state.store import LOCK_WAIT, Store


def is_postgres(location: str | Path) -> bool:
    return str(location).startswith(("postgresql://", "postgres://"))


def sqlite_path(location: str | Path) -> Path | str:
    text = str(location)
    if text.startswith("sqlite:///"):
        return Path(text[len("sqlite://") :])
    return location


def open_store(
    location: str | Path,
    busy_timeout: float = 5.0,
    *,
    create: bool = True,
    read_only: bool = False,
    lock_wait: float = LOCK_WAIT,
) -> Store:
    """The store at `location`, opened as `Store` opens a file (see its arguments)."""
    if is_postgres(location):
        from cutover.state.postgres.store import PgStore

        return PgStore(str(location), busy_timeout, create=create, read_only=read_only, lock_wait=lock_wait)
    return Store(sqlite_path(location), busy_timeout, create=create, read_only=read_only, lock_wait=lock_wait)
