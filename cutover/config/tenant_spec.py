"""A tenant as the migration matrix describes it (`TenantSpec`), and the words its fields allow: SLA tiers,
complexities, criticalities, and the runbook's wave for a size."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

TIERS = {
    "std": "standard",
    "standard": "standard",
    "prem": "premium",
    "premium": "premium",
    "ent": "enterprise",
    "enterprise": "enterprise",
}
COMPLEXITIES = {"simple": "simple", "standard": "standard", "std": "standard", "complex": "complex"}
CRITICALITIES = {
    "low": "low",
    "medium": "medium",
    "med": "medium",
    "high": "high",
    "critical": "critical",
    "mission_critical": "critical",
    "missioncritical": "critical",
}

GB = 10**9
TB = 10**12
PB = 10**15


def wave_for_size(size_bytes: int) -> int:
    """The runbook's bands: < 10 GB wave 1, 10-100 GB wave 2, 100 GB-1 TB wave 3, > 1 TB wave 4."""
    if size_bytes < 10 * GB:
        return 1
    if size_bytes < 100 * GB:
        return 2
    if size_bytes <= TB:
        return 3
    return 4


@dataclass(frozen=True, kw_only=True, slots=True)
class MatrixFields:
    """A tenant's fields that the matrix sets, defined once: a TenantSpec is these (and how its wave was
    found); a Tenant (model/tenant.py) is these plus its lifecycle and what was last observed of it."""

    tenant_id: str
    size_bytes: int
    tier: str
    dns_name: str
    wave: int
    name: str = ""
    complexity: str = ""
    criticality: str = ""
    priority: str = ""
    hosted_zone: str = ""
    aws_target: str = ""
    oci_target: str = ""
    region: str = ""
    aws_bucket: str = ""
    oci_bucket: str = ""
    baseline_p95_ms: float | None = None
    baseline_error_rate: float | None = None
    # Where the real providers find the tenant's metrics and health (optional; config
    # patterns fill them in when absent): ALB and target group dimensions, OCI LB OCID
    # and backend set name.
    aws_load_balancer: str = ""
    aws_target_group: str = ""
    oci_load_balancer: str = ""
    oci_backend_set: str = ""
    # More names moved with `dns_name`, atomically: "api.t42.example.com;x.example.org@example.org" (see dns_names).
    extra_dns_names: str = ""


# The store's columns an import writes, tenant_id first.
MATRIX_FIELDS = tuple(f.name for f in fields(MatrixFields))


@dataclass(frozen=True, kw_only=True, slots=True)
class TenantSpec(MatrixFields):
    """One tenant as the matrix describes it: the fields an import may set."""

    wave_derived: bool = False  # the wave came from the size (the row gave none)

    def matrix_fields(self) -> dict[str, Any]:
        """The columns an import writes to the store (everything but bookkeeping)."""
        return {name: getattr(self, name) for name in MATRIX_FIELDS}
