"""Settings of the real providers, one model per `kind` of each role.

The configuration chooses, per role, what serves it: the built-in simulation or a
real cloud. Nothing here is a credential. AWS credentials come from the standard
chain (a named profile, the environment, the instance role); OCI's from a config
file profile or instance principals; SSH keys from the agent or named key files;
the Slack webhook URL from an environment variable whose *name* is configured.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from cutover.config.ranges import Duration, PositiveFinite
from cutover.config.secrets import SECRET_KEY, credential_in_url, looks_secret, secret_keys


# CUTOVER_* variables are configuration overrides; a secret lives in a variable of its own.
def _env_name(value: object) -> object:
    if isinstance(value, str):
        if looks_secret(value) or "://" in value:
            raise ValueError(
                "this looks like the secret itself (a URL or a key): write the NAME of the environment variable "
                "that holds it, like SLACK_WEBHOOK_URL, and put the value in that variable"
            )
        if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", value):
            raise ValueError("an environment variable name is upper case letters, digits and _, like SLACK_WEBHOOK_URL")
        if value.startswith("CUTOVER_"):
            raise ValueError("CUTOVER_* variables override the configuration; keep the secret in another variable")
    return value


EnvName = Annotated[str, BeforeValidator(_env_name)]


def _url_without_login(advice: str) -> AfterValidator:
    def check(url: str | None) -> str | None:
        if url is not None and credential_in_url(url):
            raise ValueError(f"a login (user:password@) inside the URL is refused; {advice}")
        return url

    return AfterValidator(check)


_CREDENTIAL_CHAIN = "credentials come from the profile or the cloud's credential chain, never the URL"
EndpointUrl = Annotated[str | None, _url_without_login(_CREDENTIAL_CHAIN)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- shared pieces ------------------------------------------------------------------


class RetrySettings(Section):
    """How a call that failed for a passing reason (throttling, 5xx, a timeout) is retried."""

    attempts: int = Field(5, ge=1, le=20, description="Tries in all, the first included")
    base_delay: Duration = Field(0.25, description="Wait before the first retry; doubles each time, with jitter")
    max_delay: Duration = Field(8.0, description="Longest wait between two tries")
    deadline: Duration = Field(60.0, description="Stop retrying once this long has passed since the first try")


def _aws_region(value: str) -> str:
    if not re.fullmatch(r"[a-z]{2}(-[a-z0-9]+)+-\d+", value):
        raise ValueError("an AWS region looks like eu-west-1; leave it out to use AWS_REGION or the profile's region")
    return value


AwsRegion = Annotated[str, AfterValidator(_aws_region)]


class AwsAccess(Section):
    """Where and as whom to call AWS. Credentials: the profile, else the standard chain."""

    profile: str | None = Field(None, description="A profile in ~/.aws/config; empty: environment or instance role")
    region: AwsRegion | None = Field(
        None, description="Empty: AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region"
    )
    endpoint_url: EndpointUrl = Field(None, description="Another endpoint (a VPC endpoint, or the lab's moto)")
    connect_timeout: Duration = 5.0
    read_timeout: Duration = 20.0


def configured_region(access: AwsAccess, environ: Mapping[str, str]) -> str | None:
    """The region the configuration or AWS_REGION names. None lets botocore go on down its own chain
    (AWS_DEFAULT_REGION, then the profile's region); botocore does not read AWS_REGION, which the
    AWS CLI v2 and the other SDKs put first."""
    return access.region or environ.get("AWS_REGION") or None


def effective_aws_region(access: AwsAccess, environ: Mapping[str, str]) -> tuple[str | None, str]:
    """(region, where it comes from) as the AWS clients will find it, for `cutover config check`.
    The profile's region is read from the AWS config file as botocore reads it."""
    region = configured_region(access, environ)
    if region:
        return region, "the configuration" if access.region else "AWS_REGION"
    if environ.get("AWS_DEFAULT_REGION"):
        return environ["AWS_DEFAULT_REGION"], "AWS_DEFAULT_REGION"
    profile = aws_profile(access, environ)
    path = Path(environ.get("AWS_CONFIG_FILE") or "~/.aws/config").expanduser()
    parser = configparser.RawConfigParser()
    try:
        parser.read(path)
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None, f"{path} could not be read"
    for section in (f"profile {profile}", *(("default",) if profile == "default" else ())):
        if parser.has_option(section, "region"):
            return parser.get(section, "region"), f"profile {profile!r} in {path}"
    return None, f"neither AWS_REGION, AWS_DEFAULT_REGION nor profile {profile!r} in {path} names one"


def aws_profile(access: AwsAccess, environ: Mapping[str, str]) -> str:
    """The AWS profile the clients use: the configured one, else AWS_PROFILE, else default."""
    return access.profile or environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE") or "default"


def aws_sections(node: object, prefix: str = "providers") -> Iterator[tuple[str, AwsAccess]]:
    """Every AwsAccess in a settings tree, with its key path (providers.metrics.aws.aws)."""
    if isinstance(node, AwsAccess):
        yield prefix, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from aws_sections(getattr(node, name), f"{prefix}.{name}")


class OciAccess(Section):
    """Where and as whom to call OCI: a config-file profile (an API key, or a session made by
    `oci session authenticate`), instance principals or resource principals."""

    auth: Literal["config_file", "security_token", "instance_principal", "resource_principal"] = Field(
        "config_file",
        description="config_file: the profile's API key, or its session token when it has security_token_file "
        "and no user; security_token: the profile's session token only; instance_principal; resource_principal "
        "(the OCI_RESOURCE_PRINCIPAL_* environment of OCI Functions and other resources)",
    )
    config_file: Path = Field(
        Path("~/.oci/config"), description="The OCI config file (auth = config_file or security_token)"
    )
    profile: str = Field("DEFAULT", description="The profile in that file")
    region: str | None = Field(None, description="Overrides the profile's region, like us-ashburn-1")
    endpoint: EndpointUrl = Field(None, description="Another service endpoint (the lab's local OCI)")
    timeout: Duration = Field(20.0, description="Connect and read timeout of each call")


_JUMP = r"(?:[^@\s,/]+@)?(?:\[[0-9a-fA-F:.]+\]|[^@\s,:/\[\]]+)(?::\d{1,5})?"


def _proxy_jump(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(rf"{_JUMP}(?:,{_JUMP})*", value.strip()):
        raise ValueError(
            "a bastion is written [user@]host[:port], like migration@bastion.example.com:22; "
            "several hops: comma-separated, the first one first"
        )
    return value.strip() if value is not None else None


class SshTarget(Section):
    """A host reached over SSH. Keys come from the agent or the named files, never from here.

    By default ~/.ssh/config is not read: the configuration says everything, so a jump host's own
    SSH setup cannot change what cutover does. A war room that reaches its hosts through a bastion
    says so: `proxy_jump`, or `ssh_config` to take Host/HostName/User/Port/IdentityFile/ProxyJump
    from an OpenSSH config file. Host keys of every hop are checked against `known_hosts`."""

    host: str = Field(min_length=1)
    port: int | None = Field(
        None, ge=1, le=65535, description="Empty: 22, or the ssh config's Port when ssh_config is on"
    )
    user: str | None = Field(
        None, min_length=1, description="Needed unless ssh_config is on (then: the config's User, else yours)"
    )
    known_hosts: Path = Field(
        Path("~/.ssh/known_hosts"), description="Host keys to trust, of the host and of every bastion"
    )
    client_keys: tuple[Path, ...] = Field(
        (), description="Private key files; empty: the SSH agent's keys and the default ones (~/.ssh/id_*)"
    )
    use_agent: bool = Field(True, description="Offer the SSH agent's keys")
    ssh_config: bool | Path = Field(
        False,
        description="Read an OpenSSH config file for this host: true for ~/.ssh/config, or its path; "
        "false: nothing from ~/.ssh but known_hosts",
    )
    proxy_jump: Annotated[str | None, AfterValidator(_proxy_jump)] = Field(
        None, description="Reach the host through this bastion: [user@]host[:port], several comma-separated"
    )
    connect_timeout: Duration = 10.0
    command_timeout: Duration = 60.0

    @model_validator(mode="after")
    def _user_from_somewhere(self) -> SshTarget:
        if self.user is None and self.ssh_config is False:
            raise ValueError("user: set the SSH user, or ssh_config = true to take it from ~/.ssh/config")
        return self

    @property
    def ssh_config_path(self) -> Path | None:
        """The OpenSSH config file to read, if any."""
        if self.ssh_config is False:
            return None
        return Path("~/.ssh/config") if self.ssh_config is True else Path(self.ssh_config)


_PLACEHOLDERS = {"tenant_id": "T-0042", "tenant_lower": "t-0042", "dns_label": "tenant42", "name": "Acme"}


def _check_pattern(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        value.format(**_PLACEHOLDERS)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"unknown placeholder {exc}: use {{tenant_id}}, {{tenant_lower}}, {{dns_label}} or {{name}}"
        ) from None
    return value


TenantPattern = Annotated[str, BeforeValidator(_check_pattern)]
"""A per-tenant name pattern: {tenant_id}, {tenant_lower}, {dns_label} or {name} are filled in."""


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
        _url_without_login(
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


def fill_pattern(pattern: str, *, tenant_id: str, dns_name: str, name: str) -> str:
    """A configured pattern with a tenant's values put in."""
    return pattern.format(
        tenant_id=tenant_id, tenant_lower=tenant_id.lower(), dns_label=dns_name.split(".", 1)[0], name=name
    )
