"""The commands that move traffic: `cutover gate`, `flip`, `ramp`, `rollback` and `batch`.

cutover gate TENANT...
cutover flip TENANT...            cutover ramp TENANT... [--stages 10,25,50,75,100] [--hold 30m]
cutover rollback TENANT... | --all-in-flight
cutover batch (--wave N | TENANT... | --count N) [--count 25] [--group 5] [--every 15m] [--monitor 10m]
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import click

from cutover.actions.plan.gate import GateVerdict, remedy_sentence
from cutover.actions.plan.operations import Operations
from cutover.actions.plan.plans import BadRequest, PlanRequest
from cutover.config.units import parse_duration
from cutover.console.commands.acting import (
    action_options,
    observe_fleet,
    open_session,
    resolve_ids,
    run_action,
    skip_refused_option,
)
from cutover.console.commands.common import EXIT_OK, EXIT_REFUSED, Context, user_errors
from cutover.console.commands.common import echo as out


@click.command()
@click.argument("tenants", nargs=-1, required=True)
@action_options
@skip_refused_option
@click.pass_obj
@user_errors
def flip(obj: Context, tenants: tuple[str, ...], **options: Any) -> None:
    """Cut tenants over to OCI: final sync, gate, DNS, traffic, monitoring, migrated."""
    run_action(obj, PlanRequest.flip(tenants), **options)


def _stages(value: str | None) -> tuple[int, ...] | None:
    if value is None:
        return None
    try:
        return tuple(int(part.strip().rstrip("%")) for part in value.split(",") if part.strip())
    except ValueError:
        raise BadRequest(f"--stages {value!r}: write percentages separated by commas, like 10,25,50,75,100") from None


def _duration(option: str, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise BadRequest(f"{option} {exc}") from None


@click.command()
@click.argument("tenants", nargs=-1, required=True)
@click.option("--stages", help="OCI weight of each stage in percent (default from the configuration: 10,25,50,75,100).")
@click.option("--hold", help="Time at each stage before the next, e.g. 30m (default from the configuration).")
@action_options
@skip_refused_option
@click.pass_obj
@user_errors
def ramp(obj: Context, tenants: tuple[str, ...], stages: str | None, hold: str | None, **options: Any) -> None:
    """Move traffic to OCI in weighted stages, checking error rate and p95 at each."""
    run_action(obj, PlanRequest.ramp(tenants, stages=_stages(stages), hold=_duration("--hold", hold)), **options)


@click.command()
@click.argument("tenants", nargs=-1)
@click.option("--all-in-flight", is_flag=True, help="Every tenant cutting over or in monitoring.")
@action_options
@skip_refused_option
@click.pass_obj
@user_errors
def rollback(obj: Context, tenants: tuple[str, ...], all_in_flight: bool, **options: Any) -> None:
    """Put tenants back on AWS (one change set per hosted zone); the recovery time is recorded."""
    if not tenants and not all_in_flight:
        raise BadRequest("name the tenants to roll back, or --all-in-flight")
    run_action(obj, PlanRequest.rollback(tenants, all_in_flight=all_in_flight), **options)


@click.command()
@click.argument("tenants", nargs=-1)
@click.option("--wave", type=click.IntRange(0, 99), help="Take the batch from this wave's ready tenants.")
@click.option("--count", type=click.IntRange(1), help="Tenants in the batch (default 25).")
@click.option("--group", "group_size", type=click.IntRange(1), help="Tenants cut over together (default 5).")
@click.option("--every", help="Time between the starts of two groups, e.g. 15m (default 15m).")
@click.option("--monitor", help="Monitoring window of each tenant, e.g. 10m (default 10m).")
@click.option("--window", help='The window agreed with the customer, tenant-local "HH:MM-HH:MM" (a coordinated wave).')
@action_options
@click.pass_obj
@user_errors
def batch(
    obj: Context,
    tenants: tuple[str, ...],
    wave: int | None,
    count: int | None,
    group_size: int | None,
    every: str | None,
    monitor: str | None,
    window: str | None,
    **options: Any,
) -> None:
    """A night's batch: groups of G every I, each monitored M; stops the line on a rollback.

    Take it from a wave (--wave N), from named tenants, or the next --count ready tenants.
    """
    if count is not None and group_size is not None and group_size > count:
        raise click.UsageError(
            f"--group {group_size} is larger than --count {count}: a group is part of the batch; "
            "make --group at most --count"
        )
    request = PlanRequest.batch(
        tenants,
        wave=wave,
        count=count,
        group_size=group_size,
        interval=_duration("--every", every),
        monitor=_duration("--monitor", monitor),
        window=window,
    )
    run_action(obj, request, **options)


@click.command()
@click.argument("tenants", nargs=-1, required=True)
@click.option("--no-refresh", is_flag=True, help="Judge what the store has; do not poll when no engine leads.")
@click.option("--json", "as_json", is_flag=True, help="A machine-readable result on stdout (see the README).")
@click.pass_obj
@user_errors
def gate(obj: Context, tenants: tuple[str, ...], no_refresh: bool, as_json: bool) -> None:
    """The decision gate: every check, its evidence and age; ELIGIBLE (exit 0), BLOCKED or UNKNOWN (exit 3)."""
    session = open_session(obj)
    try:
        ops = Operations(session)
        tenants = resolve_ids(session, tenants)
        observed_now = False
        if not no_refresh and ops.leader() is None:
            unobserved = asyncio.run(observe_fleet(session))
            observed_now = True
            for failure in unobserved:
                out(f"could not observe {failure}; the gate judges what the store had", err=True)
        results = ops.gate(list(tenants))
        passed = all(result.passed for result in results)
        eligible = all(result.verdict is GateVerdict.ELIGIBLE for result in results)
        if as_json:
            out(
                json.dumps(
                    {
                        "schema": "cutover.gate/1",
                        "passed": passed,
                        "eligible": eligible,
                        "observed_now": observed_now,
                        "tenants": [result.to_json() for result in results],
                    },
                    indent=2,
                    default=str,
                )
            )
        else:
            if observed_now:
                out("no engine leads: observed sync, backends, DNS and metrics just now")
            for result in results:
                out(f"{result.tenant_id}: {result.verdict.value.upper()} ({result.summary()})")
                for check in result.checks:
                    mark = "ok " if not check.blocking else "-- "
                    remedy = (
                        f"  [the cutover {remedy_sentence([check.remedy])}]" if check.blocking and check.remedy else ""
                    )
                    out(f"  {mark}{check.name:<10} {check.result.value:<8} {check.evidence_with_age()}{remedy}")
        sys.exit(EXIT_OK if eligible else EXIT_REFUSED)
    finally:
        session.close()
