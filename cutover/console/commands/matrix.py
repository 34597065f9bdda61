"""`cutover import`: the tenant migration matrix, all rows or none."""

from __future__ import annotations

from pathlib import Path

import click

from cutover.actions.importing import ImportRefused, import_matrix, read_matrix
from cutover.console import render
from cutover.console.commands.common import EXIT_REFUSED, Context, fail, user_errors


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option(
    "--partial",
    is_flag=True,
    help="Import every tenant that may change now, leaving those in flight as they are.",
)
@click.pass_obj
@user_errors
def import_command(obj: Context, file: Path, dry_run: bool, partial: bool) -> None:
    """Import the tenant migration matrix (CSV). All rows land, or none (see --partial)."""
    matrix = read_matrix(file)  # a bad file is refused before any store is opened, or created
    # A dry run against a store that does not exist yet must not create one.
    session = obj.session(create=True, in_memory=dry_run and not obj.config.settings.state.path.exists())
    try:
        result = import_matrix(session.tenants, matrix, dry_run=dry_run, partial=partial)
    except ImportRefused as exc:
        lines = [f"refused: {why}" for why in exc.refused.values()]
        fail("\n".join([*lines, "Nothing was imported; --partial imports the other tenants."]), EXIT_REFUSED)
    finally:
        session.close()
    render.print_import(result, dry_run)
    if result.refused:
        fail("\n".join(f"refused: {why}" for why in result.refused), EXIT_REFUSED)
