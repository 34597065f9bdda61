"""The small async interfaces the engine and pollers use.

The simulated fleet and the real clouds both implement them. Every observation
carries when it was measured and by which source, so the console can show
staleness and the engine can refuse to act on stale data.

Calls are fleet-wide where the real APIs allow it (one snapshot for every
tenant), so a refresh costs a handful of requests, not one per tenant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from cutover.model.lifecycle import SyncHealth
from cutover.model.routing import (
    ChangeReceipt,
    DnsChange,
    DnsName,
    DnsRecord,
)
from cutover.model.tenant import Tenant
from cutover.providers.redaction import redact


class Side(StrEnum):
    AWS = "aws"
    OCI = "oci"


# --- errors ------------------------------------------------------------------------


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


# --- DNS ---------------------------------------------------------------------------


@runtime_checkable
class DnsProvider(Protocol):
    source: str

    async def read_routing(self, tenants: Sequence[Tenant]) -> dict[str, DnsRecord]:
        """Every tenant's record, in as few calls as the API allows. A tenant with no record is absent."""

    async def read_names(self, names: Sequence[DnsName]) -> dict[tuple[str, str], DnsRecord]:
        """Each name's record, by (tenant id, name), in as few calls as the API allows; a name with no
        record is absent. For tenants with several names (see providers.dns_names)."""

    async def apply(self, zone: str, changes: Sequence[DnsChange]) -> ChangeReceipt:
        """One atomic change set for one hosted zone, compare-and-swap per record (a tenant with several
        names has one change a name in the set: all of them land, or none).

        Raises RecordChanged (nothing applied) if any record differs from its `expected`.
        """

    async def change_status(self, receipt: ChangeReceipt) -> ChangeReceipt:
        """The change set's current status: PENDING until the DNS service reports it in sync."""


# --- metrics -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SideMetrics:
    requests: float
    errors: float  # 5xx
    p95_ms: float | None
    measured_at: float
    source: str

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests > 0 else None


@dataclass(frozen=True, slots=True)
class TenantMetrics:
    tenant_id: str
    aws: SideMetrics | None
    oci: SideMetrics | None

    @property
    def requests(self) -> float:
        return (self.aws.requests if self.aws else 0.0) + (self.oci.requests if self.oci else 0.0)

    @property
    def error_rate(self) -> float | None:
        """Errors over requests, both sides together: what customers see."""
        total = self.requests
        errors = (self.aws.errors if self.aws else 0.0) + (self.oci.errors if self.oci else 0.0)
        return errors / total if total > 0 else None

    @property
    def oci_share(self) -> float | None:
        """The share of requests OCI actually served: the observed traffic split."""
        total = self.requests
        return (self.oci.requests if self.oci else 0.0) / total if total > 0 else None

    @property
    def p95_ms(self) -> float | None:
        """The p95 of the side carrying most of the traffic."""
        sides = [s for s in (self.aws, self.oci) if s is not None and s.p95_ms is not None and s.requests > 0]
        return max(sides, key=lambda s: s.requests).p95_ms if sides else None

    @property
    def measured_at(self) -> float | None:
        times = [s.measured_at for s in (self.aws, self.oci) if s is not None]
        return min(times) if times else None


@dataclass(frozen=True)
class SideColumns:
    """One side's figures for the whole fleet, column by column (NaN where there is no data).

    Columns keep a 10,000-tenant snapshot cheap to build and to hand around.
    """

    source: str
    requests: Sequence[float]
    errors: Sequence[float]
    p95_ms: Sequence[float]
    measured_at: Sequence[float]


