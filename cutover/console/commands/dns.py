"""`cutover dns ...`: preparing tenants' DNS records for the night (lowering the TTL)."""

from __future__ import annotations

import click

from cutover.console.commands.acting import submit_and_follow
from cutover.console.commands.common import Context, user_errors


@click.group("dns")
def dns_group() -> None:
    """Prepare tenants' DNS records ahead of their cutover."""


@dns_group.command("lower-ttl")
@click.argument("tenants", nargs=-1, required=True)
@click.option("--reason", default="", help="Why: it goes in the audit trail with the action.")
@click.option("--json", "as_json", is_flag=True, help="A machine-readable result on stdout (see the README).")
@click.pass_obj
@user_errors
def lower_ttl(obj: Context, tenants: tuple[str, ...], reason: str, as_json: bool) -> None:
    """Lower tenants' record TTL to dns.ttl (AWS target kept, compare-and-swap) and say when each is safe."""
    submit_and_follow(obj, "lower-ttl", reason, as_json, lambda ops: ops.lower_ttl(tenants, reason=reason))
