"""`cutover store migrate --to LOCATION`: copy the war room's store into an empty PostgreSQL database (or back
into a SQLite file), and check it arrived whole."""

from __future__ import annotations

import time

import click
from pydantic import ValidationError

from cutover.console.commands.common import EXIT_REFUSED, Context, echo, fail, user_errors
from cutover.state.location import open_store
from cutover.state.transfer import CopyRefused, copy_store


@click.group("store")
def store_group() -> None:
    """Move the war room's store."""


@store_group.command(
    "migrate",
    help="Copy the configured store (state.url, else state.path) into an empty store at LOCATION: a PostgreSQL "
    "URL (postgresql://user@host/db, the password from PGPASSWORD or ~/.pgpass) or a SQLite file. Every table "
    "and every event with its hash; the audit chain is walked on arrival. Stop every engine first. The store "
    "you copied from is left as it was: point state.url (or state.path) at the new one when it says done.",
)
@click.option("--to", "target", required=True, metavar="LOCATION", help="Where the copy goes (empty).")
@click.pass_obj
@user_errors
def store_migrate(obj: Context, target: str) -> None:
    from cutover.config.settings import StateSettings

    settings = obj.config.settings.state
    if target.startswith(("postgresql://", "postgres://", "sqlite:///")):
        try:
            StateSettings(url=target)  # the same rules as the setting: no password in the URL
        except ValidationError as exc:
            fail(f"--to: {exc.errors()[0]['msg'].removeprefix('Value error, ')}", 2)
    if str(target) == str(settings.location):
        fail("--to: that is the store being copied; give an empty database or a new file", 2)
    session = obj.session()
    try:
        with open_store(target, settings.busy_timeout) as copy:
            echo(f"copying {session.store.path} into {copy.path}")
            try:
                report = copy_store(
                    session.store,
                    copy,
                    now=time.time(),
                    progress=lambda table, rows: echo(f"  {table:<20} {rows:>9,} rows"),
                )
            except CopyRefused as refused:
                fail(f"refused: {refused}\nnothing was changed", EXIT_REFUSED)
    finally:
        session.close()
    echo(f"done: {report.events} events, audit chain intact, head {report.head_hash}")
    key = "state.url" if target.startswith(("postgresql://", "postgres://")) else "state.path"
    echo(f'next: set {key} = "{target}" in the war room\'s config; the old store is unchanged')
