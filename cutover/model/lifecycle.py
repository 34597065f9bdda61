"""The tenant lifecycle: two axes, as AWS Application Migration Service models servers.

Lifecycle says where a tenant is in its migration; sync health says how its data
replication is doing. One explicit transition table; anything else is refused
with a message naming the tenant, where it is, where it was asked to go and
where it may go.
"""

from __future__ import annotations

from enum import StrEnum


class Lifecycle(StrEnum):
    PENDING = "pending"
    SYNCING = "syncing"
    VALIDATING = "validating"
    READY = "ready"
    CUTTING_OVER = "cutting_over"
    MONITORING = "monitoring"
    MIGRATED = "migrated"
    DECOMMISSIONED = "decommissioned"
    ROLLING_BACK = "rolling_back"
    ROLLED_BACK = "rolled_back"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class SyncHealth(StrEnum):
    NOT_STARTED = ""
    INITIAL_SYNC = "initial_sync"
    CONTINUOUS = "continuous"
    STALLED = "stalled"
    ERROR = "error"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ") if self.value else "not started"


# A sync health's value as the store keeps it, from the member or from the value itself (a dict lookup: a whole-fleet
# poll asks it of 50,000 tenants, and `.value` is a property).
SYNC_HEALTH_VALUES: dict[str, str] = {member: member.value for member in SyncHealth}


L = Lifecycle
TRANSITIONS: dict[Lifecycle, frozenset[Lifecycle]] = {
    L.PENDING: frozenset({L.SYNCING, L.FAILED}),
    L.SYNCING: frozenset({L.VALIDATING, L.FAILED}),
    # A failed suite sends the tenant back to sync (data) or to failed (needs a human).
    L.VALIDATING: frozenset({L.READY, L.SYNCING, L.FAILED}),
    # Ready can fall back when sync breaks or the validation is too old.
    L.READY: frozenset({L.CUTTING_OVER, L.SYNCING, L.VALIDATING, L.FAILED}),
    # Back to ready only when the cutover stopped before DNS was changed.
    L.CUTTING_OVER: frozenset({L.MONITORING, L.READY, L.ROLLING_BACK, L.FAILED}),
    L.MONITORING: frozenset({L.MIGRATED, L.ROLLING_BACK, L.FAILED}),
    # AWS is kept running for 24 h after a migration: rollback stays possible.
    L.MIGRATED: frozenset({L.DECOMMISSIONED, L.ROLLING_BACK}),
    L.DECOMMISSIONED: frozenset(),
    L.ROLLING_BACK: frozenset({L.ROLLED_BACK, L.FAILED}),
    # After the fix, the tenant is re-synced or re-validated and tried again.
    L.ROLLED_BACK: frozenset({L.SYNCING, L.VALIDATING, L.READY, L.FAILED}),
    # Needs attention: a person decides where it goes next.
    L.FAILED: frozenset({L.PENDING, L.SYNCING, L.VALIDATING, L.READY, L.ROLLING_BACK}),
}
del L

# Where customer traffic is meant to be (by DNS) in each state.
ON_OCI = frozenset({Lifecycle.MONITORING, Lifecycle.MIGRATED, Lifecycle.DECOMMISSIONED})
IN_FLIGHT = frozenset({Lifecycle.CUTTING_OVER, Lifecycle.MONITORING, Lifecycle.ROLLING_BACK})


class DomainError(Exception):
    """A request the domain refuses; the message is for the operator."""


class IllegalTransition(DomainError):
    def __init__(self, tenant_id: str, current: Lifecycle, requested: Lifecycle):
        self.tenant_id = tenant_id
        self.current = current
        self.requested = requested
        self.allowed = sorted(TRANSITIONS[current])
        nexts = ", ".join(state.value for state in self.allowed) or "none: it is final"
        super().__init__(
            f"{tenant_id}: cannot go from {current.value} to {requested.value}; "
            f"from {current.value} it may go to: {nexts}"
        )


def check_transition(tenant_id: str, current: Lifecycle | str, requested: Lifecycle | str) -> None:
    current, requested = Lifecycle(current), Lifecycle(requested)
    if requested not in TRANSITIONS[current]:
        raise IllegalTransition(tenant_id, current, requested)


# Where a tenant may be rolled back from: anywhere DNS may point at OCI.
ROLLBACK_FROM = frozenset({Lifecycle.CUTTING_OVER, Lifecycle.MONITORING, Lifecycle.MIGRATED, Lifecycle.FAILED})
