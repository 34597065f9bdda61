"""The tenant migration matrix: CSV in, validated tenant specs out.

Parsing is all-or-nothing: every bad cell is reported (row, column, value, what
is allowed) and then nothing is returned, so an import lands whole or not at all.
Row numbers are the spreadsheet's: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import re
from dataclasses import dataclass, fields
from dataclasses import field as dataclass_field
from typing import Any

from cutover.config.dns_names import SEPARATOR, parse_extra_names
from cutover.config.text import control_in
from cutover.config.units import parse_duration, parse_size

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
# No tenant is larger: a bigger size is a typo (a unit too many) and would overflow the store.
LARGEST_SIZE = 10 * PB
# No cell of a matrix needs more; a bigger one is a wrong file or a quote never closed.
LARGEST_CELL = 4096


def wave_for_size(size_bytes: int) -> int:
    """The runbook's bands: < 10 GB wave 1, 10-100 GB wave 2, 100 GB-1 TB wave 3, > 1 TB wave 4."""
    if size_bytes < 10 * GB:
        return 1
    if size_bytes < 100 * GB:
        return 2
    if size_bytes <= TB:
        return 3
    return 4


@dataclass(frozen=True)
class TenantSpec:
    """One tenant as the matrix describes it: the fields an import may set."""

    tenant_id: str
    size_bytes: int
    tier: str
    dns_name: str
    wave: int
    wave_derived: bool = False
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

    def matrix_fields(self) -> dict[str, Any]:
        """The columns an import writes to the store (everything but bookkeeping)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "wave_derived"}


# Column name (normalised) -> field. Normalised means lower case with every run of
# spaces and punctuation turned into one underscore.
_COLUMNS: dict[str, tuple[str, ...]] = {
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
_ALIASES = {alias: field for field, aliases in _COLUMNS.items() for alias in aliases}
REQUIRED_COLUMNS = ("tenant_id", "size", "tier", "dns_name")
_DISPLAY = {"tenant_id": "Tenant ID", "size": "Size", "tier": "SLA", "dns_name": "DNS name"}

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


class MatrixError(Exception):
    """The matrix cannot be imported; `problems` has one complete line per bad cell."""

    def __init__(self, source: str, problems: list[str]):
        super().__init__(f"{source}: {len(problems)} problem(s)\n" + "\n".join(problems))
        self.source = source
        self.problems = problems


@dataclass(frozen=True)
class ParsedMatrix:
    source: str
    tenants: tuple[TenantSpec, ...]
    ignored_columns: tuple[str, ...]
    # The TenantSpec fields the file has a column for (a re-import keeps the others as stored),
    # the header text of each, and each tenant's row: for messages that point into the file.
    present: frozenset[str] = frozenset()
    column_names: dict[str, str] = dataclass_field(default_factory=dict)
    rows: dict[str, int] = dataclass_field(default_factory=dict)

    def where(self, tenant_id: str, spec_field: str) -> str:
        """ "matrix.csv row 7 (T-0007), column 'DNS name'" for messages about a cell."""
        column = self.column_names.get(spec_field, spec_field)
        return f"{self.source} row {self.rows.get(tenant_id, '?')} ({tenant_id}), column {column!r}"


def normalise_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def parse_matrix(text: str, source: str = "matrix") -> ParsedMatrix:
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise MatrixError(source, [f"{source}: the file is empty; the first row must name the columns"])
    rows = _records(text, source)
    header = rows[0]
    problems = _cell_problems(header, header, 1, source)
    if problems:
        raise MatrixError(source, problems)
    columns, ignored, problems = _map_header(header, source)
    if problems:
        raise MatrixError(source, problems)

    specs: list[TenantSpec] = []
    first_row_of: dict[str, int] = {}
    first_dns_of: dict[str, int] = {}
    rows_of: dict[str, int] = {}
    row_number = 1
    for cells in rows[1:]:
        row_number += 1
        if not any(cell.strip() for cell in cells):
            continue
        cell_problems = _cell_problems(cells, header, row_number, source)
        if cell_problems:
            problems += cell_problems
            continue
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
            problems.append(
                f"{source} row {row_number}: has {len(cells)} cells but the header names {len(header)} columns; "
                "quote values that contain commas"
            )
            continue
        values = {field: (cells[index].strip() if index < len(cells) else "") for field, index in columns.items()}
        spec, row_problems = _parse_row(values, row_number, source, header, columns)
        key = values["tenant_id"].upper()
        if key and key in first_row_of:
            row_problems.insert(
                0,
                _problem(
                    source,
                    row_number,
                    "",
                    header[columns["tenant_id"]],
                    values["tenant_id"],
                    f"is a duplicate tenant ID, first seen in row {first_row_of[key]}; each tenant appears once",
                ),
            )
        elif key:
            first_row_of[key] = row_number
        if spec is not None:
            for extra in (e for e in spec.extra_dns_names.split(SEPARATOR) if e):
                extra_name = extra.partition("@")[0]
                if extra_name in first_dns_of:
                    row_problems.append(
                        _problem(
                            source,
                            row_number,
                            spec.tenant_id,
                            header[columns["extra_dns_names"]],
                            extra_name,
                            f"is also a DNS name of row {first_dns_of[extra_name]}; a name belongs to one tenant "
                            "(a flip of one would move the other): remove it from one of the rows",
                        )
                    )
            if spec.dns_name in first_dns_of:
                row_problems.append(
                    _problem(
                        source,
                        row_number,
                        spec.tenant_id,
                        header[columns["dns_name"]],
                        values["dns_name"],
                        f"is also the DNS name in row {first_dns_of[spec.dns_name]}; each tenant needs its own name "
                        "(a flip of one would move both)",
                    )
                )
            else:
                first_dns_of[spec.dns_name] = row_number
            if not row_problems:
                for extra in (e for e in spec.extra_dns_names.split(SEPARATOR) if e):
                    first_dns_of.setdefault(extra.partition("@")[0], row_number)
        problems += row_problems
        if spec is not None and not row_problems:
            specs.append(spec)
            rows_of[spec.tenant_id] = row_number
    if problems:
        raise MatrixError(source, problems)
    if not specs:
        raise MatrixError(source, [f"{source}: the header is there but no tenant rows follow"])
    spec_field = {"size": "size_bytes"}
    return ParsedMatrix(
        source=source,
        tenants=tuple(specs),
        ignored_columns=tuple(ignored),
        present=frozenset(spec_field.get(name, name) for name in columns),
        column_names={spec_field.get(name, name): header[index].strip() for name, index in columns.items()},
        rows=rows_of,
    )


class _Comma(csv.excel):
    strict = True  # a stray quote is an error, never a silent merge of cells


class _Tab(csv.excel_tab):
    strict = True


class _Semicolon(csv.excel):
    delimiter = ";"
    strict = True


def _dialect(text: str) -> type[csv.Dialect]:
    first_line = text.split("\n", 1)[0]
    if "," not in first_line and "\t" in first_line:
        return _Tab
    if "," not in first_line and ";" in first_line:
        return _Semicolon
    return _Comma


def _records(text: str, source: str) -> list[list[str]]:
    """Every record of the file, or MatrixError naming the line where the quoting breaks."""
    reader = csv.reader(io.StringIO(text, newline=""), dialect=_dialect(text))
    records: list[list[str]] = []
    while True:
        starts_on = reader.line_num + 1
        try:
            records.append(next(reader))
        except StopIteration:
            return records
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                why = f"a cell is far longer than the {LARGEST_CELL} characters a cell may hold; is this the matrix?"
            else:
                why = (
                    f"the quoting is broken ({exc}): a quote opened on line {starts_on} is never closed, or text "
                    'follows a closing quote; close the quote, or write a quote inside a quoted cell as ""'
                )
            raise MatrixError(source, [f"{source} line {starts_on}: {why}; nothing was imported"]) from None


def _cell_problems(cells: list[str], header: list[str], row: int, source: str) -> list[str]:
    """Cells no tenant field may hold: too long, spanning lines, or carrying terminal controls."""
    problems: list[str] = []
    for index, cell in enumerate(cells):
        column = header[index] if index < len(header) else f"#{index + 1}"
        if len(cell) > LARGEST_CELL:
            message = f"is {len(cell):,} characters long; a cell holds at most {LARGEST_CELL:,}"
        elif "\n" in cell or "\r" in cell:
            message = (
                "spans several lines: a quote opened in this cell is closed only further down, so the rows "
                "between would be lost; close the quote on its own line, or remove the line break"
            )
        elif (control := control_in(cell)) is not None:
            message = f"holds the control character {control}, which a terminal would obey; remove it"
        else:
            continue
        problems.append(_problem(source, row, "", column, cell, message))
    return problems


def _map_header(header: list[str], source: str) -> tuple[dict[str, int], list[str], list[str]]:
    columns: dict[str, int] = {}
    ignored: list[str] = []
    problems: list[str] = []
    for index, raw in enumerate(header):
        field = _ALIASES.get(normalise_header(raw))
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
    missing = [_DISPLAY[field] for field in REQUIRED_COLUMNS if field not in columns]
    if missing:
        problems.append(
            f"{source} row 1: no {', '.join(repr(m) for m in missing)} column; the matrix needs "
            f"{', '.join(_DISPLAY[f] for f in REQUIRED_COLUMNS)} (found: {', '.join(h.strip() for h in header)})"
        )
    return columns, ignored, problems


def _problem(source: str, row: int, tenant: str, column: str, value: str, message: str) -> str:
    who = f" ({tenant})" if tenant else ""
    shown = repr(value) if len(value) <= 60 else f"{value[:40]!r}..."
    return f"{source} row {row}{who}, column {column.strip()[:60]!r}: {shown} {message}"


def _parse_row(
    values: dict[str, str], row: int, source: str, header: list[str], columns: dict[str, int]
) -> tuple[TenantSpec | None, list[str]]:
    problems: list[str] = []
    tenant = values.get("tenant_id", "")

    def bad(field: str, message: str) -> None:
        problems.append(
            _problem(
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
