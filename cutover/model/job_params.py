"""What a job was asked to do, typed: each kind's parameters, with their defaults from the settings.

A job keeps its parameters in the store as JSON (`Job.params`); the plan writes them through `to_json()` and
the engine reads them back through `read(params, settings)`, so a parameter has one name and one default,
here, and a job written before a parameter existed reads that parameter's default from the settings.
The registry (`model/jobs.py`, `KindSpec.params`) says which class is whose.

What a running job writes for itself (acknowledged stops, resume acknowledgements, step backs, break-glass
overrides added at a resume) is its run's state, not its request: the flows keep it in `JobRun.params`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Self

from cutover.config.settings import Settings

Params = Mapping[str, Any]


class KindParams(ABC):
    """The base of every kind's parameters: read from a stored job (defaults from the settings), written as JSON."""

    @classmethod
    @abstractmethod
    def read(cls, params: Params, settings: Settings) -> Self: ...

    @abstractmethod
    def to_json(self) -> dict[str, Any]: ...


def _overrides(params: Params) -> dict[str, str]:
    return {str(rule): str(why) for rule, why in (params.get("overrides") or {}).items()}


@dataclass(frozen=True)
class CutoverParams(KindParams):
    """A flip's: how long it watches the tenant on OCI, and when the traffic counts as moved."""

    monitor: float
    traffic_timeout: float
    traffic_done_share: float
    window: str = ""  # "01:00-03:00": the window coordinated with the customer (tenant-local); "" the configured
    overrides: Mapping[str, str] = field(default_factory=dict)  # break-glass: rule -> reason

    @classmethod
    def read(cls, params: Params, settings: Settings) -> Self:
        return cls(**cls._fields(params, settings))

    @classmethod
    def _fields(cls, params: Params, settings: Settings) -> dict[str, Any]:
        batch = settings.batch
        return {
            "monitor": float(params.get("monitor", batch.monitor)),
            "traffic_timeout": float(params.get("traffic_timeout", batch.traffic_timeout)),
            "traffic_done_share": float(params.get("traffic_done_share", batch.traffic_done_share)),
            "window": str(params.get("window") or ""),
            "overrides": _overrides(params),
        }

    def to_json(self) -> dict[str, Any]:
        fields = asdict(self)
        return {key: list(value) if isinstance(value, tuple) else value for key, value in fields.items()}


@dataclass(frozen=True)
class RampParams(CutoverParams):
    """A ramp's: its stages (percent on OCI), the hold at each, and the figures that pause it."""

    stages: tuple[int, ...] = ()
    hold: float = 0.0
    max_error_rate: float = 0.0
    max_p95_ratio: float = 0.0

    @classmethod
    def _fields(cls, params: Params, settings: Settings) -> dict[str, Any]:
        ramp = settings.ramp
        return super()._fields(params, settings) | {
            "stages": tuple(int(p) for p in params.get("stages") or ramp.stages),
            "hold": float(params.get("hold", ramp.hold)),
            "max_error_rate": float(params.get("max_error_rate", ramp.max_error_rate)),
            "max_p95_ratio": float(params.get("max_p95_ratio", ramp.max_p95_ratio)),
        }


@dataclass(frozen=True)
class BatchParams(CutoverParams):
    """A batch's: its groups as planned, their cadence, and what the plan showed (expected times, waits)."""

    group_size: int = 0
    interval: float = 0.0
    count: int = 0
    wave: int | None = None
    groups: tuple[tuple[str, ...], ...] = ()
    rehydrate: tuple[bool, ...] = ()  # per group: will it re-hydrate when it starts (as the plan decided)
    expected: tuple[Mapping[str, Any], ...] = ()  # per group: its expected times (batch_schedule.GroupTimes)
    waits_for_room: bool = True
    waits: tuple[str, ...] = ()  # what the batch will wait for, in words
    not_before: float | None = None  # it waits for its window to open
    timezone: str = ""  # the zone its times are shown in

    @classmethod
    def _fields(cls, params: Params, settings: Settings) -> dict[str, Any]:
        batch = settings.batch
        groups = tuple(tuple(str(tid) for tid in group) for group in params.get("groups") or ())
        not_before = params.get("not_before")
        return super()._fields(params, settings) | {
            "group_size": int(params.get("group_size", batch.group_size)),
            "interval": float(params.get("interval", batch.interval)),
            "count": int(params.get("count", batch.count)),
            "wave": params.get("wave"),
            "groups": groups,
            "rehydrate": tuple(bool(r) for r in params.get("rehydrate") or (True,) * len(groups)),
            "expected": tuple(params.get("expected") or ()),
            "waits_for_room": bool(params.get("waits_for_room", True)),
            "waits": tuple(str(w) for w in params.get("waits") or ()),
            "not_before": float(not_before) if not_before else None,
            "timezone": str(params.get("timezone") or ""),
        }

    def to_json(self) -> dict[str, Any]:
        return super().to_json() | {
            "groups": [list(group) for group in self.groups],
            "expected": [dict(times) for times in self.expected],
        }


@dataclass(frozen=True)
class RollbackParams(KindParams):
    """A rollback's: when it was decided (its recovery time counts from there), and what decided it: the
    ramp it ends (an abort or a breach) or the trigger that fired (its rule, value and message)."""

    decided_at: float | None = None
    aborted: str = ""
    trigger: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, params: Params, settings: Settings) -> Self:
        decided = params.get("decided_at")
        return cls(
            float(decided) if decided else None, str(params.get("aborted") or ""), dict(params.get("trigger") or {})
        )

    def to_json(self) -> dict[str, Any]:
        found = {"aborted": self.aborted, "trigger": dict(self.trigger)}
        return {"decided_at": self.decided_at} | {key: value for key, value in found.items() if value}


SYNC_MODES = ("start", "final", "verify")


@dataclass(frozen=True)
class SyncParams(KindParams):
    """A sync's mode: `start` the initial copy, `final` a final sync and its verification, `verify` alone."""

    mode: str = "start"

    @classmethod
    def read(cls, params: Params, settings: Settings) -> Self:
        return cls(str(params.get("mode") or "start"))

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode}


@dataclass(frozen=True)
class DecommissionParams(KindParams):
    """A decommission's break-glass overrides (rule -> reason)."""

    overrides: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, params: Params, settings: Settings) -> Self:
        return cls(_overrides(params))

    def to_json(self) -> dict[str, Any]:
        return {"overrides": dict(self.overrides)}


@dataclass(frozen=True)
class NoParams(KindParams):
    """A kind asked nothing beyond its tenants (validate, lower-ttl)."""

    @classmethod
    def read(cls, params: Params, settings: Settings) -> Self:
        return cls()

    def to_json(self) -> dict[str, Any]:
        return {}
