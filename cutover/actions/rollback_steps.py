"""A rollback's steps, one definition for every way a rollback is submitted (by hand, by a trigger)."""

from __future__ import annotations

REVERSE_STEP, RPO_STEP = "reverse_sync", "rpo"  # a rollback's data (actions/flows/reverse.py)


def rollback_steps(reverse_sync: str) -> tuple[str, ...]:
    """The steps in the order they run under `rollback.reverse_sync` (before-dns, after-dns, off)."""
    if reverse_sync == "before-dns":
        return (REVERSE_STEP, "dns_change", "dns_insync", "traffic_back", RPO_STEP)
    return ("dns_change", "dns_insync", "traffic_back", REVERSE_STEP, RPO_STEP)
