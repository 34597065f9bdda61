"""Settings of the real providers, one model per `kind` of each role.

The configuration chooses, per role, what serves it: the built-in simulation or a
real cloud. Nothing here is a credential. AWS credentials come from the standard
chain (a named profile, the environment, the instance role); OCI's from a config
file profile or instance principals; SSH keys from the agent or named key files;
the Slack webhook URL from an environment variable whose *name* is configured.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from cutover.config.access import AwsAccess, EnvName, OciAccess, RetrySettings, SshTarget, url_without_login
from cutover.config.ranges import Duration, PositiveFinite
from cutover.config.secrets import SECRET_KEY, secret_keys
from cutover.config.section import Section
from cutover.config.tenant_patterns import TenantPattern

# --- DNS ------------------------------------------------------------------------------


class Route53Settings(Section):
    aws: AwsAccess = AwsAccess()
    zones: dict[str, str] = Field(
        default_factory=dict,
        description="Zone name -> hosted zone id; zones not listed are found with ListHostedZonesByName",
    )
    requests_per_second: PositiveFinite = Field(5.0, gt=0, le=5, description="Route 53 allows 5 a second per account")
    retry: RetrySettings = RetrySettings()

    @field_validator("zones")
    @classmethod
    def _zone_ids(cls, zones: dict[str, str]) -> dict[str, str]:
        for name, zone_id in zones.items():
            if not re.fullmatch(r"(/hostedzone/)?[A-Z0-9]{4,32}", zone_id):
                raise ValueError(f"{name} = {zone_id!r}: a hosted zone id looks like Z0123456789ABCDEFGHIJ")
        return {name.lower().rstrip("."): zone_id.removeprefix("/hostedzone/") for name, zone_id in zones.items()}


class OciDnsSettings(Section):
    oci: OciAccess = OciAccess()
    compartment_id: str | None = Field(None, description="Needed only when zones are named, not given by OCID")
    requests_per_second: PositiveFinite = Field(10.0, gt=0)
    retry: RetrySettings = RetrySettings()


class Route53Dns(Route53Settings):
    kind: Literal["route53"]


class OciDns(OciDnsSettings):
    kind: Literal["oci_dns"]


class SplitDns(Section):
    """Route 53 for most zones, OCI DNS for the zones listed in `oci_zones`."""

    kind: Literal["split"]
    route53: Route53Settings = Route53Settings()
    oci: OciDnsSettings = OciDnsSettings()
    oci_zones: tuple[str, ...] = Field(min_length=1, description="Zones served by OCI DNS")


# --- metrics ----------------------------------------------------------------------------


class CloudWatchSettings(Section):
    aws: AwsAccess = AwsAccess()
    load_balancer: TenantPattern | None = Field(
        None, description="ALB dimension (app/NAME/ID) for tenants whose matrix row names none"
    )
    target_group: TenantPattern | None = Field(
        None, description="Target group dimension pattern for tenants whose matrix row names none"
    )
    period: Duration = Field(60.0, ge=60, description="CloudWatch period of each datapoint")
    lookback: Duration = Field(300.0, ge=60, description="How far back to look for the latest datapoint")
    reporting_delay: Duration = Field(
        180.0, description="How late CloudWatch publishes a period's datapoint (1-3 min): no staler than that"
    )
    queries_per_call: int = Field(500, ge=1, le=500, description="GetMetricData allows 500")
    retry: RetrySettings = RetrySettings()


class OciMonitoringSettings(Section):
    oci: OciAccess = OciAccess()
    compartment_id: str = Field(min_length=1, description="Compartment holding the load balancers")
    in_subtree: bool = Field(True, description="Include the compartment's sub-compartments")
    load_balancer_id: TenantPattern | None = Field(None, description="The LB OCID for tenants whose row names none")
    backend_set: TenantPattern = Field("{tenant_id}", description="Backend set name pattern for tenants without one")
    resolution: str = Field("1m", pattern=r"^\d+[mh]$")
    reporting_delay: Duration = Field(
        180.0, description="How late OCI Monitoring publishes a datapoint: no staler than that"
    )
    requests_metric: str = "HttpRequests"
    errors_metric: str = "HttpResponses5xx"
    latency_metric: str = "ResponseTimeHttpHeader"
    requests_per_second: PositiveFinite = Field(10.0, gt=0, le=10, description="OCI Monitoring allows 10 a second")
    retry: RetrySettings = RetrySettings()

    @property
    def resolution_s(self) -> float:
        return float(self.resolution[:-1]) * (60 if self.resolution.endswith("m") else 3600)


class CloudMetrics(Section):
    """CloudWatch for the AWS side, OCI Monitoring for the OCI side, in one snapshot."""

    kind: Literal["cloud"]
    aws: CloudWatchSettings | None = None
    oci: OciMonitoringSettings | None = None

    @model_validator(mode="after")
    def _a_side(self) -> CloudMetrics:
        if self.aws is None and self.oci is None:
            raise ValueError("configure [providers.metrics.aws] (CloudWatch), [providers.metrics.oci], or both")
        return self


# --- sync ---------------------------------------------------------------------------------


class RcSettings(Section):
    url: Annotated[
        str,
        url_without_login(
            "put the rc login (user:password) in an environment variable and name it in auth_env, like RC_AUTH"
        ),
    ] = Field("http://127.0.0.1:5572", description="rclone's remote control, as the sync node sees it")
    auth_env: EnvName | None = Field(None, description="Environment variable holding rc 'user:pass'")
    ssh: SshTarget | None = Field(None, description="Run `rclone rc` on this host when its rc port is not reachable")
    timeout: Duration = 30.0
    retry: RetrySettings = RetrySettings()


class BucketListings(Section):
    """Listings compared object by object (S3 ETags against OCI MD5s) to verify a sync."""

    s3: AwsAccess = AwsAccess()
    oci: OciAccess = OciAccess()
    namespace: str = Field(min_length=1, description="The OCI Object Storage namespace")
    retry: RetrySettings = RetrySettings()


class RcloneSync(Section):
    kind: Literal["rclone"]
    rc: RcSettings = RcSettings()
    aws_remote: str = Field("aws", min_length=1, description="The rclone remote of the S3 side")
    oci_remote: str = Field("oci", min_length=1, description="The rclone remote of the OCI side")
    interval: Duration = Field(15 * 60.0, description="Continuous sync: time between the starts of two passes")
    stalled_after: Duration = Field(10 * 60.0, description="A pass moving no bytes this long is stalled")
    verify: Literal["rclone", "listings"] = Field("rclone", description="operations/check, or compare listings")
    listings: BucketListings | None = None

    @model_validator(mode="after")
    def _listings_when_verifying_with_them(self) -> RcloneSync:
        if self.verify == "listings" and self.listings is None:
            raise ValueError('verify = "listings" needs [providers.sync.listings] (s3, oci, namespace)')
        return self


# --- health ---------------------------------------------------------------------------------


class HttpStep(Section):
    method: Literal["GET", "POST", "HEAD"] = "GET"
    path: str = Field(pattern=r"^/")
    expect_status: tuple[int, ...] = (200,)
    max_ms: float | None = Field(None, gt=0, description="Slower than this fails the check")
    json_body: dict[str, object] | None = None
    body_env: EnvName | None = Field(None, description="Environment variable whose value is sent as the JSON body")

    @model_validator(mode="after")
    def _no_credentials(self) -> HttpStep:
        advice = "put the whole JSON body in an environment variable and name it in body_env, like E2E_LOGIN_JSON"
        found = list(secret_keys(self.json_body or {}))
        if found:
            raise ValueError(
                f"json_body: {', '.join(found)} holds a credential, refused in the configuration; {advice}"
            )
        _, _, query = self.path.partition("?")
        named = [part.split("=", 1)[0] for part in query.split("&") if SECRET_KEY.search(part.split("=", 1)[0])]
        if named:
            raise ValueError(f"path: the query's {', '.join(named)} holds a credential, refused in the configuration")
        return self


def _default_checks() -> dict[str, tuple[HttpStep, ...]]:
    report: dict[str, tuple[HttpStep, ...]] = {
        name: (HttpStep(method="POST", path=f"/validate/{name}"),)
        for name in ("data_integrity", "query_performance", "concurrency", "failover")
    }
    report["end_to_end"] = (
        HttpStep(path="/health"),
        HttpStep(method="POST", path="/api/login", body_env="E2E_LOGIN_JSON"),
        HttpStep(path="/api/dashboard"),
        HttpStep(method="POST", path="/api/query", json_body={"query": "SELECT 1"}, max_ms=2000),
    )
    return report


class ValidationSettings(Section):
    """The validation suite, run against the OCI endpoint with the tenant's Host header."""

    scheme: Literal["http", "https"] = "https"
    port: int | None = Field(None, ge=1, le=65535)
    verify_tls: bool = Field(True, description="Check the certificate against the tenant's DNS name")
    ca_bundle: Path | None = Field(None, description="CA certificates to trust instead of the system's (PEM)")
    timeout: Duration = 10.0
    checks: dict[str, tuple[HttpStep, ...]] = Field(default_factory=_default_checks)

    @field_validator("checks")
    @classmethod
    def _known_checks(cls, checks: dict[str, tuple[HttpStep, ...]]) -> dict[str, tuple[HttpStep, ...]]:
        known = ("data_integrity", "query_performance", "concurrency", "failover", "end_to_end")
        unknown = [name for name in checks if name not in known]
        if unknown:
            raise ValueError(f"unknown check {', '.join(unknown)}: the suite's checks are {', '.join(known)}")
        return checks