@dataclass(frozen=True)
class MetricsSnapshot:
    """A fleet-wide snapshot: per tenant and per side, requests, 5xx and p95 over `period_s`."""

    taken_at: float
    period_s: float
    tenant_ids: tuple[str, ...]
    aws: SideColumns | None
    oci: SideColumns | None
    errors: tuple[str, ...] = ()  # a side's source failing: what it said
    _index: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self._index:
            object.__setattr__(self, "_index", {tid: i for i, tid in enumerate(self.tenant_ids)})

    def __len__(self) -> int:
        return len(self.tenant_ids)

    def __contains__(self, tenant_id: object) -> bool:
        return tenant_id in self._index

    def tenant(self, tenant_id: str) -> TenantMetrics | None:
        index = self._index.get(tenant_id)
        if index is None:
            return None
        return TenantMetrics(tenant_id, _side(self.aws, index), _side(self.oci, index))


def _side(columns: SideColumns | None, index: int) -> SideMetrics | None:
    if columns is None:
        return None
    requests = float(columns.requests[index])
    measured = float(columns.measured_at[index])
    if math.isnan(requests) or math.isnan(measured):
        return None
    p95 = float(columns.p95_ms[index])
    return SideMetrics(
        requests, float(columns.errors[index]), None if math.isnan(p95) else p95, measured, columns.source
    )


@runtime_checkable
class MetricsProvider(Protocol):
    source: str

    async def snapshot(self, tenants: Sequence[Tenant]) -> MetricsSnapshot:
        """One fleet-wide snapshot. A failing side is None with its error in `errors`."""


# --- sync --------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncStatus:
    tenant_id: str
    health: SyncHealth
    percent: float | None  # initial sync progress, 0-100
    eta_s: float | None  # initial sync time left
    lag_s: float | None  # how far OCI is behind AWS (continuous sync)
    pending_objects: int
    pending_bytes: int
    checksum_mismatches: int
    last_pass_at: float | None  # last successful sync pass
    measured_at: float
    source: str


