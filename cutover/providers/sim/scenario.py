"""Scenario files: timed faults to inject into the simulated fleet (TOML).

    name = "rollback night"
    description = "T-0555's errors spike to 5 % two minutes after its cutover"

    [[fault]]
    kind = "error_spike"
    tenants = ["T-0555"]
    after_cutover = "2m"
    error_rate = 0.05

Each fault names what goes wrong (`kind`), whom it hits (`tenants`, or `wave`
and/or `state` with an optional `count`, or nobody named: every tenant), when
(`at` after the scenario is loaded, or `after_cutover` of each target) and for
how long (`duration`, default: until the world ends). A bad file gets every
problem at once, each naming the file, the key path, the value and what is allowed.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cutover.config.loader import ConfigError
from cutover.config.ranges import Duration, Fraction
from cutover.model.lifecycle import Lifecycle
from cutover.model.tenant import Tenant
from cutover.providers.sim.model import stable_key
from cutover.providers.sim.world import SimWorld

FaultKind = Literal[
    "error_spike",
    "latency_regression",
    "sync_stall",
    "checksum_mismatch",
    "backend_loss",
    "metrics_silent",
    "dns_throttle",
    "dns_slow_propagation",
    "notifier_down",
]
# The parameters each kind takes (beyond targets and timing), with their defaults.
KIND_PARAMS: dict[str, dict[str, Any]] = {
    "error_spike": {"error_rate": 0.05, "side": "oci"},
    "latency_regression": {"factor": 2.5, "side": "oci"},
    "sync_stall": {},
    "checksum_mismatch": {"objects": 3},
    "backend_loss": {"nodes": 1, "side": "oci"},
    "metrics_silent": {"side": "oci"},
    "dns_throttle": {},
    "dns_slow_propagation": {"delay": 300.0},
    "notifier_down": {},
}
_PARAMS = ("error_rate", "side", "factor", "objects", "nodes", "delay")
# Whole-service faults: naming tenants makes no sense for them.
_SERVICE_WIDE = {"notifier_down"}


class ScenarioError(ConfigError):
    """A scenario file that cannot be used; one complete line per problem."""


class FaultSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: FaultKind
    label: str = Field("", description="Shown with the fault; defaults to a description of it")
    # whom
    tenants: tuple[str, ...] | None = Field(None, min_length=1, description="Tenant IDs")
    wave: int | None = Field(None, ge=0, le=99, description="Every tenant of this wave")
    state: Lifecycle | None = Field(None, description="Tenants in this lifecycle state when the scenario loads")
    count: int | None = Field(None, ge=1, description="Only this many of the selected tenants, picked by the seed")
    # when
    at: Duration | None = Field(None, description="Starts this long after the scenario is loaded (default: at once)")
    after_cutover: Duration | None = Field(None, description="Starts this long after each target's cutover")
    duration: Duration | None = Field(None, gt=0, description="Lasts this long (default: until cleared)")
    # what
    error_rate: Fraction | None = None
    side: Literal["aws", "oci", "both"] | None = None
    factor: float | None = Field(None, gt=1, le=100)
    objects: int | None = Field(None, ge=1)
    nodes: int | None = Field(None, ge=1, le=3)
    delay: Duration | None = Field(None, gt=0)

    def params(self) -> dict[str, Any]:
        """The kind's parameters, defaults filled in, in the simulator's units."""
        values = {name: getattr(self, name) if getattr(self, name) is not None else default
                  for name, default in KIND_PARAMS[self.kind].items()}  # fmt: skip
        if "delay" in values:
            values["delay_s"] = values.pop("delay")
        return values

    def describe(self) -> str:
        if self.label:
            return self.label
        whom = (
            ", ".join(self.tenants)
            if self.tenants
            else " ".join(
                part
                for part in (
                    f"{self.count} of" if self.count else "",
                    f"wave {self.wave}" if self.wave is not None else "",
                    f"{self.state.value} tenants" if self.state else ("" if self.wave is not None else "every tenant"),
                )
                if part
            )
        )
        return f"{self.kind.replace('_', ' ')} on {whom}"


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str = ""
    fault: tuple[FaultSpec, ...] = Field(min_length=1, description="The faults, as [[fault]] tables")


SHIPPED = Path(__file__).parent / "scenarios"


def shipped_scenarios() -> dict[str, Path]:
    """The scenarios that come with cutover, by name (the file name without .toml)."""
    return {path.stem: path for path in sorted(SHIPPED.glob("*.toml"))}


def scenario_path(path: Path) -> Path:
    """A file that exists, else the shipped scenario its name names (`rollback-night`,
    or a path such as `scenarios/rollback-night.toml` from a checkout), else the path as given."""
    if path.exists():
        return path
    shipped = shipped_scenarios()
    return shipped.get(path.name.removesuffix(".toml"), path)


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file, or raise ScenarioError listing every problem."""
    path = scenario_path(path)
    label = str(path)
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        names = ", ".join(shipped_scenarios())
        raise ScenarioError(
            [f"{label}: no such scenario file, and no shipped scenario of that name ({names})"]
        ) from None
    except IsADirectoryError:
        raise ScenarioError([f"{label}: is a directory; give the scenario's .toml file"]) from None
    except OSError as exc:
        raise ScenarioError([f"{label}: cannot be read ({exc.strerror})"]) from None
    except UnicodeDecodeError:
        raise ScenarioError([f"{label}: is not UTF-8 text; save it as UTF-8"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([f"{label}: not valid TOML: {exc}"]) from None
    problems: list[str] = []
    scenario = None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        bad_faults = any(e["loc"][:1] == ("fault",) and len(e["loc"]) > 1 for e in errors)
        # pydantic also calls the list too short once its bad items are dropped: noise.
        errors = [e for e in errors if not (bad_faults and e["loc"] == ("fault",) and e["type"] == "too_short")]
        problems += [_describe(error, label, data) for error in errors]
    faults = data.get("fault")
    if isinstance(faults, list):
        for index, fault in enumerate(faults):
            if isinstance(fault, dict):
                problems += [f"{label}: fault[{index}]: {problem}" for problem in _inconsistencies(fault)]
    if problems or scenario is None:
        raise ScenarioError(problems)
    return scenario


def _inconsistencies(fault: dict[str, Any]) -> list[str]:
    """What is wrong with how a fault's keys go together (checked even when a value is bad)."""
    given = {key for key, value in fault.items() if value is not None}
    problems = []
    if {"at", "after_cutover"} <= given:
        problems.append("give `at` or `after_cutover`, not both")
    if "tenants" in given and given & {"wave", "state"}:
        problems.append("name `tenants`, or select by `wave`/`state`, not both")
    if {"count", "tenants"} <= given:
        problems.append("`count` picks among tenants selected by `wave`/`state`, not among named `tenants`")
    kind = fault.get("kind")
    if kind in _SERVICE_WIDE and given & {"tenants", "wave", "state", "count"}:
        problems.append(f"{kind} hits the whole service; it takes no tenants")
    if isinstance(kind, str) and kind in KIND_PARAMS:
        allowed = KIND_PARAMS[kind]
        wrong = [name for name in _PARAMS if name in given and name not in allowed]
        if wrong:
            takes = ", ".join(allowed) or "no parameters"
            problems.append(f"{kind} does not take {', '.join(wrong)}; it takes {takes}")
    return problems


def _describe(error: Any, label: str, data: dict[str, Any]) -> str:
    loc = tuple(error["loc"])
    key = ".".join(f"[{part}]" if isinstance(part, int) else str(part) for part in loc).replace(".[", "[")
    key = key or "(top level)"
    if error["type"] == "extra_forbidden":
        model: type[BaseModel] = FaultSpec if "fault" in loc[:1] else Scenario
        return f"{label}: {key}: unknown key; allowed here: {', '.join(sorted(model.model_fields))}"
    if error["type"] == "missing":
        return f"{label}: {key}: required but missing"
    node: Any = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
            break
    message = str(error["msg"]).removeprefix("Value error, ")
    shown = f"{node!r}" if node is not None and not isinstance(node, dict) else "this fault"
    return f"{label}: {key}: {shown} is not allowed: {message}"


def _label(spec: FaultSpec, targets: list[str] | None) -> str:
    """The fault in words, naming the tenants a selection picked when they are few."""
    if spec.label or spec.tenants or targets is None:
        return spec.describe()
    what = spec.kind.replace("_", " ")
    if len(targets) <= 3:
        return f"{what} on {', '.join(targets)} ({spec.describe().split(' on ', 1)[1]})"
    return f"{what} on {len(targets)} tenants ({spec.describe().split(' on ', 1)[1]})"


@dataclass(frozen=True)
class LoadedScenario:
    name: str
    source: str  # how its faults are tagged in the world
    faults: int
    already_loaded: bool


def inject_scenario(world: SimWorld, path: Path, tenants: list[Tenant], now: float) -> LoadedScenario:
    """Load a scenario file into the world, its times counted from `now`.

    Loading the same file again changes nothing (its faults are tagged with the
    file's hash). Raises ScenarioError, with nothing injected, if the file is bad
    or names tenants the store does not have.
    """
    path = scenario_path(path)
    scenario = load_scenario(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    source = f"scenario {path.name} ({digest})"
    world.refresh()
    if any(fault.source == source for fault in world.faults()):
        return LoadedScenario(scenario.name, source, len(scenario.fault), True)
    known = {tenant.tenant_id: tenant for tenant in tenants}
    problems: list[str] = []
    rows = []
    for index, spec in enumerate(scenario.fault):
        key = f"{path}: fault[{index}]"
        targets: list[str] | None = None
        if spec.tenants is not None:
            unknown = [tid for tid in spec.tenants if tid not in known]
            problems += [
                f"{key}.tenants: {tid!r} is not a tenant in this store; check the ID (cutover status lists them)"
                for tid in unknown
            ]
            targets = list(spec.tenants)
        elif spec.wave is not None or spec.state is not None or spec.count is not None:
            chosen = [
                t
                for t in tenants
                if (spec.wave is None or t.wave == spec.wave) and (spec.state is None or t.lifecycle == spec.state)
            ]
            if not chosen:
                problems.append(f"{key}: selects no tenant ({spec.describe()}); widen the selection")
            chosen.sort(key=lambda t: stable_key(world.seed, index, t.tenant_id))
            targets = sorted(t.tenant_id for t in chosen[: spec.count or len(chosen)])
        start = None if spec.after_cutover is not None else now + (spec.at or 0.0)
        rows.append(
            {
                "kind": spec.kind,
                "targets": targets,
                "start_at": start,
                "after_cutover_s": spec.after_cutover,
                "duration_s": spec.duration,
                "params": spec.params(),
                "source": source,
                "label": _label(spec, targets),
                "added_at": now,
            }
        )
    if problems:
        raise ScenarioError(problems)
    world.db.add_faults(rows)
    world.db.set_scenario(scenario.name)
    world.refresh()
    return LoadedScenario(scenario.name, source, len(rows), False)