class HydrationSettings(Section):
    """Re-hydration runs on a cluster host over SSH.

    `start` must start the work in the background and print a job id on its last line;
    `status` (with {job_id}) prints running, succeeded or failed, then optionally a reason.
    """

    ssh: SshTarget
    start: str = Field("cutover-hydrate start {tenant_id}", min_length=1)
    status: str = Field("cutover-hydrate status {job_id}", min_length=1)


class AwsTargetsSettings(Section):
    """The AWS side's target health while tenants are on OCI (rollback readiness): Elastic Load Balancing
    DescribeTargetHealth on each tenant's target group. It informs the way back; it never blocks a rollback."""

    aws: AwsAccess = AwsAccess()
    target_group: TenantPattern | None = Field(
        None,
        description="Target group (an ARN, or targetgroup/NAME/ID as CloudWatch names it) for tenants whose "
        "matrix row names none in aws_target_group",
    )
    retry: RetrySettings = RetrySettings()


class OciLbHealth(Section):
    kind: Literal["oci_lb"]
    oci: OciAccess = OciAccess()
    compartment_id: str = Field(
        min_length=1,
        description="Compartment of the load balancers: one call lists every load balancer's health, so a sweep "
        "costs a backend-set call only where something is not OK",
    )
    load_balancer_id: TenantPattern | None = Field(None, description="The LB OCID for tenants whose row names none")
    backend_set: TenantPattern = Field("{tenant_id}", description="Backend set name pattern for tenants without one")
    detail_max_age: Duration = Field(600.0, description="Backend counts of an OK load balancer are re-read after this")
    requests_per_second: PositiveFinite = Field(10.0, gt=0)
    retry: RetrySettings = RetrySettings()
    validation: ValidationSettings = ValidationSettings()
    hydration: HydrationSettings | None = None
    aws_targets: AwsTargetsSettings | None = Field(
        None, description="Measure the AWS side's targets for rollback readiness; empty: not measured"
    )


