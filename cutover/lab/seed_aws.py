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


def seed_target_groups(
    endpoint_url: str, tenants: list[LabTenant], targets: int = 3, region: str = "us-east-1"
) -> dict[str, dict[str, Any]]:
    """An ALB target group per tenant with `targets` running instances registered (all healthy), on one
    application load balancer. moto makes each group's id: every tenant's `target_group` in the list is
    replaced, in place, by the `targetgroup/NAME/ID` moto made (the matrix and the ALB metrics use it).
    Returns tenant id -> {"arn": ..., "instances": [...]}."""
    from dataclasses import replace

    ec2 = aws_client("ec2", endpoint_url, region)
    elbv2 = aws_client("elbv2", endpoint_url, region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{index}.0/24", AvailabilityZone=f"{region}{zone}")["Subnet"][
            "SubnetId"
        ]
        for index, zone in enumerate("ab")
    ]
    balancer = elbv2.create_load_balancer(Name="lab-alb", Subnets=subnets, Type="application")
    balancer_arn = balancer["LoadBalancers"][0]["LoadBalancerArn"]
    seeded: dict[str, dict[str, Any]] = {}
    for position, tenant in enumerate(tenants):
        name = tenant.target_group.split("/")[1] if tenant.target_group.count("/") == 2 else tenant.tenant_id.lower()
        existing = _target_group(elbv2, name)  # a second lab on the same moto: the group is there already
        if existing is not None:
            arn = existing
            health = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
            instances = [described["Target"]["Id"] for described in health]
        else:
            group = elbv2.create_target_group(Name=name, Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="instance")
            arn = group["TargetGroups"][0]["TargetGroupArn"]
            started = ec2.run_instances(ImageId="ami-12c6146b", MinCount=targets, MaxCount=targets, SubnetId=subnets[0])
            instances = [instance["InstanceId"] for instance in started["Instances"]]
            elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": i, "Port": 8080} for i in instances])
        if position == 0 and not elbv2.describe_listeners(LoadBalancerArn=balancer_arn)["Listeners"]:
            elbv2.create_listener(
                LoadBalancerArn=balancer_arn,
                Protocol="HTTP",
                Port=80,
                DefaultActions=[{"Type": "forward", "TargetGroupArn": arn}],
            )
        tenants[position] = replace(tenant, target_group=arn.rsplit(":", 1)[-1])
        seeded[tenant.tenant_id] = {"arn": arn, "instances": instances}
    return seeded


def _target_group(elbv2: Any, name: str) -> str | None:
    """The ARN of the target group of that name, if moto has one."""
    from botocore.exceptions import ClientError

    try:
        return elbv2.describe_target_groups(Names=[name])["TargetGroups"][0]["TargetGroupArn"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "TargetGroupNotFound":
            return None
        raise
