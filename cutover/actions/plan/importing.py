"""Importing the tenant matrix: parse all, plan, then write all or nothing.

A re-import never moves a tenant's DNS from under a flight: a change to the
record, its zone or its targets while the tenant is in flight or held by a job
would make that job's compare-and-swap (its rollback too) fail. Nor its region
or wave, which decide the war room whose part it is and its window's time zone.
Such tenants are refused; the rest lands only when the operator asks for a
partial import.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from cutover.config.dns_names import split_extra_names
from cutover.config.matrix import MatrixError, ParsedMatrix, parse_matrix
from cutover.model.lifecycle import IN_FLIGHT, DomainError
from cutover.model.tenant import Tenant
from cutover.state.jobs import JobStore
from cutover.state.tenants import ImportPlan, TenantStore, sha256_text

# The fields that say where a tenant's traffic goes.
ROUTING_FIELDS = ("dns_name", "hosted_zone", "aws_target", "oci_target", "extra_dns_names")
# What decides whose a tenant is (config/war_room.py: a war room's part of the fleet) and its window's time zone.
PART_FIELDS = ("region", "wave")


class ImportRefused(DomainError):
    """Tenants whose routing an import may not change now; nothing was written."""

    def __init__(self, refused: dict[str, str]):
        self.refused = refused
        super().__init__("\n".join(refused.values()))


@dataclass(frozen=True)
class ImportResult:
    plan: ImportPlan
    ignored_columns: tuple[str, ...]
    applied: bool
    refused: tuple[str, ...] = ()  # the reasons of tenants left as they were (a partial import)


@dataclass(frozen=True)
class MatrixFile:
    """A matrix read and parsed whole, before any store is opened (a bad file creates nothing)."""

    path: Path
    text: str
    parsed: ParsedMatrix


STDIN_NAME = "stdin"


def read_matrix(path: Path, *, stdin: BinaryIO | None = None) -> MatrixFile:
    """Raises MatrixError naming every bad row. With `stdin`, the matrix is read from it (`cutover import -`)."""
    if stdin is not None:
        return _decoded(Path(STDIN_NAME), stdin.read())
    try:
        return _decoded(path, path.read_bytes())
    except FileNotFoundError:
        raise MatrixError(str(path), [f"{path}: no such file"]) from None
    except IsADirectoryError:
        raise MatrixError(str(path), [f"{path}: is a directory; give the CSV file"]) from None
    except OSError as exc:
        raise MatrixError(str(path), [f"{path}: cannot be read ({exc.strerror})"]) from None


def _decoded(path: Path, data: bytes) -> MatrixFile:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MatrixError(str(path), [f"{path}: byte {exc.start} is not UTF-8; save the file as UTF-8 CSV"]) from None
    return MatrixFile(path, text, parse_matrix(text, source=path.name))


def import_matrix(
    tenants: TenantStore, matrix: Path | MatrixFile, *, dry_run: bool = False, partial: bool = False
) -> ImportResult:
    """Raises MatrixError (bad file) or ImportRefused (tenants in flight, without `partial`); then nothing
    is written. Columns the file lacks keep their stored values."""
    if not isinstance(matrix, MatrixFile):
        matrix = read_matrix(matrix)
    parsed, source = matrix.parsed, matrix.path.name
    # Planned and written in one transaction: no job can take a tenant between the check and the write.
    with tenants.store.write():
        plan = tenants.plan_import(parsed.tenants, source=source, only=parsed.present)
        stored = {tenant.tenant_id: tenant for tenant in tenants.find()}
        _check_unique_names(parsed, stored)
        refused = _refused_in_flight(parsed, plan, stored, JobStore(tenants.store, tenants.events))
        if refused and not partial:
            raise ImportRefused(refused)
        plan = replace(plan, changed=tuple(change for change in plan.changed if change[0] not in refused))
        if not dry_run and not plan.is_noop:
            tenants.apply_import(plan, parsed.tenants, sha256_text(matrix.text))
    applied = not dry_run and not plan.is_noop
    return ImportResult(plan, parsed.ignored_columns, applied=applied, refused=tuple(refused.values()))


def _check_unique_names(parsed: ParsedMatrix, stored: dict[str, Tenant]) -> None:
    """After the import, no two tenants may share a DNS name (their own or an extra one): a flip of one
    would move both."""
    final = {tenant_id: tenant.dns_name for tenant_id, tenant in stored.items()}
    extras = {tenant_id: tenant.extra_dns_names for tenant_id, tenant in stored.items()}
    for spec in parsed.tenants:
        if spec.tenant_id not in stored or "dns_name" in parsed.present:
            final[spec.tenant_id] = spec.dns_name
        if spec.tenant_id not in stored or "extra_dns_names" in parsed.present:
            extras[spec.tenant_id] = spec.extra_dns_names
    holders: dict[str, list[str]] = {}
    for tenant_id, name in final.items():
        holders.setdefault(name, []).append(tenant_id)
    for tenant_id, text in extras.items():
        for extra in split_extra_names(text):
            holders.setdefault(extra.name, []).append(tenant_id)
    problems = []
    for spec in parsed.tenants:
        others = [other for other in holders.get(spec.dns_name, []) if other != spec.tenant_id]
        if others:
            problems.append(
                f"{parsed.where(spec.tenant_id, 'dns_name')}: {spec.dns_name!r} is already the DNS name of "
                f"{', '.join(sorted(others))} in the store; each tenant needs its own name "
                "(a flip of one would move both)"
            )
        for extra in split_extra_names(spec.extra_dns_names):
            others = [other for other in holders.get(extra.name, []) if other != spec.tenant_id]
            if others:
                problems.append(
                    f"{parsed.where(spec.tenant_id, 'extra_dns_names')}: {extra.name!r} is already a DNS name of "
                    f"{', '.join(sorted(others))} in the store; a name belongs to one tenant "
                    "(a flip of one would move the other): remove it from one of them"
                )
    if problems:
        raise MatrixError(parsed.source, problems)


def _refused_in_flight(
    parsed: ParsedMatrix, plan: ImportPlan, stored: dict[str, Tenant], jobs: JobStore
) -> dict[str, str]:
    """Tenant -> why its routing may not change now, for each tenant whose routing the plan changes."""
    moving = {tenant_id: diff for tenant_id, diff in plan.changed if set(diff) & {*ROUTING_FIELDS, *PART_FIELDS}}
    if not moving:
        return {}
    holders = {holder.tenant_id: holder for holder in jobs.lock_holders(list(moving))}
    refused: dict[str, str] = {}
    for tenant_id, diff in moving.items():
        tenant = stored[tenant_id]
        if tenant.lifecycle in IN_FLIGHT:
            why = f"it is {tenant.lifecycle.label}"
        elif tenant_id in holders:
            holder = holders[tenant_id]
            why = f"{holder.job_id} ({holder.kind} by {holder.operator}) holds it"
        else:
            continue
        changed = [name for name in (*ROUTING_FIELDS, *PART_FIELDS) if name in diff]
        consequence = (
            "its job (and any rollback) would no longer find its record"
            if set(changed) & set(ROUTING_FIELDS)
            else "the war room whose part it is, and its migration window's time zone, would change under its job"
        )
        refused[tenant_id] = (
            f"{parsed.where(tenant_id, changed[0])}: would change the {', '.join(changed)} of {tenant_id} while "
            f"{why}; {consequence}. Import it once the tenant has landed or rolled back"
        )
    return refused
