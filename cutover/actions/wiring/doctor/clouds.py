"""The clouds, each asked once with a read that changes nothing: DNS zones and records, CloudWatch,
OCI Monitoring, OCI load-balancer health, the AWS side's target health, the bucket listings. Answers'
Date headers feed the skew check."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from cutover.actions.wiring.doctor.common import Probe, from_error
from cutover.actions.wiring.doctor.results import Check, ok, warn
from cutover.actions.wiring.doctor.skew import DateSeen

PERMISSIONS = "grant the permissions docs/operations.md lists for this provider to the profile or principal in use"


async def timed(probe: Probe, source: str, call: Callable[[], Awaitable[Any]]) -> Any:
    """`call()`, noting the answer's Date header (an AWS answer's ResponseMetadata, an OCI response's headers)."""
    sent = time.time()
    answer = await call()
    received = time.time()
    headers: Any = {}
    if isinstance(answer, dict):
        headers = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    elif hasattr(answer, "headers"):
        headers = answer.headers
    date = headers.get("date") or headers.get("Date") if headers else None
    if date:
        probe.dates.append(DateSeen(source, str(date), sent, received))
    return answer


def _unreachable(what: str) -> str:
    return (
        f"check that {what} is reachable from this host (network, proxy, firewall) "
        "and its endpoint in the configuration"
    )


# --- DNS -------------------------------------------------------------------------------


def dns_zones(probe: Probe, configured: dict[str, str] | tuple[str, ...]) -> list[str]:
    zones = dict.fromkeys([*configured, *probe.zones()])
    return list(zones)


async def check_route53(probe: Probe, dns: Any, zones: list[str]) -> list[Check]:
    if not zones:
        return [
            warn(
                "dns: route53",
                "no zone to check: none in providers.dns.zones and no tenant names one",
                "import the matrix (its Hosted zone column) or list the zones in providers.dns.zones",
            )
        ]
    checks = []
    for zone in zones:
        name = f"dns: route53 zone {zone}"
        try:
            zone_id = await dns.zone_id(zone)
            answer = await timed(probe, "route53", partial(dns.route53.call, "GetHostedZone", Id=zone_id))
            await dns.route53.call("ListResourceRecordSets", HostedZoneId=zone_id, MaxItems="1")
        except Exception as error:
            checks.append(
                from_error(
                    name,
                    error,
                    unreachable=_unreachable("Route 53"),
                    denied=f"{PERMISSIONS}: route53:GetHostedZone and route53:ListResourceRecordSets on the zone",
                    otherwise="check providers.dns.zones and the matrix's Hosted zone column: the zone id must be "
                    "a hosted zone of the account these credentials reach",
                )
            )
            continue
        zone_info = answer.get("HostedZone", {})
        count = zone_info.get("ResourceRecordSetCount")
        checks.append(
            ok(
                name,
                f"hosted zone {zone_id} ({zone_info.get('Name', '?')}): zone and records readable"
                + (f", {count} record sets" if count is not None else ""),
            )
        )
    return checks


async def check_oci_dns(probe: Probe, dns: Any, zones: list[str]) -> list[Check]:
    if not zones:
        return [warn("dns: oci dns", "no zone to check: no tenant names one", "import the matrix first")]
    scope = {"compartment_id": dns.settings.compartment_id} if dns.settings.compartment_id else {}
    checks = []
    for zone in zones:
        name = f"dns: oci dns zone {zone}"
        try:
            await timed(probe, "oci-dns", partial(dns.dns.call, "get_zone_records", zone, limit=1, **scope))
        except Exception as error:
            checks.append(
                from_error(
                    name,
                    error,
                    unreachable=_unreachable("OCI DNS"),
                    denied=f"{PERMISSIONS}: manage dns-records (get_zone_records) in the zone's compartment",
                    otherwise="check the zone's name or OCID and compartment_id in [providers.dns]",
                )
            )
            continue
        checks.append(ok(name, "zone records readable"))
    return checks


