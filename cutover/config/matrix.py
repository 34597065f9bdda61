"""The tenant migration matrix: CSV in, validated tenant specs out.

Parsing is all-or-nothing: every bad cell is reported (row, column, value, what
is allowed) and then nothing is returned, so an import lands whole or not at all.
Row numbers are the spreadsheet's: the header is row 1.

This module reads the file (CSV dialects, quoting, cells no field may hold) and checks
across rows (a tenant ID or a DNS name twice); matrix_columns.py maps the header,
matrix_row.py parses one row, tenant_spec.py is what a row becomes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from cutover.config.dns_names import SEPARATOR
from cutover.config.matrix_columns import map_header, problem
from cutover.config.matrix_row import parse_row
from cutover.config.tenant_spec import TenantSpec
from cutover.config.text import control_in

# No cell of a matrix needs more; a bigger one is a wrong file or a quote never closed.
LARGEST_CELL = 4096


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
    columns, ignored, problems = map_header(header, source)
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
        spec, row_problems = parse_row(values, row_number, source, header, columns)
        key = values["tenant_id"].upper()
        if key and key in first_row_of:
            row_problems.insert(
                0,
                problem(
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
                        problem(
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
                    problem(
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
        problems.append(problem(source, row, "", column, cell, message))
    return problems