# --- notifier ---------------------------------------------------------------------------------


NotifySeverity = Literal["info", "warning", "critical"]


class SlackNotifier(Section):
    kind: Literal["slack"]
    webhook_env: EnvName = Field("SLACK_WEBHOOK_URL", description="Environment variable holding the URL")
    min_severity: NotifySeverity = Field("info", description="Only notifications this severe or more")
    timeout: Duration = 10.0
    retry: RetrySettings = RetrySettings()


class PagerDutyNotifier(Section):
    """PagerDuty Events API v2: an incident per dedup key, resolved when it clears."""

    kind: Literal["pagerduty"]
    routing_key_env: EnvName = Field(
        "PAGERDUTY_ROUTING_KEY", description="Environment variable holding the integration's routing key"
    )
    url: str = Field("https://events.pagerduty.com/v2/enqueue", description="The Events API v2 endpoint")
    min_severity: NotifySeverity = Field("critical", description="Only notifications this severe or more page")
    timeout: Duration = 10.0
    retry: RetrySettings = RetrySettings()


class WebhookNotifier(Section):
    """Any HTTP endpoint taking a JSON document (cutover.notification/1)."""

    kind: Literal["webhook"]
    url_env: EnvName = Field("NOTIFY_WEBHOOK_URL", description="Environment variable holding the URL")
    min_severity: NotifySeverity = Field("info", description="Only notifications this severe or more")
    timeout: Duration = 10.0
    retry: RetrySettings = RetrySettings()


OneNotifier = Annotated[SlackNotifier | PagerDutyNotifier | WebhookNotifier, Field(discriminator="kind")]


class RoutedNotifier(Section):
    """Several notifiers, each taking the severities it is set for (page on critical, Slack for the rest)."""

    kind: Literal["routed"]
    notifiers: list[OneNotifier] = Field(min_length=1, description="Each with its kind and min_severity")


REAL_KINDS = ("route53", "oci_dns", "split", "cloud", "rclone", "oci_lb", "slack", "pagerduty", "webhook", "routed")
