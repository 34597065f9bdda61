"""The lab's customers: each minute, their requests published to CloudWatch and OCI Monitoring,
split between the clouds as the records in moto's Route 53 route them (as resolvers would follow)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from cutover.lab.fleet import LabTenant
from cutover.lab.oci_world import OciWorld
from cutover.lab.seed_aws import aws_client, put_alb_metrics


@dataclass
class TrafficFeeder:
    moto_url: str
    zone_id: str
    oci_world: OciWorld
    tenants: list[LabTenant]
    requests: float = 1200.0  # a tenant's requests a minute, both clouds together
    error_rate: float = 0.001
    aws_p95_s: float = 0.8
    oci_p95_ms: float = 640.0
    _fed: set[float] = field(default_factory=set)

    def shares(self) -> dict[str, float]:
        """Each tenant's OCI share as its records in moto say."""
        route53 = aws_client("route53", self.moto_url)
        by_name: dict[str, list[dict[str, Any]]] = {}
        for page in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=self.zone_id):
            for record in page["ResourceRecordSets"]:
                by_name.setdefault(record["Name"].rstrip("."), []).append(record)
        shares: dict[str, float] = {}
        for tenant in self.tenants:
            total = oci = 0.0
            for record in by_name.get(tenant.dns_name, []):
                weight = float(record.get("Weight", 1))
                total += weight
                oci += weight if tenant.oci_target in [v["Value"] for v in record.get("ResourceRecords", [])] else 0.0
            shares[tenant.tenant_id] = oci / total if total else 0.0
        return shares

    def feed(self, now: float) -> None:
        """The last whole minute before `now`, once: a load balancer publishes a minute once, and a
        second datapoint would add to the first."""
        minute = now - now % 60 - 60
        if minute in self._fed:
            return
        self._fed.add(minute)
        shares = self.shares()
        at = dt.datetime.fromtimestamp(minute, dt.UTC)
        by_share: dict[float, list[LabTenant]] = {}
        for tenant in self.tenants:
            by_share.setdefault(round(shares[tenant.tenant_id], 3), []).append(tenant)
        for share, group in by_share.items():  # one CloudWatch call per share, not per tenant
            aws = self.requests * (1 - share)
            if aws > 0:
                put_alb_metrics(
                    self.moto_url, group, at=at, requests=aws, errors=aws * self.error_rate, p95_s=self.aws_p95_s
                )
        for tenant in self.tenants:
            oci = self.requests * shares[tenant.tenant_id]
            if oci > 0:
                for metric, value in (
                    ("HttpRequests", oci),
                    ("HttpResponses5xx", oci * self.error_rate),
                    ("ResponseTimeHttpHeader", self.oci_p95_ms),
                ):
                    self.oci_world.put_metric(tenant.oci_load_balancer, tenant.backend_set, metric, minute, value)
