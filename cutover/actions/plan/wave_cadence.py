"""A wave's cadence: how many of its tenants a night may take (`[waves.N] max_per_night`, the runbook's
"20-30 a day in wave 1, 1-2 a day in wave 4") and how many tonight has taken already: those that started
cutting over since the night began, and those a job not ended still has to start."""

from __future__ import annotations

from collections import Counter

from cutover.actions.plan.windows import night_start
from cutover.config.settings import Settings
from cutover.model.jobs import ACTIVE, TO_OCI_KINDS, TargetState
from cutover.model.tenant import Tenant
from cutover.state.facts import Facts
from cutover.state.jobs import JobStore


def taken_tonight(facts: Facts, jobs: JobStore, now: float, settings: Settings) -> set[str]:
    """The tenants tonight has taken: started cutting over since the night began, or waiting in a job not ended."""
    taken = facts.started_since(night_start(now, settings.safety.window))
    for job in jobs.find(ACTIVE):
        if job.kind in TO_OCI_KINDS:
            taken |= {t.tenant_id for t in jobs.targets(job.job_id) if t.state is TargetState.PENDING}
    return taken


def cap_words(wave: int, cap: int, taken: int) -> str:
    """ "wave 3's cap of 10 a night is reached (10 taken tonight)"."""
    return f"wave {wave}'s cap of {cap} a night is reached ({taken} taken tonight)"


class Caps:
    """Counts a batch's picks against each wave's cap as it picks them."""

    def __init__(self, settings: Settings, taken: Counter[int] | None = None):
        self.limits = {wave: own.max_per_night for wave, own in settings.waves.items() if own.max_per_night}
        self.taken = Counter(taken or {})

    @property
    def any(self) -> bool:
        return bool(self.limits)

    def refuse(self, tenant: Tenant) -> str:
        """Why this tenant would go over its wave's cap ("" when it fits); a tenant that fits is counted."""
        cap = self.limits.get(tenant.wave)
        if cap is None:
            return ""
        if self.taken[tenant.wave] >= cap:
            return cap_words(tenant.wave, cap, self.taken[tenant.wave])
        self.taken[tenant.wave] += 1
        return ""
