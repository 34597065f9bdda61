"""DNS drift: a tenant's record no longer sends traffic where the store says it should.

DNS is the truth about traffic and the store the truth about intent. After every DNS
poll the leading engine compares the two for each tenant no job holds (a job's tenant
is between two states by design): a ready or rolled-back tenant must be wholly on AWS,
a migrated or decommissioned one wholly on OCI. Any other answer (a record changed by
hand, another tool, a stale engine the fence did not cover) is a critical alert, which
the notifier pages; it is raised once when the drift starts and said to have cleared
when the record is back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from cutover.actions.engine.engine_core import EngineCore
from cutover.model.lifecycle import Lifecycle
from cutover.model.tenant import Tenant

DRIFT_SOURCE = "dns-drift"
DRIFT_CLEARED = "dns.drift.cleared"

_ON_AWS = (Lifecycle.PENDING, Lifecycle.SYNCING, Lifecycle.VALIDATING, Lifecycle.READY, Lifecycle.ROLLED_BACK)
_ON_OCI = (Lifecycle.MIGRATED, Lifecycle.DECOMMISSIONED)


def intended_oci_share(lifecycle: Lifecycle) -> float | None:
    """The share of traffic DNS should send to OCI in this state; None where a job or a person decides."""
    if lifecycle in _ON_AWS:
        return 0.0
    if lifecycle in _ON_OCI:
        return 1.0
    return None


class DnsRead(NamedTuple):
    """What a DNS poll found for one tenant (a named tuple: a whole-fleet poll makes 50,000)."""

    oci_share: float | None  # None: the record points somewhere that is neither of the tenant's targets
    routing: str


@dataclass(frozen=True)
class Drift:
    tenant_id: str
    lifecycle: Lifecycle
    intended: float
    found: DnsRead

    def describe(self) -> str:
        side = "AWS" if self.intended == 0.0 else "OCI"
        found = (
            f"DNS sends {self.found.oci_share:.0%} to OCI"
            if self.found.oci_share is not None
            else "DNS points at neither of its targets"
        )
        return (
            f"DNS drift: {self.tenant_id} is {self.lifecycle.label} in the store, so all its traffic should go to "
            f"{side}, but {found} ({self.found.routing}): the record was changed outside cutover. Check who changed "
            "it, then put it back or roll the tenant back"
        )


_INTENDED = {lifecycle: intended_oci_share(lifecycle) for lifecycle in Lifecycle}


def drifts(tenants: Iterable[Tenant], found: Mapping[str, DnsRead]) -> list[Drift]:
    """The tenants whose record disagrees with their lifecycle."""
    drifting = []
    for tenant in tenants:
        intended = _INTENDED[tenant.lifecycle]
        if intended is None:
            continue
        read = found.get(tenant.tenant_id)
        if read is None:
            continue
        if read.oci_share is None or abs(read.oci_share - intended) > 1e-9:
            drifting.append(Drift(tenant.tenant_id, tenant.lifecycle, intended, read))
    return drifting


class DriftWatch:
    """The leading engine's memory of which tenants drift, so each drift is one alert, not one a poll."""

    def __init__(self, core: EngineCore):
        self.core = core
        self.drifting: set[str] = set()

    def check(self, polled: Iterable[Tenant], found: Mapping[str, DnsRead]) -> list[Drift]:
        """Compare what a DNS poll found with the store's intent; alert on new drift, say when it clears.

        `polled` may be a cached view of the fleet: a suspect is re-read from the store before it is
        called drift, so a lifecycle that changed since the cache was taken never raises a false alarm.
        """
        polled = list(polled)
        suspects = [drift.tenant_id for drift in drifts(polled, found)]
        held = {holder.tenant_id for holder in self.core.jobs.lock_holders(suspects)} if suspects else set()
        fresh = [self.core.tenant(tenant_id) for tenant_id in suspects if tenant_id not in held]
        now_drifting = {drift.tenant_id: drift for drift in drifts(fresh, found)}
        for tenant_id, drift in now_drifting.items():
            if tenant_id not in self.drifting:
                self.core.alert(drift.describe(), severity="critical", source=DRIFT_SOURCE, tenant_id=tenant_id)
        # Most nights nothing drifts: then there is nothing to clear, and no set of the fleet to make.
        polled_ids = {tenant.tenant_id for tenant in polled if tenant.tenant_id in found} if self.drifting else set()
        for tenant_id in sorted((self.drifting & polled_ids) - set(now_drifting)):
            self.core.events.append(
                DRIFT_CLEARED,
                f"DNS drift cleared: {tenant_id}'s record agrees with the store again",
                tenant_id=tenant_id,
            )
        self.drifting = (self.drifting - polled_ids) | set(now_drifting)
        return list(now_drifting.values())
