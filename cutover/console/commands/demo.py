"""`cutover demo`: the built-in simulated fleet, a migration night in progress.

In a terminal it opens the console on that fleet (with an engine in its own
thread); with --headless, or when not in a terminal, it prints a fleet summary
each tick instead, for scripts.
The world lives in the configured store (default ./cutover.db), so running the
demo again continues the same world where it stood; `--fresh` starts a new one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from cutover.actions.wiring.composition import all_simulated, world_clock
from cutover.actions.wiring.session import Session
from cutover.actions.wiring.simulation import Simulation, WorldInfo, discard_world, open_simulation
from cutover.config.units import parse_duration
from cutover.console.commands.common import EXIT_USAGE, Context, echo, fail, user_errors
from cutover.console.commands.console import console_keymap, run_console

if TYPE_CHECKING:
    from cutover.actions.plan.plans import PlanRequest
    from cutover.actions.reports.fleet_summary import FleetSummary

# The headless modes (summaries, a night) import what they need when they run: the console,
# the common case, does not wait for them.


@click.command()
@click.option("--tenants", type=click.IntRange(1, 100_000), help="Fleet size of a new world (default 2,500).")
@click.option("--speed", type=click.FloatRange(0, 3600), help="World seconds per real second; 0 pauses.")
@click.option("--seed", type=int, help="Seed of a new world: the same seed gives the same world.")
@click.option(
    "--scenario",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Timed faults to inject: a shipped scenario's name (rollback-night, rough-night) or a TOML file.",
)
@click.option("--fresh", is_flag=True, help="Throw the stored world away and start a new one.")
@click.option(
    "--interval", type=click.FloatRange(0.1, 3600), default=5.0, show_default=True, help="Seconds between summaries."
)
@click.option("--ticks", type=click.IntRange(1), help="Stop after this many summaries (with --headless).")
@click.option("--headless", is_flag=True, help="No console: print a fleet summary every --interval (for scripts).")
@click.option("--read-only", is_flag=True, help="Open the console as an observer: no action, no engine.")
@click.option(
    "for_",
    "--for",
    metavar="DURATION",
    help="Headless: run the engine for this much world time (e.g. 4h) and print what happened. "
    "Without --speed, world time jumps as fast as the engine can go.",
)
@click.option("--batch", metavar="SPEC", help="With --for: submit a batch: 'tonight' or wave=1,count=25,group=5,...")
@click.pass_obj
@user_errors
def demo(
    obj: Context,
    tenants: int | None,
    speed: float | None,
    seed: int | None,
    scenario: Path | None,
    fresh: bool,
    interval: float,
    ticks: int | None,
    headless: bool = False,
    read_only: bool = False,
    for_: str | None = None,
    batch: str | None = None,
) -> None:
    """Open the console on the built-in simulated fleet: a migration night in progress.

    The world is kept in the store (state.path, default ./cutover.db): run the
    demo again and it continues where it stood; world time stands still while
    nothing runs it. --fresh starts a new world.
    """
    if read_only and (headless or for_ is not None):
        other = "--headless" if headless else "--for"
        raise click.UsageError(
            f"--read-only and {other} cannot go together: --read-only opens the console as an observer, "
            f"{other} runs without a console; give one of them"
        )
    loaded = obj.config
    settings = loaded.settings
    if not all_simulated(settings):
        fail(
            f"{loaded.path}: names real providers; the demo runs only on the simulated fleet. "
            "Run it without --config (or with a configuration whose providers are all simulated).",
            EXIT_USAGE,
        )
    simulator = settings.simulator.model_copy(
        update={
            key: value
            for key, value in (("tenants", tenants), ("seed", seed), ("speed", speed), ("scenario", scenario))
            if value is not None
        }
    )
    night = _night_options(for_, batch, speed)
    if night is not None and speed is None:
        simulator = simulator.model_copy(update={"virtual_time": True})
    settings = settings.model_copy(update={"simulator": simulator})
    if speed is None and loaded.origin("simulator.speed") != "default":
        speed = simulator.speed  # a configured speed applies to a world that already exists too
    config = dataclasses.replace(loaded, settings=settings)
    if fresh and settings.state.url:
        fail(
            "--fresh removes a store file; this war room's store is on PostgreSQL (state.url): give the demo an "
            "empty schema of its own (?options=-csearch_path%3Ddemo2), or unset state.url for a file",
            EXIT_USAGE,
        )
    if fresh and discard_world(settings.state.path):
        echo(f"started afresh: removed the world in {settings.state.path}", err=True)

    session = Session.open(config, create=True)
    try:
        simulation = open_simulation(
            settings,
            session.store,
            actor=session.actor,
            scenario=simulator.scenario,
            speed=speed,
        )
        # Everything this process records happens in world time.
        session.clock = session.events.clock = simulation.clock
        info = simulation.info()
        _explain_start(info, session, session.store.path, seed, tenants, simulation)  # the URL, on PostgreSQL
        if night is not None:
            from cutover.console.commands.night import run_night

            session.clock = session.events.clock = world_clock(settings, session.store, actor=session.actor)
            run_night(session, *night)
            return
        if not headless and not (sys.stdin.isatty() and sys.stdout.isatty()):
            echo("not a terminal: running headless (--headless says so explicitly)", err=True)
            headless = True
        if not headless:
            run_console(session, read_only=read_only, keymap=console_keymap(obj))
            return
        try:
            asyncio.run(_run(session, simulation, interval, ticks, settings.safety.window.timezone))
        except KeyboardInterrupt:
            echo("\ndemo stopped; world time stands still until something runs it again", err=True)
    finally:
        session.close()


def _night_options(for_: str | None, batch: str | None, speed: float | None) -> tuple[float, PlanRequest | None] | None:
    """--for and --batch: a whole night, headless (see commands/night.py)."""
    if for_ is None:
        if batch is not None:
            fail("--batch goes with --for DURATION (a night run headless)", EXIT_USAGE)
        return None
    # Imported only for a night: night.py brings the engine and the reports (0.15 s the console never needs).
    from cutover.actions.plan.plans import BadRequest
    from cutover.console.commands.night import parse_batch

    try:
        duration = parse_duration(for_)
    except ValueError as exc:
        fail(f"--for {exc}", EXIT_USAGE)
    try:
        return duration, parse_batch(batch)
    except BadRequest as exc:
        fail(str(exc), EXIT_USAGE)


def _explain_start(
    info: WorldInfo, session: Session, path: Path, seed: int | None, tenants: int | None, simulation: Simulation
) -> None:
    count = session.tenants.count()
    if info.created:
        what = "a generated fleet" if info.fleet == "generated" else "the imported matrix"
        echo(f"new simulated world in {path}: {what}, {count:,} tenants, seed {info.seed}", err=True)
    else:
        echo(f"continuing the simulated world in {path} ({count:,} tenants, seed {info.seed})", err=True)
        ignored = [
            f"--{name} {value}"
            for name, value, current in (("seed", seed, info.seed), ("tenants", tenants, count))
            if value is not None and value != current
        ]
        if ignored:
            echo(f"  {' and '.join(ignored)} would need a new world: add --fresh", err=True)
    if simulation.scenario is not None:
        loaded = simulation.scenario
        verb = "already loaded" if loaded.already_loaded else f"loaded {loaded.faults} fault(s)"
        echo(f"scenario {loaded.name!r}: {verb}", err=True)


async def _run(session: Session, simulation: Simulation, interval: float, ticks: int | None, timezone: str) -> None:
    from cutover.actions.reports.fleet_summary import summarise
    from cutover.actions.wiring.composition import build_providers

    built = build_providers(session.settings, session.store, simulation.clock, actor=session.actor)
    driver = asyncio.create_task(simulation.drive())
    try:
        shown = 0
        while True:
            fleet = session.tenants.find()
            summary = await summarise(built.providers, fleet, simulation.clock.now())
            echo(render_summary(summary, simulation.info(), ZoneInfo(timezone)))
            shown += 1
            if ticks is not None and shown >= ticks:
                return
            await asyncio.sleep(interval)
    finally:
        driver.cancel()
        await built.providers.aclose()


def render_summary(summary: FleetSummary, info: WorldInfo, zone: ZoneInfo) -> str:
    from cutover.console.commands.summary_text import summary_lines

    when = datetime.fromtimestamp(summary.at, zone).strftime("%Y-%m-%d %H:%M:%S %Z")
    speed = "" if info.speed is None else (" paused" if info.speed == 0 else f" x{info.speed:g}")
    lines = [f"-- world {when}{speed} -- seed {info.seed}, {summary.tenants:,} tenants"]
    lines += summary_lines(summary, waves_and_flight=True)
    for index, fault in enumerate(info.faults[:6]):
        lines.append(f"  {'faults' if index == 0 else '':<9} {fault}")
    if len(info.faults) > 6:
        lines.append(f"            and {len(info.faults) - 6} more")
    return "\n".join(lines)