async def check_dns(probe: Probe, dns: Any) -> list[Check]:
    settings = probe.settings.providers.dns
    if settings.kind == "route53":
        return await check_route53(probe, dns, dns_zones(probe, settings.zones))
    if settings.kind == "oci_dns":
        return await check_oci_dns(probe, dns, dns_zones(probe, ()))
    if settings.kind != "split":
        return []  # the simulated fleet's DNS has nothing to reach
    other = {z.lower().rstrip(".") for z in settings.oci_zones}
    zones = dns_zones(probe, settings.route53.zones)
    return [
        *await check_route53(probe, dns.default, [z for z in zones if z.lower().rstrip(".") not in other]),
        *await check_oci_dns(probe, dns.other, sorted(other)),
    ]


# --- metrics ---------------------------------------------------------------------------


async def check_cloudwatch(probe: Probe, side: Any) -> list[Check]:
    name = "metrics: cloudwatch"
    queries = side.queries(probe.sample())[:3]
    end = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    params = {"StartTime": end - dt.timedelta(minutes=5), "EndTime": end}
    if not queries:  # no tenant mapped yet: a query of nothing proves the access all the same
        queries = [
            {
                "Id": "doctor",
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": "RequestCount"},
                    "Period": 60,
                    "Stat": "Sum",
                },
                "ReturnData": True,
            }
        ]
    try:
        answer = await timed(
            probe, "cloudwatch", lambda: side.cloudwatch.call("GetMetricData", MetricDataQueries=queries, **params)
        )
    except Exception as error:
        return [
            from_error(
                name,
                error,
                unreachable=_unreachable("CloudWatch"),
                denied=f"{PERMISSIONS}: cloudwatch:GetMetricData on *",
                otherwise="check [providers.metrics.aws]",
            )
        ]
    points = sum(len(r.get("Values", [])) for r in answer.get("MetricDataResults", []))
    return [ok(name, f"GetMetricData answered ({len(queries)} queries, {points} datapoints in the last 5 min)")]


async def check_oci_monitoring(probe: Probe, side: Any) -> list[Check]:
    name = "metrics: oci monitoring"
    try:
        points = await side.points(probe.sample())
    except Exception as error:
        return [
            from_error(
                name,
                error,
                unreachable=_unreachable("OCI Monitoring"),
                denied=f"{PERMISSIONS}: read metrics in the compartment",
                otherwise=_advice(error, "check [providers.metrics.oci]"),
            )
        ]
    latest = points.latest
    seen = (
        "no datapoints in the last minutes"
        if latest is None
        else "datapoints up to " + time.strftime("%H:%M", time.gmtime(latest)) + " UTC"
    )
    return [ok(name, f"summarize_metrics_data answered (oci_lbaas): {seen}")]


# --- health: load balancers --------------------------------------------------------------


async def check_load_balancers(probe: Probe, health: Any) -> list[Check]:
    name = "health: oci load balancers"
    lb = health.backends_source
    settings = probe.settings.providers.health
    if settings.kind != "oci_lb":
        return []  # the simulated fleet's health has nothing to reach
    compartment = settings.compartment_id
    try:
        answer = await timed(
            probe, "oci-lb", lambda: lb.load_balancer.call("list_load_balancer_healths", compartment, limit=100)
        )
    except Exception as error:
        return [
            from_error(
                name,
                error,
                unreachable=_unreachable("OCI Load Balancing"),
                denied=f"{PERMISSIONS}: read load-balancers in the compartment",
                otherwise="check compartment_id in [providers.health]",
            )
        ]
    statuses = [item.status for item in answer.data or []]
    not_ok = sum(1 for status in statuses if status != "OK")
    more = "+" if answer.headers.get("opc-next-page") else ""
    return [ok(name, f"list_load_balancer_healths answered: {len(statuses)}{more} load balancer(s), {not_ok} not OK")]