class RemoteJobState(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class RemoteJob:
    """Long work a provider is doing (a sync run, a re-hydration): start it, then poll it.

    Polling, not awaiting, keeps every wait on the engine's injected clock.
    `job_id` stays valid across a restart of the thing doing the work.
    """

    tenant_id: str
    job_id: str
    kind: str  # "continuous", "final", "hydrate"
    state: RemoteJobState
    started_at: float
    ended_at: float | None
    error: str
    source: str


@dataclass(frozen=True)
class Verification:
    """The proof that lag is 0: a full comparison of source and destination."""

    tenant_id: str
    objects_checked: int
    differ: int
    missing_on_dst: int
    missing_on_src: int
    measured_at: float
    source: str
    # Objects whose checksums cannot be compared (multipart uploads: an S3 multipart ETag
    # is not an MD5); they were compared by size only.
    unverified: int = 0

    @property
    def lag_zero(self) -> bool:
        return self.differ == 0 and self.missing_on_dst == 0


@dataclass(frozen=True)
class Stranded:
    """What a rollback would strand now: objects on OCI that AWS lacks or holds differently, from
    listings of both sides (OCI the source). Objects only on AWS (deleted on OCI) are not counted:
    a rollback loses nothing by them."""

    tenant_id: str
    objects: int
    bytes: int
    compared: int  # objects listed on OCI
    measured_at: float
    source: str

    @property
    def none(self) -> bool:
        return self.objects == 0


@runtime_checkable
class SyncProvider(Protocol):
    source: str

    async def status(self, tenants: Sequence[Tenant]) -> dict[str, SyncStatus]:
        """Every tenant's sync state in one sweep."""

    async def start_continuous(self, tenant: Tenant) -> RemoteJob:
        """Begin the initial bulk copy, then sync on an interval (the runbook: every 15 min)."""

    async def start_final_sync(self, tenant: Tenant) -> RemoteJob:
        """The last incremental pass before cutover (the runbook: 30 s to 2 min)."""

    async def job(self, job: RemoteJob) -> RemoteJob:
        """The job's current state."""

    async def verify(self, tenant: Tenant) -> Verification:
        """Compare every object (checksums) between AWS and OCI."""

    async def stranded(self, tenant: Tenant) -> Stranded:
        """What a rollback would strand now: OCI's objects missing or different on AWS (listings of both)."""

    async def start_reverse_sync(self, tenant: Tenant) -> RemoteJob:
        """Copy OCI -> AWS (kind "reverse"): what was written on OCI reaches AWS; nothing on AWS is deleted."""


# --- health and validation -----------------------------------------------------------


class BackendStatus(StrEnum):
    OK = "OK"
    WARNING = "WARNING"  # at least half OK
    CRITICAL = "CRITICAL"  # fewer than half OK
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class BackendHealth:
    tenant_id: str
    healthy: int
    total: int
    status: BackendStatus
    unhealthy: tuple[str, ...]  # names of the backends that are down
    hydrated_at: float | None  # when the OCI cluster last loaded its data
    measured_at: float
    source: str


@dataclass(frozen=True)
class TargetHealth:
    """The AWS side's targets of one tenant (its ALB target group), as Elastic Load Balancing reports them:
    what a rollback would land on."""

    tenant_id: str
    healthy: int
    total: int  # targets registered (draining and unused ones included)
    unhealthy: tuple[str, ...]  # "i-0abc:8080 unhealthy (Target.FailedHealthChecks)"
    measured_at: float
    source: str


@runtime_checkable
class AwsTargets(Protocol):
    """An optional capability of the health provider: the AWS side's target health while tenants are on
    OCI. A health provider without it, or whose `aws_targets` returns None, does not measure the AWS side
    (readiness then says "not measured"; it never guesses)."""

    async def aws_targets(self, tenants: Sequence[Tenant]) -> dict[str, TargetHealth] | None:
        """Every tenant's AWS target health; None: not measured by this provider. Raises ProviderError
        (naming the tenant and its target group) when a target group cannot be read."""


VALIDATION_CHECKS = ("data_integrity", "query_performance", "concurrency", "failover", "end_to_end")


@dataclass(frozen=True)
class CheckResult:
    name: str  # one of VALIDATION_CHECKS
    passed: bool
    evidence: str  # what was measured, in words: "OCI p95 850 ms vs AWS 1200 ms"
    measured_at: float


@dataclass(frozen=True)
class ValidationResult:
    tenant_id: str
    checks: tuple[CheckResult, ...]
    measured_at: float
    source: str

    @property
    def passed(self) -> int:
        return sum(1 for check in self.checks if check.passed)

    @property
    def all_passed(self) -> bool:
        return bool(self.checks) and self.passed == len(self.checks)


@runtime_checkable
class HealthProvider(Protocol):
    source: str

    async def backends(self, tenants: Sequence[Tenant]) -> dict[str, BackendHealth]:
        """Every tenant's OCI load-balancer backend health in one sweep."""

    async def validate(self, tenant: Tenant) -> ValidationResult:
        """Run the validation suite against the tenant's OCI endpoint (before DNS points there)."""

    async def start_hydration(self, tenant: Tenant) -> RemoteJob:
        """Re-hydrate the OCI cluster from object storage (the runbook: 3-8 min)."""

    async def job(self, job: RemoteJob) -> RemoteJob:
        """The hydration's current state."""


# --- notifications -------------------------------------------------------------------


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Notification:
    text: str
    severity: Severity = Severity.INFO
    tenant_id: str | None = None
    job_id: str | None = None
    dedup_key: str = ""  # one incident, one page: notifications about the same thing share it
    resolve: bool = False  # the thing `dedup_key` names has cleared


@runtime_checkable
class Notifier(Protocol):
    source: str

    async def post(self, notification: Notification) -> None:
        """Deliver one message. Raises ProviderError when it could not."""


@dataclass(frozen=True)
class Providers:
    """One provider per role, as the configuration chose them."""

    dns: DnsProvider
    metrics: MetricsProvider
    sync: SyncProvider
    health: HealthProvider
    notifier: Notifier

    async def aclose(self) -> None:
        """Close what the providers hold open (HTTP pools, SDK clients, SSH connections)."""
        seen: set[int] = set()
        for provider in (self.dns, self.metrics, self.sync, self.health, self.notifier):
            close = getattr(provider, "aclose", None)
            if close is not None and id(provider) not in seen:
                seen.add(id(provider))
                await close()
