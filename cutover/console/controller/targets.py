"""What an action would act on, frozen when its dialog opens: the eligible tenants, the excluded with why
(counted by reason past a few), and what the action will do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TargetSet:
    """What an action would act on, frozen when the dialog opens: later data does not change it."""

    action: str  # "cut over", "roll back", ...
    eligible: tuple[str, ...]
    excluded: tuple[tuple[str, str], ...] = ()  # (tenant, why)
    detail: str = ""

    def summary(self) -> str:
        """ "3 eligible, 1 excluded: T-0009 pending, must be ready"; past a few, counted by reason:
        "24 eligible, 401 excluded: 380 pending, 18 syncing, 3 held (listed below)"."""
        text = f"{len(self.eligible)} eligible"
        if not self.excluded:
            return text
        if len(self.excluded) <= NAMED_EXCLUSIONS:
            reasons = ", ".join(f"{tid} {why}" for tid, why in self.excluded)
            return f"{text}, {len(self.excluded)} excluded: {reasons}"
        counts = ", ".join(f"{len(members)} {reason}" for reason, members in self.excluded_by_reason())
        return f"{text}, {len(self.excluded):,} excluded: {counts} (listed below)"

    def excluded_by_reason(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """The excluded tenants grouped by the short form of their reason, the largest group first."""
        groups: dict[str, list[tuple[str, str]]] = {}
        for tenant_id, why in self.excluded:
            groups.setdefault(exclusion_kind(why), []).append((tenant_id, why))
        return sorted(groups.items(), key=lambda item: -len(item[1]))

    def excluded_listing(self) -> str:
        """Every excluded tenant, by reason: the ids where the reason says it all, else each with its own."""
        lines = []
        for kind, members in self.excluded_by_reason():
            lines.append(f"{len(members)} {kind}:")
            if all(exclusion_kind(why) == why or why.endswith(NOT_READY) for _, why in members):
                lines.append("  ".join(tenant_id for tenant_id, _ in members))
            else:
                lines.extend(f"{tenant_id}: {why}" for tenant_id, why in members)
        return "\n".join(lines)


NAMED_EXCLUSIONS = 3  # up to this many excluded tenants are named in the summary line
NOT_READY = (", not ready", ", must be ready")


def exclusion_kind(reason: str) -> str:
    """A reason's short form, to count by: "pending, not ready" -> "pending", "held by job-3 (...)" -> "held"."""
    for suffix in NOT_READY:
        if reason.endswith(suffix):
            return reason.removesuffix(suffix)
    if reason.startswith("held by"):
        return "held"
    if reason.startswith("gate:"):
        return "blocked at the gate"
    if reason.startswith("beyond tonight's count"):
        return "beyond tonight's count"
    return reason.split(",")[0].split(" (")[0].split(":")[0].strip()
