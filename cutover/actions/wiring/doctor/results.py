"""What `cutover doctor` finds: one result per check, each ok, warn or fail, with the fix for a failure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

SCHEMA = "cutover.doctor/1"


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    """One thing checked: `name` says what (the part: "dns: route53 zone lab.example.com"), `detail` what
    was found, `fix` what to do about a warning or a failure."""

    name: str
    status: Status
    detail: str
    fix: str = ""
    took_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "detail": self.detail,
            "fix": self.fix,
            "took_s": round(self.took_s, 3),
        }


def ok(name: str, detail: str) -> Check:
    return Check(name, Status.OK, detail)


def warn(name: str, detail: str, fix: str = "") -> Check:
    return Check(name, Status.WARN, detail, fix)


def failed(name: str, detail: str, fix: str) -> Check:
    return Check(name, Status.FAIL, detail, fix)


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]
    config_file: str | None

    @property
    def ok(self) -> bool:
        """No failure; warnings are allowed."""
        return not any(check.status is Status.FAIL for check in self.checks)

    def count(self, status: Status) -> int:
        return sum(1 for check in self.checks if check.status is status)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "ok": self.ok,
            "config_file": self.config_file,
            "checks": [check.to_json() for check in self.checks],
        }


def report(checks: Sequence[Check], config_file: str | None) -> Report:
    return Report(tuple(checks), config_file)
