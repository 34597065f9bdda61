"""A record's TTL history, as the store learns it from each read and each change of ours.

Resolvers cache an answer for the TTL it carried when they fetched it. After a TTL
is lowered, a resolver may still hold the old answer for up to the old TTL; only
then does every cache carry the low one, and a DNS change reaches all clients
within the low TTL. `dns_ttl_safe_at` is that moment: the latest time at which an
answer with a longer TTL could still be cached. A TTL first read already low, with
no history before it, is assumed to have been `assume_previous` before.
"""

from __future__ import annotations

from typing import Any

from cutover.model.tenant import Tenant


def ttl_observation(tenant: Tenant, ttl: int, at: float, *, assume_previous: int) -> dict[str, Any]:
    """The TTL fields to observe after reading (or setting) `ttl` at `at`; no change keeps the history."""
    if tenant.dns_ttl == ttl and tenant.dns_ttl_since is not None:
        return {}
    before = tenant.dns_ttl
    longest_cached = before if before is not None else assume_previous
    safe_at = at + longest_cached
    if tenant.dns_ttl_safe_at is not None:
        safe_at = max(safe_at, tenant.dns_ttl_safe_at)  # a longer TTL from before may still be cached
    return {"dns_ttl": ttl, "dns_ttl_since": at, "dns_ttl_before": before, "dns_ttl_safe_at": safe_at}