async def check_aws_targets(probe: Probe, targets: Any) -> list[Check]:
    """DescribeTargetHealth on the first tenant that names a target group; with none, DescribeTargetGroups."""
    from cutover.providers.aws.elbv2 import counted, target_group_of

    name = "health: aws targets"
    tenant = next((t for t in probe.tenants if target_group_of(t, targets.settings)), None)
    try:
        if tenant is None:
            await timed(probe, "elbv2", lambda: targets.elbv2.call("DescribeTargetGroups", PageSize=1))
        else:
            arn = await targets.arn(tenant)
            answer = await timed(probe, "elbv2", lambda: targets.elbv2.call("DescribeTargetHealth", TargetGroupArn=arn))
    except Exception as error:
        return [
            from_error(
                name,
                error,
                unreachable=_unreachable("Elastic Load Balancing"),
                denied=f"{PERMISSIONS}: elasticloadbalancing:DescribeTargetHealth and "
                "elasticloadbalancing:DescribeTargetGroups",
                otherwise="check the matrix's aws_target_group, or target_group in [providers.health.aws_targets]",
            )
        ]
    if tenant is None:
        return [
            warn(
                name,
                "DescribeTargetGroups answered, but no tenant names a target group to measure",
                "add aws_target_group to the matrix, or set target_group in [providers.health.aws_targets]",
            )
        ]
    found = counted(tenant.tenant_id, answer, time.time(), targets.source)
    return [
        ok(
            name,
            f"DescribeTargetHealth on {target_group_of(tenant, targets.settings)} ({tenant.tenant_id}) answered: "
            f"{found.healthy}/{found.total} targets healthy",
        )
    ]


# --- sync listings ------------------------------------------------------------------------


def _bucket_tenant(probe: Probe) -> Any:
    return next((t for t in probe.tenants if t.aws_bucket and t.oci_bucket), None)


def _no_buckets(name: str) -> list[Check]:
    return [
        warn(
            name,
            "not checked: no tenant with buckets in the store",
            "import the matrix (its AWS bucket and OCI bucket columns)",
        )
    ]


async def check_s3_listing(probe: Probe, s3: Any) -> list[Check]:
    name = "sync: s3 listing"
    tenant = _bucket_tenant(probe)
    if tenant is None:
        return _no_buckets(name)
    try:
        await timed(probe, "s3", lambda: s3.s3.call("ListObjectsV2", Bucket=tenant.aws_bucket, MaxKeys=1))
    except Exception as error:
        return [
            from_error(
                name,
                error,
                unreachable=_unreachable("S3"),
                denied=f"{PERMISSIONS}: s3:ListBucket on the tenants' buckets",
                otherwise=f"check {tenant.tenant_id}'s AWS bucket in the matrix",
            )
        ]
    return [ok(name, f"ListObjectsV2 on {tenant.aws_bucket} ({tenant.tenant_id}) answered")]


async def check_oci_listing(probe: Probe, object_storage: Any) -> list[Check]:
    name = "sync: oci object storage listing"
    tenant = _bucket_tenant(probe)
    if tenant is None:
        return _no_buckets(name)
    try:
        await timed(
            probe,
            "oci-object-storage",
            lambda: object_storage.object_storage.call(
                "list_objects", object_storage.namespace, tenant.oci_bucket, limit=1
            ),
        )
    except Exception as error:
        if getattr(error, "code", "") == "BucketNotFound":  # signed and authorised: the bucket is not made yet
            return [
                ok(
                    name,
                    f"list_objects answered: {tenant.oci_bucket} ({tenant.tenant_id}) does not exist yet; "
                    "rclone makes it at the tenant's first sync",
                )
            ]
        return [
            from_error(
                name,
                error,
                unreachable=_unreachable("OCI Object Storage"),
                denied=f"{PERMISSIONS}: inspect objects and read buckets in the compartment",
                otherwise=f"check namespace in [providers.sync.listings] and {tenant.tenant_id}'s "
                "OCI bucket in the matrix",
            )
        ]
    return [ok(name, f"list_objects on {tenant.oci_bucket} ({tenant.tenant_id}) answered")]


def _advice(error: BaseException, fallback: str) -> str:
    words = str(error)
    return words.rsplit(": ", 1)[1] if words.count(": ") >= 2 else fallback
