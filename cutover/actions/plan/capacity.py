"""The in-flight limits (max-cutting-over, max-monitoring) said usefully, and a batch's way around them.

A refusal by a limit says what to do about it: a group size that fits, which jobs
hold the tenants in flight (wait for them), or the break-glass to use.

A batch does not refuse the whole night because other tenants are in flight now:
its groups already wait for room as they run (flows/batch.py). Only a group that
could never fit (larger than the limit itself) refuses the plan; otherwise the
limit becomes a note saying the first group will wait.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from cutover.actions.plan.safety import MAX_CUTTING_OVER, MAX_MONITORING, Refusal, SafetyVerdict
from cutover.config.settings import Settings
from cutover.state.job_records import LockHolder

CAPACITY_RULES = (MAX_CUTTING_OVER, MAX_MONITORING)


def _limit(rule: str, settings: Settings) -> int:
    return settings.safety.max_cutting_over if rule == MAX_CUTTING_OVER else settings.safety.max_monitoring


def _in_flight_by(holders: Sequence[LockHolder]) -> str:
    """ "flip-1 (1 tenant), batch-2 (5 tenants)" """
    counts: dict[str, int] = {}
    for holder in holders:
        counts[holder.job_id] = counts.get(holder.job_id, 0) + 1
    return ", ".join(f"{job} ({n} tenant{'s' if n != 1 else ''})" for job, n in counts.items())


def advise(refusal: Refusal, settings: Settings, holders: Sequence[LockHolder], *, batch: bool) -> Refusal:
    """The refusal with what to do about it."""
    if refusal.rule not in CAPACITY_RULES or refusal.overridden:
        return refusal
    numbers: Mapping[str, object] = refusal.numbers
    limit = _limit(refusal.rule, settings)
    room = max(0, limit - (int(str(numbers.get("projected", 0))) - int(str(numbers.get("adding", 0)))))
    options = []
    if batch:
        options.append(f"a group of at most {limit} (--group {limit})")
    elif room:
        options.append(f"at most {room} tenant{'s' if room != 1 else ''} now")
    if holders:
        options.append(f"wait for {_in_flight_by(holders)} to move on")
    options.append(f"--break-glass {refusal.rule}=REASON")
    return replace(refusal, message=f"{refusal.message}; instead: {', or '.join(options)}")


def for_batch(
    verdict: SafetyVerdict, settings: Settings, group_size: int, holders: Sequence[LockHolder]
) -> tuple[SafetyVerdict, list[str]]:
    """A batch's verdict: a limit a single group fits under is a wait, not a refusal. Returns (verdict, notes)."""
    kept: list[Refusal] = []
    notes: list[str] = []
    for refusal in verdict.refusals:
        if refusal.rule in CAPACITY_RULES and not refusal.overridden and group_size <= _limit(refusal.rule, settings):
            waiting = f"; in flight: {_in_flight_by(holders)}" if holders else ""
            notes.append(f"group 1 waits for room ({refusal.rule}: {refusal.message}{waiting})")
            continue
        kept.append(advise(refusal, settings, holders, batch=True))
    return SafetyVerdict(tuple(kept)), notes


def summarise_exclusions(excluded: Sequence[tuple[str, str]], names: int = 3, sep: str = ": ") -> list[str]:
    """Excluded tenants counted by reason, with a few names.

    "31 pending, not ready: T-0005, T-0006, T-0007 and 28 more"; a reason only one
    tenant has is said as it is ("T-0008: pending, not ready", `sep` between). Reasons
    that differ only in their figures ("gate: sync: unknown, stale: verified 2h ago")
    count together under their first clause, with one full example.
    """
    groups: dict[str, list[tuple[str, str]]] = {}
    for tenant_id, reason in excluded:
        key = reason if reason.endswith(", not ready") else reason.split(",")[0].split(" (")[0]
        groups.setdefault(key, []).append((tenant_id, reason))
    lines = []
    for key, members in sorted(groups.items(), key=lambda item: -len(item[1])):
        if len(members) == 1:  # one tenant: said as it is ("T-0008: pending, not ready")
            lines.append(f"{members[0][0]}{sep}{members[0][1]}")
            continue
        shown = ", ".join(tenant_id for tenant_id, _ in members[:names])
        more = f" and {len(members) - names} more" if len(members) > names else ""
        example = members[0][1]
        detail = f" (e.g. {members[0][0]}: {example})" if example != key else ""
        lines.append(f"{len(members)} {key}{detail}: {shown}{more}")
    return lines
