"""The matrix's columns: the header names each field goes by (aliases), the columns a matrix must have,
mapping a header row onto fields, and the one shape of a message pointing at a cell."""

from __future__ import annotations

import re

# Column name (normalised) -> field. Normalised means lower case with every run of
# spaces and punctuation turned into one underscore.
COLUMNS: dict[str, tuple[str, ...]] = {
    "tenant_id": ("tenant_id", "tenant", "id", "tenantid"),
    "size": ("size", "data_size", "size_gb"),
    "tier": ("sla", "sla_tier", "tier"),
    "dns_name": ("dns_name", "dns", "hostname", "fqdn", "record", "dns_record"),
    "wave": ("wave", "wave_number"),
    "name": ("name", "customer", "customer_name", "tenant_name"),
    "complexity": ("complexity", "query_complexity"),
    "criticality": ("criticality", "business_criticality"),
    "priority": ("priority",),
    "hosted_zone": ("hosted_zone", "zone", "hosted_zone_id", "zone_id"),
    "aws_target": ("aws_target", "aws_ip", "aws_alb", "aws_endpoint", "aws_alb_ip"),
    "oci_target": ("oci_target", "oci_ip", "oci_lb", "oci_endpoint", "oci_lb_ip"),
    "region": ("region", "aws_region"),
    "aws_bucket": ("aws_bucket", "s3_bucket"),
    "oci_bucket": ("oci_bucket",),
    "baseline_p95_ms": ("baseline_p95_ms", "baseline_p95", "p95_baseline", "p95_baseline_ms", "baseline_latency_p95"),
    "baseline_error_rate": ("baseline_error_rate", "baseline_errors", "error_rate_baseline", "baseline_error"),
    "aws_load_balancer": ("aws_load_balancer", "alb_load_balancer", "aws_load_balancer_arn"),
    "aws_target_group": ("aws_target_group", "target_group", "aws_target_group_arn"),
    "oci_load_balancer": ("oci_load_balancer", "oci_load_balancer_id", "oci_lb_id"),
    "oci_backend_set": ("oci_backend_set", "backend_set"),
    "extra_dns_names": (
        "extra_dns_names",
        "extra_dns_name",
        "extra_names",
        "extra_dns",
        "additional_dns_names",
        "additional_names",
        "more_dns_names",
        "other_dns_names",
        "dns_aliases",
    ),
}
ALIASES = {alias: field for field, aliases in COLUMNS.items() for alias in aliases}
REQUIRED_COLUMNS = ("tenant_id", "size", "tier", "dns_name")
DISPLAY = {"tenant_id": "Tenant ID", "size": "Size", "tier": "SLA", "dns_name": "DNS name"}


def normalise_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def map_header(header: list[str], source: str) -> tuple[dict[str, int], list[str], list[str]]:
    """Which column holds which field; the columns no field goes by; problems (a field twice, a required one
    missing)."""
    columns: dict[str, int] = {}
    ignored: list[str] = []
    problems: list[str] = []
    for index, raw in enumerate(header):
        field = ALIASES.get(normalise_header(raw))
        if field is None:
            if raw.strip():
                ignored.append(raw.strip())
            continue
        if field in columns:
            problems.append(
                f"{source} row 1: columns {header[columns[field]]!r} and {raw!r} both mean {field}; keep one"
            )
            continue
        columns[field] = index
    missing = [DISPLAY[field] for field in REQUIRED_COLUMNS if field not in columns]
    if missing:
        problems.append(
            f"{source} row 1: no {', '.join(repr(m) for m in missing)} column; the matrix needs "
            f"{', '.join(DISPLAY[f] for f in REQUIRED_COLUMNS)} (found: {', '.join(h.strip() for h in header)})"
        )
    return columns, ignored, problems


def problem(source: str, row: int, tenant: str, column: str, value: str, message: str) -> str:
    """ "matrix.csv row 7 (T-0007), column 'SLA': 'Gold' is not a known SLA tier: ..." (long values cut)."""
    who = f" ({tenant})" if tenant else ""
    shown = repr(value) if len(value) <= 60 else f"{value[:40]!r}..."
    return f"{source} row {row}{who}, column {column.strip()[:60]!r}: {shown} {message}"
