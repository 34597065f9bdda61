"""One matrix row -> one TenantSpec, or every problem with its cells (each naming row, column, value and
what is allowed). Cross-row checks (duplicate IDs and names) are parse_matrix's (config/matrix.py)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from cutover.config.dns_names import SEPARATOR, parse_extra_names
from cutover.config.matrix_columns import normalise_header, problem
from cutover.config.tenant_spec import COMPLEXITIES, CRITICALITIES, PB, TIERS, TenantSpec, wave_for_size
from cutover.config.units import parse_duration, parse_size

# No tenant is larger: a bigger size is a typo (a unit too many) and would overflow the store.
LARGEST_SIZE = 10 * PB

_TENANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_REGION = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")
_BUCKET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$")
# CloudWatch dimension values; an ARN is accepted and cut down to them.
_ALB_DIMENSION = re.compile(
    r"^(?:arn:aws[a-z-]*:elasticloadbalancing:[^:]*:\d*:loadbalancer/)?(app/[A-Za-z0-9-]{1,32}/[0-9a-f]{16})$"
)
_TG_DIMENSION = re.compile(
    r"^(?:arn:aws[a-z-]*:elasticloadbalancing:[^:]*:\d*:)?(targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]{16})$"
)
_OCI_LB_OCID = re.compile(r"^ocid1\.loadbalancer\.[a-z0-9-]+\.[a-z0-9-]*\.[a-z0-9]+$")
_BACKEND_SET = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def parse_row(
    values: dict[str, str], row: int, source: str, header: list[str], columns: dict[str, int]
) -> tuple[TenantSpec | None, list[str]]:
    problems: list[str] = []
    tenant = values.get("tenant_id", "")

    def bad(field: str, message: str) -> None:
        problems.append(
            problem(
                source,
                row,
                tenant if field != "tenant_id" else "",
                header[columns[field]],
                values.get(field, ""),
                message,
            )
        )

    if not tenant:
        bad("tenant_id", "is blank: every row needs a tenant ID")
    elif not _TENANT_ID.match(tenant):
        bad("tenant_id", "is not a tenant ID: use letters, digits, '.', '_' or '-' (at most 64), like T-0042")

    size_bytes = 0
    try:
        size_bytes = parse_size(values["size"])
    except ValueError as exc:
        bad("size", "is blank: every tenant needs a size" if not values["size"] else str(exc))
    else:
        if size_bytes <= 0:
            bad("size", "is no data: a tenant to migrate has a size above 0, like 500 MB")
            size_bytes = 0
        elif size_bytes > LARGEST_SIZE:
            bad("size", "is more than 10 PB, larger than any tenant: check the number and the unit")
            size_bytes = 0

    tier = TIERS.get(values["tier"].lower())
    if tier is None:
        bad("tier", "is not a known SLA tier: use Standard (Std), Premium (Prem) or Enterprise (Ent)")

    dns_name = values["dns_name"].lower().rstrip(".")
    if not dns_name:
        bad("dns_name", "is blank: every tenant needs the DNS name that will be cut over")
    elif _is_ip(dns_name):
        bad("dns_name", "is an IP address, not a DNS name: write the name customers use, like tenant42.example.com")
    elif (
        len(dns_name) > 253
        or "." not in dns_name
        or not all(_DNS_LABEL.match(p) for p in dns_name.split("."))
        or dns_name.rsplit(".", 1)[1].isdigit()
    ):
        bad("dns_name", "is not a DNS name: write a fully qualified name, like tenant42.example.com")
    else:
        zone_name = _zone_name(values.get("hosted_zone", ""))
        if zone_name and dns_name != zone_name and not dns_name.endswith("." + zone_name):
            bad(
                "dns_name",
                f"is not inside its hosted zone {zone_name}: the record must be a name in that zone, "
                f"like tenant42.{zone_name}, or the zone is wrong",
            )

    wave, wave_derived = 0, False
    raw_wave = values.get("wave", "")
    if raw_wave:
        digits = re.fullmatch(r"(?:wave[\s_-]*)?(\d{1,2})", raw_wave.strip().lower())
        if digits and int(digits.group(1)) >= 1:
            wave = int(digits.group(1))
        else:
            bad("wave", "is not a wave number: write 1 to 99, or leave it blank to derive it from the size")
    elif size_bytes:
        wave, wave_derived = wave_for_size(size_bytes), True

    complexity = _enum(values, "complexity", COMPLEXITIES, "Simple, Standard or Complex", bad)
    criticality = _enum(values, "criticality", CRITICALITIES, "Low, Medium, High or Critical", bad)

    targets: dict[str, str] = {}
    for field in ("aws_target", "oci_target"):
        raw = values.get(field, "")
        if raw:
            try:
                targets[field] = str(ipaddress.ip_address(raw))
            except ValueError:
                bad(field, "is not an IP address: write the load balancer's address, like 129.213.45.67")
    if targets.get("aws_target") and targets.get("aws_target") == targets.get("oci_target"):
        bad("oci_target", "is also the AWS target: a cutover would move nothing; give the OCI load balancer's address")

    region = values.get("region", "").lower()
    if region and not _REGION.match(region):
        bad("region", "is not a region name, like us-east-1 or us-ashburn-1")
    for field in ("aws_bucket", "oci_bucket"):
        raw = values.get(field, "")
        if raw and not _BUCKET.match(raw.removeprefix("s3://").removeprefix("oci://").rstrip("/")):
            bad(field, "is not a bucket name: letters, digits, '.', '_' and '-'")

    cloud_ids = _cloud_ids(values, bad)

    baseline_p95 = _optional_number(values, "baseline_p95_ms", _parse_latency_ms, bad)
    baseline_errors = _optional_number(values, "baseline_error_rate", _parse_rate, bad)

    zone = values.get("hosted_zone", "") or (dns_name.split(".", 1)[1] if "." in dns_name else "")
    extra_names = ""
    if values.get("extra_dns_names", ""):
        parsed, extra_problems = parse_extra_names(values["extra_dns_names"], dns_name, zone)
        for message in extra_problems:
            bad("extra_dns_names", f"is not usable: {message}")
        extra_names = SEPARATOR.join(extra.text() for extra in parsed)

    if problems:
        return None, problems
    return (
        TenantSpec(
            tenant_id=tenant,
            size_bytes=size_bytes,
            tier=tier or "",
            dns_name=dns_name,
            wave=wave,
            wave_derived=wave_derived,
            name=values.get("name", ""),
            complexity=complexity,
            criticality=criticality,
            priority=values.get("priority", ""),
            hosted_zone=zone,
            aws_target=targets.get("aws_target", ""),
            oci_target=targets.get("oci_target", ""),
            region=region,
            aws_bucket=values.get("aws_bucket", "").removeprefix("s3://").rstrip("/"),
            oci_bucket=values.get("oci_bucket", "").removeprefix("oci://").rstrip("/"),
            baseline_p95_ms=baseline_p95,
            baseline_error_rate=baseline_errors,
            extra_dns_names=extra_names,
            **cloud_ids,
        ),
        [],
    )


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _zone_name(zone: str) -> str:
    """The hosted zone as a DNS name, or "" when the column holds an ID (Route 53's Z..., an OCI OCID)."""
    zone = zone.strip().lower().rstrip(".")
    return "" if "." not in zone or zone.startswith("ocid1.") else zone


def _cloud_ids(values: dict[str, str], bad: Any) -> dict[str, str]:
    """The optional per-tenant cloud identifiers, each checked against its cloud's format."""
    ids: dict[str, str] = {}
    raw = values.get("aws_load_balancer", "")
    if raw:
        match = _ALB_DIMENSION.match(raw)
        if match:
            ids["aws_load_balancer"] = match.group(1)
        else:
            bad("aws_load_balancer", "is not an ALB: write its ARN or app/NAME/ID, like app/prod-alb/50dc6c495c0c9188")
    raw = values.get("aws_target_group", "")
    if raw:
        match = _TG_DIMENSION.match(raw)
        if match:
            ids["aws_target_group"] = match.group(1)
        else:
            bad(
                "aws_target_group",
                "is not a target group: write its ARN or targetgroup/NAME/ID, like targetgroup/t-0042/73e2d6bc24d8a067",
            )
    raw = values.get("oci_load_balancer", "")
    if raw:
        if _OCI_LB_OCID.match(raw):
            ids["oci_load_balancer"] = raw
        else:
            bad("oci_load_balancer", "is not a load balancer OCID, like ocid1.loadbalancer.oc1.iad.aaaa...")
    raw = values.get("oci_backend_set", "")
    if raw:
        if _BACKEND_SET.match(raw):
            ids["oci_backend_set"] = raw
        else:
            bad("oci_backend_set", "is not a backend set name: letters, digits, '_' and '-', at most 32")
    return ids


def _enum(values: dict[str, str], field: str, allowed: dict[str, str], words: str, bad: Any) -> str:
    raw = values.get(field, "")
    if not raw:
        return ""
    value = allowed.get(normalise_header(raw)) or allowed.get(normalise_header(raw).replace("_", ""))
    if value is None:
        bad(field, f"is not one of {words}")
        return ""
    return value


def _optional_number(values: dict[str, str], field: str, parse: Any, bad: Any) -> float | None:
    raw = values.get(field, "")
    if not raw:
        return None
    try:
        return parse(raw)
    except ValueError as exc:
        bad(field, str(exc))
        return None


def _parse_latency_ms(raw: str) -> float:
    text = raw.strip().lower()
    try:
        value = float(text) if re.fullmatch(r"\d+(\.\d+)?", text) else parse_duration(text) * 1000
    except ValueError:
        raise ValueError("is not a latency: write milliseconds, like 1200 or 1200ms or 1.2s") from None
    if value <= 0:
        raise ValueError("must be more than 0 ms")
    return value


def _parse_rate(raw: str) -> float:
    text = raw.strip()
    try:
        if text.endswith("%"):
            value = float(text[:-1]) / 100
        else:
            value = float(text)
            if value > 1:
                raise ValueError
    except ValueError:
        raise ValueError("is not an error rate: write a percentage like 0.1% or a fraction like 0.001") from None
    if not 0 <= value <= 1:
        raise ValueError("is not an error rate between 0% and 100%")
    return value
