"""What goes wrong at a provider, and the retries made visible: the errors every port may raise
(ProviderError, Throttled, RecordChanged) and the observer told about each retry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cutover.model.routing import DnsRecord
from cutover.providers.redaction import redact


class ProviderError(Exception):
    """A provider could not do what was asked. `retryable` says whether trying again may help."""

    def __init__(
        self,
        source: str,
        message: str,
        *,
        retryable: bool = False,
        request_id: str = "",
        code: str = "",
        retry_after: float | None = None,
    ):
        super().__init__(redact(f"{source}: {message}"))  # whoever builds it, its words carry no credential
        self.source = source
        self.retryable = retryable
        self.request_id = request_id
        self.code = code  # the service's error code, when it gave one
        self.retry_after = retry_after  # seconds the service asked us to wait


class Throttled(ProviderError):
    def __init__(self, source: str, message: str = "throttled by the API's rate limit", **kwargs: object):
        # kwargs are ProviderError's keyword arguments (request_id, code, retry_after), typed object here
        super().__init__(source, message, retryable=True, **kwargs)  # type: ignore[arg-type]


class RecordChanged(ProviderError):
    """Compare-and-swap failed: a record (or its fence) is no longer what was last read. Nothing was changed."""

    def __init__(self, source: str, tenant_id: str, expected: DnsRecord, found: DnsRecord | None):
        self.tenant_id = tenant_id
        self.expected = expected
        self.found = found
        if found is not None and found.version == expected.version and found.fence != expected.fence:
            what = (
                f"{tenant_id}: {expected.name} was changed by someone else since it was read "
                f"(fence {expected.fence or 'none'} is now {found.fence or 'none'}), although it is "
                f"{found.describe()} again"
            )
        else:
            found_text = found.describe() if found else "no record"
            what = (
                f"{tenant_id}: {expected.name} changed since it was read: expected {expected.describe()}, "
                f"found {found_text}"
            )
        super().__init__(source, f"{what}; nothing was changed")

    @property
    def only_fence(self) -> bool:
        """The record's value is as read; only its fence moved on (another engine's change came and went)."""
        return self.found is not None and self.found.version == self.expected.version


# --- retries, made visible -----------------------------------------------------------


@dataclass(frozen=True)
class RetryNotice:
    """A call to a real service failed and is about to be tried again.

    `reason` is the service's error code and message; it never carries credentials
    (providers strip signatures, keys and webhook URLs before they build one).
    """

    source: str
    operation: str  # the API call: "ChangeResourceRecordSets", "summarize_metrics_data"
    attempt: int  # the attempt that failed, 1-based
    wait_s: float  # how long until the next attempt
    reason: str


class ProviderObserver(Protocol):
    """Told about every retry; the composition root wires it to the event log."""

    def retrying(self, notice: RetryNotice) -> None: ...


class IgnoreRetries:
    """The observer used when nobody listens (benchmarks, one-off scripts)."""

    def retrying(self, notice: RetryNotice) -> None:
        pass
