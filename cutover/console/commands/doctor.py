"""`cutover doctor`: check every configured part once, and say how to fix what fails.

One line per check (`ok`, `warn`, `FAIL`, what was checked, what was found), the fix
under each warning and failure; `--json` gives a `cutover.doctor/1` document. Exit 0
when nothing failed (warnings allowed), 1 when anything failed (a configuration that
does not load included: it is the first part checked), 2 on a usage error.
"""

from __future__ import annotations

import asyncio
import json
import sys

import click
from rich.console import Console
from rich.text import Text

from cutover.actions.wiring.doctor import DEFAULT_TIMEOUT, SCHEMA, Report, Status, run_doctor
from cutover.config.loader import ConfigError
from cutover.config.text import visible
from cutover.console.commands.common import EXIT_FAILED, EXIT_OK, Context, echo

LABEL = {Status.OK: ("ok", "green"), Status.WARN: ("warn", "yellow"), Status.FAIL: ("FAIL", "bold red")}


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (cutover.doctor/1).")
@click.option(
    "--timeout",
    type=click.FloatRange(0.5, 120),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds each check may take before it counts as failed.",
)
@click.pass_obj
def doctor(obj: Context, as_json: bool, timeout: float) -> None:
    """Check every configured provider, the store, time zones and the clock; say how to fix each failure."""
    try:
        loaded = obj.config
    except ConfigError as exc:
        _bad_configuration(exc, as_json)
    result = asyncio.run(run_doctor(loaded, timeout=timeout))
    if as_json:
        echo(json.dumps(result.to_json(), indent=2))
    else:
        print_report(result)
    sys.exit(EXIT_OK if result.ok else EXIT_FAILED)


def _bad_configuration(exc: ConfigError, as_json: bool) -> None:
    fix = "correct each key named (cutover config check shows every value and where it came from)"
    if as_json:
        checks = [
            {"name": "configuration", "status": "fail", "detail": problem, "fix": fix, "took_s": 0.0}
            for problem in exc.problems
        ]
        echo(json.dumps({"schema": SCHEMA, "ok": False, "config_file": None, "checks": checks}, indent=2))
    else:
        for problem in exc.problems:
            echo(f"FAIL  configuration: {problem}")
        echo(f"      fix: {fix}")
    sys.exit(EXIT_FAILED)


def print_report(result: Report) -> None:
    console = Console(highlight=False, soft_wrap=not sys.stdout.isatty(), width=None if sys.stdout.isatty() else 1000)
    for check in result.checks:
        word, style = LABEL[check.status]
        line = Text()
        line.append(f"{word:<4}", style=style)
        line.append(f"  {visible(check.name)}: ", style="bold")
        line.append(visible(check.detail))
        console.print(line)
        if check.fix and check.status is not Status.OK:
            console.print(Text(f"      fix: {visible(check.fix)}", style="" if check.status is Status.WARN else "red"))
    failures, warnings = result.count(Status.FAIL), result.count(Status.WARN)
    summary = f"{len(result.checks)} checks: {failures} failed, {warnings} warning(s)"
    console.print(Text(summary, style="bold red" if failures else "bold green"))
