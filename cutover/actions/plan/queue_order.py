"""The queue: the order tenants are picked in for a night's batch (the matrix's Priority column).

Pilot tenants first, then by wave, then by the number in the Priority (`P1`, `Wave-2`,
`3`), then by ID. One definition, used by the batch plan and shown with each pick.
"""

from __future__ import annotations

import re

from cutover.model.tenant import Tenant

PILOT = "pilot"
_NUMBER = re.compile(r"\d+")


def is_pilot(tenant: Tenant) -> bool:
    return tenant.priority.strip().lower() == PILOT


def priority_rank(priority: str) -> int:
    """The number in a Priority (lower goes first); one without a number goes after those with one."""
    found = _NUMBER.search(priority)
    return int(found.group()) if found else 1_000_000


def queue_key(tenant: Tenant) -> tuple[int, int, int, str]:
    return (0 if is_pilot(tenant) else 1, tenant.wave, priority_rank(tenant.priority), tenant.tenant_id)


def in_queue_order(tenants: list[Tenant]) -> list[Tenant]:
    return sorted(tenants, key=queue_key)


def why_picked(tenant: Tenant, place: int) -> str:
    """ "queue #1: Pilot, wave 1", "queue #4: wave 2, priority P3"."""
    parts = ["Pilot" if is_pilot(tenant) else "", f"wave {tenant.wave}"]
    if tenant.priority and not is_pilot(tenant):
        parts.append(f"priority {tenant.priority}")
    return f"queue #{place}: " + ", ".join(part for part in parts if part)
