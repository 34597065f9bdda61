"""Seed moto: a hosted zone with every tenant's record, S3 buckets, and ALB metrics.

Uses boto3 (synchronous, installed with moto): seeding is set-up, not a code path
under test; the providers themselves use aioboto3.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from cutover.lab.fleet import LabTenant


def aws_client(service: str, endpoint_url: str, region: str = "us-east-1") -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id="lab",
        aws_secret_access_key="lab",
    )


def seed_zone(endpoint_url: str, zone: str, tenants: list[LabTenant], ttl: int = 60) -> str:
    """A public hosted zone with a simple A record per tenant pointing at AWS. Returns the zone id."""
    route53 = aws_client("route53", endpoint_url)
    created = route53.create_hosted_zone(Name=zone, CallerReference=f"lab-{zone}")
    zone_id = created["HostedZone"]["Id"].removeprefix("/hostedzone/")
    for start in range(0, len(tenants), 400):
        route53.change_resource_record_sets(
            HostedZoneId=zone_id,
            ChangeBatch={
                "Changes": [
                    {
                        "Action": "CREATE",
                        "ResourceRecordSet": {
                            "Name": tenant.dns_name + ".",
                            "Type": "A",
                            "TTL": ttl,
                            "ResourceRecords": [{"Value": tenant.aws_target}],
                        },
                    }
                    for tenant in tenants[start : start + 400]
                ]
            },
        )
    return zone_id


def object_body(tenant_id: str, index: int) -> bytes:
    return f"{tenant_id} object {index}\n".encode() * (index + 1)


def seed_buckets(endpoint_url: str, tenants: list[LabTenant], objects: int = 5) -> dict[str, dict[str, str]]:
    """A bucket per tenant with `objects` small objects; returns bucket -> {key: md5 hex}."""
    s3 = aws_client("s3", endpoint_url)
    listing: dict[str, dict[str, str]] = {}
    for tenant in tenants:
        s3.create_bucket(Bucket=tenant.aws_bucket)
        listing[tenant.aws_bucket] = {}
        for index in range(objects):
            body = object_body(tenant.tenant_id, index)
            key = f"raw/part-{index:03d}.parquet"
            s3.put_object(Bucket=tenant.aws_bucket, Key=key, Body=body)
            listing[tenant.aws_bucket][key] = hashlib.md5(body).hexdigest()
    return listing


def put_alb_metrics(
    endpoint_url: str,
    tenants: list[LabTenant],
    *,
    at: dt.datetime,
    requests: float,
    errors: float,
    p95_s: float,
    region: str = "us-east-1",
) -> None:
    """One minute of ALB metrics per tenant, as the ALB would publish them (in `region`)."""
    cloudwatch = aws_client("cloudwatch", endpoint_url, region)
    data: list[dict[str, Any]] = []
    for tenant in tenants:
        dims = [
            {"Name": "LoadBalancer", "Value": tenant.load_balancer},
            {"Name": "TargetGroup", "Value": tenant.target_group},
        ]
        data += [
            {"MetricName": "RequestCount", "Dimensions": dims, "Timestamp": at, "Value": requests, "Unit": "Count"},
            {
                "MetricName": "HTTPCode_Target_5XX_Count",
                "Dimensions": dims,
                "Timestamp": at,
                "Value": errors,
                "Unit": "Count",
            },
            {
                "MetricName": "TargetResponseTime",
                "Dimensions": dims,
                "Timestamp": at,
                "Value": p95_s,
                "Unit": "Seconds",
            },
        ]
    for start in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=data[start : start + 1000])
