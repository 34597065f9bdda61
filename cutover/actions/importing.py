"""Importing the tenant matrix: parse all, plan, then write all or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cutover.config.matrix import MatrixError, parse_matrix
from cutover.state.tenants import ImportPlan, TenantStore, sha256_text


@dataclass(frozen=True)
class ImportResult:
    plan: ImportPlan
    ignored_columns: tuple[str, ...]
    applied: bool


def import_matrix(tenants: TenantStore, path: Path, *, dry_run: bool = False) -> ImportResult:
    """Raises MatrixError (nothing written) when any row is bad."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise MatrixError(str(path), [f"{path}: no such file"]) from None
    except IsADirectoryError:
        raise MatrixError(str(path), [f"{path}: is a directory; give the CSV file"]) from None
    except UnicodeDecodeError as exc:
        raise MatrixError(str(path), [f"{path}: byte {exc.start} is not UTF-8; save the file as UTF-8 CSV"]) from None
    except OSError as exc:
        raise MatrixError(str(path), [f"{path}: cannot be read ({exc.strerror})"]) from None
    parsed = parse_matrix(text, source=path.name)
    plan = tenants.plan_import(parsed.tenants, source=path.name)
    if not dry_run and not plan.is_noop:
        tenants.apply_import(plan, parsed.tenants, sha256_text(text))
    return ImportResult(plan, parsed.ignored_columns, applied=not dry_run and not plan.is_noop)
