"""Waiting for a DNS change to be in sync, on the injected clock, with a deadline."""

from __future__ import annotations

from cutover.model.clock import Clock
from cutover.model.routing import ChangeReceipt, ChangeStatus
from cutover.providers.ports.dns import DnsProvider
from cutover.providers.ports.errors import ProviderError


class ChangeNotInSync(ProviderError):
    def __init__(self, source: str, receipt: ChangeReceipt, waited: float):
        super().__init__(
            source,
            f"change {receipt.change_id} in {receipt.zone} ({', '.join(receipt.tenant_ids)}) is still PENDING "
            f"after {waited:.0f}s; it may still complete: read the records again before acting",
        )
        self.receipt = receipt


async def wait_in_sync(
    dns: DnsProvider, receipt: ChangeReceipt, *, clock: Clock, timeout: float, interval: float = 5.0
) -> ChangeReceipt:
    """Poll the change until the DNS service reports INSYNC; raise ChangeNotInSync after `timeout`.

    INSYNC means every authoritative server has the change; resolvers may still
    answer from cache for up to the old TTL.
    """
    started = clock.now()
    while receipt.status != ChangeStatus.INSYNC:
        waited = clock.now() - started
        if waited >= timeout:
            raise ChangeNotInSync(dns.source, receipt, waited)
        await clock.sleep(min(interval, timeout - waited))
        receipt = await dns.change_status(receipt)
    return receipt
