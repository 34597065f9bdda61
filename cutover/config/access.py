"""How to reach the clouds, shared by every real provider's settings: AWS (profile, region, endpoint) and
where its region comes from, OCI (config-file profile, session token or principals), hosts over SSH, retries,
and the environment-variable names that stand for secrets. Nothing here is a credential."""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, model_validator

from cutover.config.ranges import Duration
from cutover.config.secrets import credential_in_url, looks_secret
from cutover.config.section import Section


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


def url_without_login(advice: str) -> AfterValidator:
    """A validator refusing a URL with a login in it; `advice` says where the login goes instead."""

    def check(url: str | None) -> str | None:
        if url is not None and credential_in_url(url):
            raise ValueError(f"a login (user:password@) inside the URL is refused; {advice}")
        return url

    return AfterValidator(check)


_CREDENTIAL_CHAIN = "credentials come from the profile or the cloud's credential chain, never the URL"
EndpointUrl = Annotated[str | None, url_without_login(_CREDENTIAL_CHAIN)]


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
