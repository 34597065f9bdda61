"""Importing the tenant matrix: parse all, plan, then write all or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cutover.config.matrix import MatrixError, ParsedMatrix, parse_matrix
from cutover.state.tenants import ImportPlan, TenantStore, sha256_text


@dataclass(frozen=True)
class ImportResult:
    plan: ImportPlan
    ignored_columns: tuple[str, ...]
    applied: bool


@dataclass(frozen=True)
class MatrixFile:
    """A matrix read and parsed whole, before any store is opened (a bad file creates nothing)."""

    path: Path
    text: str
    parsed: ParsedMatrix


def read_matrix(path: Path) -> MatrixFile:
    """Raises MatrixError naming every bad row."""
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
    return MatrixFile(path, text, parse_matrix(text, source=path.name))


def import_matrix(tenants: TenantStore, matrix: Path | MatrixFile, *, dry_run: bool = False) -> ImportResult:
    """Raises MatrixError (nothing written) when any row is bad."""
    if not isinstance(matrix, MatrixFile):
        matrix = read_matrix(matrix)
    parsed, source = matrix.parsed, matrix.path.name
    plan = tenants.plan_import(parsed.tenants, source=source)
    if not dry_run and not plan.is_noop:
        tenants.apply_import(plan, parsed.tenants, sha256_text(matrix.text))
    return ImportResult(plan, parsed.ignored_columns, applied=not dry_run and not plan.is_noop)
