"""The lab's tenants: a matrix made up on the spot, the same for the same count and zone."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass

from cutover.config.matrix import parse_matrix
from cutover.config.tenant_spec import TenantSpec

HEADER = (
    "tenant_id,name,size,sla,wave,dns_name,hosted_zone,aws_target,oci_target,aws_bucket,oci_bucket,"
    "aws_load_balancer,aws_target_group,oci_load_balancer,oci_backend_set,baseline_p95_ms,baseline_error_rate"
)
TIERS = ("Standard", "Standard", "Standard", "Premium", "Premium", "Enterprise")
SIZES = ("3GB", "8GB", "40GB", "75GB", "300GB", "1.5TB")


@dataclass(frozen=True)
class LabTenant:
    tenant_id: str
    dns_name: str
    aws_target: str
    oci_target: str
    aws_bucket: str
    oci_bucket: str
    load_balancer: str
    target_group: str
    oci_load_balancer: str
    backend_set: str


def lab_tenants(count: int, zone: str = "lab.example.com", oci_target: str = "127.0.0.1") -> list[LabTenant]:
    """`count` tenants. Every OCI target is `oci_target` (the lab's health server answers for
    all of them, by Host header); AWS targets are 10.x addresses nobody contacts."""
    tenants = []
    for number in range(1, count + 1):
        tid = f"T-{number:04d}"
        lower = tid.lower()
        tenants.append(
            LabTenant(
                tenant_id=tid,
                dns_name=f"{lower}.{zone}",
                aws_target=f"10.{1 + number // 65536}.{(number // 256) % 256}.{number % 256}",
                oci_target=oci_target,
                aws_bucket=f"{lower}-data",
                oci_bucket=f"{lower}-data-oci",
                load_balancer="app/lab-alb/50dc6c495c0c9188",
                target_group=f"targetgroup/{lower}/{number:016x}",
                oci_load_balancer=f"ocid1.loadbalancer.oc1.iad.lab{number:06d}",
                backend_set=f"bs-{lower}",
            )
        )
    return tenants


def lab_matrix(tenants: list[LabTenant], zone: str, seed: int = 7) -> str:
    """The tenants as a matrix CSV, the way a team would write one."""
    rng = random.Random(seed)
    out = io.StringIO()
    out.write(HEADER + "\n")
    writer = csv.writer(out, lineterminator="\n")
    for index, tenant in enumerate(tenants):
        writer.writerow(
            [
                tenant.tenant_id,
                f"Lab customer {index + 1}",
                SIZES[index % len(SIZES)],
                TIERS[index % len(TIERS)],
                "",
                tenant.dns_name,
                zone,
                tenant.aws_target,
                tenant.oci_target,
                tenant.aws_bucket,
                tenant.oci_bucket,
                tenant.load_balancer,
                tenant.target_group,
                tenant.oci_load_balancer,
                tenant.backend_set,
                str(rng.choice((900, 1200, 1500))),  # above the lab's 800 ms: a healthy fleet
                "0.1%",
            ]
        )
    return out.getvalue()


def lab_specs(tenants: list[LabTenant], zone: str) -> tuple[TenantSpec, ...]:
    return parse_matrix(lab_matrix(tenants, zone), source="lab-matrix.csv").tenants
