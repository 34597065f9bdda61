"""`cutover import`: the tenant migration matrix, all rows or none."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from cutover.actions.plan.importing import ImportRefused, ImportResult, import_matrix, read_matrix
from cutover.config.matrix import MatrixError
from cutover.config.units import format_size
from cutover.console.commands.common import EXIT_REFUSED, EXIT_USAGE, Context, fail, user_errors
from cutover.console.commands.output import make_console
from cutover.console.plain import plain


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path, allow_dash=True))
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option(
    "--partial",
    is_flag=True,
    help="Import every tenant that may change now, leaving those in flight as they are.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output, problems included.")
@click.pass_obj
@user_errors
def import_command(obj: Context, file: Path, dry_run: bool, partial: bool, as_json: bool) -> None:
    """Import the tenant migration matrix (CSV; `-` reads it from standard input). All rows land, or none
    (see --partial)."""
    from_stdin = str(file) == "-"
    if from_stdin and sys.stdin.isatty():
        fail(
            "cutover import -: reads the matrix CSV from standard input; pipe it in (cutover import - < fleet.csv)",
            EXIT_USAGE,
        )
    try:
        # a bad file is refused before any store is opened, or created
        matrix = read_matrix(file, stdin=sys.stdin.buffer if from_stdin else None)
    except MatrixError as exc:
        if not as_json:
            raise
        click.echo(json.dumps({"schema": "cutover.import/1", "imported": False, "problems": exc.problems}, indent=2))
        sys.exit(EXIT_USAGE)
    # A dry run against a store that does not exist yet must not create one.
    session = obj.session(
        create=True,
        in_memory=dry_run and not obj.config.settings.state.url and not obj.config.settings.state.path.exists(),
    )
    try:
        result = import_matrix(session.tenants, matrix, dry_run=dry_run, partial=partial)
    except ImportRefused as exc:
        lines = [f"refused: {why}" for why in exc.refused.values()]
        fail("\n".join([*lines, "Nothing was imported; --partial imports the other tenants."]), EXIT_REFUSED)
    finally:
        session.close()
    if as_json:
        click.echo(json.dumps(import_json(result, dry_run), indent=2, default=str))
    else:
        print_import(result, dry_run)
    if result.refused:
        fail("\n".join(f"refused: {why}" for why in result.refused), EXIT_REFUSED)


def import_json(result: ImportResult, dry_run: bool) -> dict[str, Any]:
    plan = result.plan
    return {
        "schema": "cutover.import/1",
        "source": plan.source,
        "dry_run": dry_run,
        "imported": result.applied,
        "added": [
            {"tenant_id": s.tenant_id, "wave": s.wave, "wave_from_size": s.wave_derived, "tier": s.tier}
            for s in plan.added
        ],
        "changed": {tenant_id: {f: [old, new] for f, (old, new) in diff.items()} for tenant_id, diff in plan.changed},
        "unchanged": plan.unchanged,
        "absent": list(plan.absent),
        "ignored_columns": list(result.ignored_columns),
        "refused": list(result.refused),
        "problems": [],
    }


def print_import(result: Any, dry_run: bool) -> None:
    console = make_console()
    plan = result.plan
    verb = "would add" if dry_run else "added"

    # Every line is plain text: file names, columns and values are what someone typed.
    def say(line: str) -> None:
        console.print(plain(line))

    say(
        f"{plan.source}: {verb} {len(plan.added)}, {'would change' if dry_run else 'changed'} {len(plan.changed)}, "
        f"unchanged {plan.unchanged}"
    )
    for spec in plan.added[:20]:
        derived = " (from size)" if spec.wave_derived else ""
        say(f"  + {spec.tenant_id}  wave {spec.wave}{derived}, {spec.tier}, {format_size(spec.size_bytes)}")
    if len(plan.added) > 20:
        say(f"  + ... and {len(plan.added) - 20} more")
    for tenant_id, diff in plan.changed:
        for field, (old, new) in diff.items():
            say(f"  ~ {tenant_id}  {field}: {old!r} -> {new!r}")
    if plan.absent:
        shown = ", ".join(plan.absent[:10]) + (" ..." if len(plan.absent) > 10 else "")
        say(f"  {len(plan.absent)} tenant(s) in the store are not in this file and were left alone: {shown}")
    if result.ignored_columns:
        say(f"  columns not used: {', '.join(result.ignored_columns)}")
    if dry_run:
        say("dry run: nothing was changed")
