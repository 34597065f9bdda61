"""How a name routes traffic and how a change to it is asked for and acknowledged: a simple record or a
weighted pair (`Routing`), a record as read with its compare-and-swap version (`DnsRecord`), a change
(`DnsChange`), the DNS service's receipt (`ChangeReceipt`), and the fencing TXT record's naming. Pure data:
every DNS provider (providers/) speaks it, the engine plans with it, the store records it as text."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple


@dataclass(frozen=True)
class WeightedTarget:
    set_id: str  # "aws" or "oci": the SetIdentifier of a weighted record
    target: str
    weight: int  # 0-255, as Route 53 allows


@dataclass(frozen=True, slots=True)
class Routing:
    """What a name resolves to: one simple record, or a weighted pair."""

    ttl: int
    target: str | None = None
    weights: tuple[WeightedTarget, ...] = ()

    def __post_init__(self) -> None:
        if (self.target is None) == (not self.weights):
            raise ValueError("a routing is either a simple target or weighted targets, not both or neither")
        for weighted in self.weights:
            if not 0 <= weighted.weight <= 255:
                raise ValueError(f"weight {weighted.weight} is outside 0-255")
        if self.weights and sum(w.weight for w in self.weights) == 0:
            raise ValueError("weighted targets with all weights 0 would route nowhere predictable")

    @classmethod
    def simple(cls, target: str, ttl: int) -> Routing:
        return cls(ttl=ttl, target=target)

    @classmethod
    def split(cls, aws_target: str, oci_target: str, oci_percent: int, ttl: int) -> Routing:
        """A weighted pair sending `oci_percent` % to OCI (weights out of 100)."""
        if not 0 <= oci_percent <= 100:
            raise ValueError("oci_percent is 0-100")
        return cls(
            ttl=ttl,
            weights=(
                WeightedTarget("aws", aws_target, 100 - oci_percent),
                WeightedTarget("oci", oci_target, oci_percent),
            ),
        )

    def oci_share(self, aws_target: str, oci_target: str) -> float | None:
        """The share DNS sends to OCI: 0, 1, the weight ratio, or None for a foreign target."""
        if self.target is not None:
            return 1.0 if self.target == oci_target else 0.0 if self.target == aws_target else None
        total = sum(w.weight for w in self.weights)
        known = {aws_target, oci_target}
        if any(w.target not in known for w in self.weights) or total == 0:
            return None
        return sum(w.weight for w in self.weights if w.target == oci_target) / total

    def describe(self) -> str:
        if self.target is not None:
            return f"{self.target} (TTL {self.ttl})"
        return " + ".join(f"{w.set_id}={w.target} w{w.weight}" for w in self.weights) + f" (TTL {self.ttl})"


# The fencing record: a TXT record beside each tenant's name, rewritten in the same atomic
# change as the tenant's record. It holds who made the last change (job, step, lease epoch),
# so a change planned before someone else's change can never apply, even when the tenant's
# record has come back to the value it expected (a rollback after a flip: the ABA case).
FENCE_LABEL = "_cutover-fence"
FENCE_TTL = 60


def fence_name(name: str) -> str:
    """The name of a tenant name's fencing TXT record."""
    return f"{FENCE_LABEL}.{name.rstrip('.')}"


def fenced_name(name: str) -> str | None:
    """The tenant name a fencing record's name stands beside; None for any other name."""
    bare = name.rstrip(".")
    prefix = FENCE_LABEL + "."
    return bare[len(prefix) :] if bare.lower().startswith(prefix) else None


# A named tuple: a whole-fleet poll makes 50,000 of these at once, and a frozen dataclass's __init__ (a setattr a
# field) costs four times as much to build; as small as a slotted one.
class DnsRecord(NamedTuple):
    """A tenant's record as read, with an opaque version for compare-and-swap.

    `fence` is the token of its fencing TXT record ("" when it has none yet).
    """

    tenant_id: str
    name: str
    zone: str
    routing: Routing
    version: str
    measured_at: float
    source: str
    fence: str = ""

    def describe(self) -> str:
        return self.routing.describe()


@dataclass(frozen=True)
class DnsChange:
    """Change one tenant's routing, only if its record (and its fence) is still `expected`.

    With `fence`, the change also replaces the fencing record's token `expected.fence` by
    `fence` in the same atomic change set: a change whose expected token is gone is refused.
    """

    tenant_id: str
    expected: DnsRecord
    to: Routing
    fence: str = ""


@dataclass(frozen=True)
class DnsName:
    """One name of a tenant, in the zone it lives in (resolved: a zone name bare, an id as given)."""

    tenant_id: str
    name: str
    zone: str
    primary: bool = True  # the tenant's DNS name; False for an extra name (config.dns_names)


class ChangeStatus(StrEnum):
    PENDING = "PENDING"
    INSYNC = "INSYNC"


@dataclass(frozen=True)
class ChangeReceipt:
    """One change set accepted by the DNS service; `change_id` is the provider's request id."""

    zone: str
    change_id: str
    tenant_ids: tuple[str, ...]
    status: ChangeStatus
    submitted_at: float
    source: str
