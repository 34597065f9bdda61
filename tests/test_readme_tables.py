"""The README's tables are the war room's reference: every key the console binds and every command the CLI has
is in them, with the key written as it is typed."""

from __future__ import annotations

import re
from pathlib import Path

from cutover.console.cli import cli
from cutover.console.keys import KEY_ACTIONS
from cutover.console.screens.jobs import JobsScreen

README = (Path(__file__).parent.parent / "README.md").read_text()
TYPED = {"question_mark": "?", "slash": "/", "colon": ":", "enter": "enter", "escape": "esc", "space": "space"}


def table_after(heading: str) -> list[str]:
    """The first cells of the table that follows a line (a heading or a sentence)."""
    rest = README[README.index(heading) :]
    rows = re.findall(r"^\| (.+?) \|", rest[rest.index("| --- |") :], flags=re.M)
    table = []
    for line in rest[rest.index("| --- |") :].splitlines()[1:]:
        if not line.startswith("|"):
            break
        table.append(line)
    return [row for row in rows if any(line.startswith(f"| {row} |") for line in table)]


def test_every_console_key_is_in_the_readme_key_table() -> None:
    written = " ".join(table_after("No key needs a mouse."))
    for action in KEY_ACTIONS:
        for key in action.keys.split(","):
            assert f"`{TYPED.get(key, key)}`" in written, f"{action.name}: key {key} is not in the README's key table"


def test_every_jobs_screen_key_is_said_in_the_readme() -> None:
    jobs_row = next(line for line in README.splitlines() if line.startswith("| `J` |"))
    for binding in JobsScreen.BINDINGS:
        key = binding.key.split(",")[0]  # type: ignore[union-attr]
        if key != "escape":
            assert f"`{key}`" in jobs_row, f"jobs screen key {key} is not in the README's J row"


def test_every_cli_command_is_in_the_readme_command_table() -> None:
    import click

    written = " ".join(table_after("## Headless commands"))
    context = click.Context(cli)
    names = cli.list_commands(context)  # loaded on use: cli.commands alone is empty
    assert len(names) > 20
    for name in names:
        if cli.get_command(context, name).hidden:
            continue
        if name in ("console", "lab"):  # the consoles have sections of their own
            assert f"cutover {name}" in README
            continue
        assert f"cutover {name}" in written or f"{name}\\|" in written or f"\\|{name}" in written, (
            f"cutover {name} is not in the README's command table"
        )
