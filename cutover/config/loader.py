"""Load the configuration: defaults, then the TOML file, then the environment.

Every value remembers where it came from, so `cutover config check` can say so.
Every problem is reported at once, one line each, naming the file, the key path,
the bad value and what is allowed.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from cutover.config.providers import REAL_KINDS
from cutover.config.secrets import looks_secret
from cutover.config.settings import Settings

CONFIG_ENV = "CUTOVER_CONFIG"
ENV_PREFIX = "CUTOVER_"
DEFAULT_FILE = "cutover.toml"

Origin = Literal["default", "file", "environment"]

# Keys that would carry a credential. The configuration never holds one.
_SECRET_KEY = re.compile(
    r"(secret|password|passphrase|token|private_key|key_content|access_key|api_key|credential|webhook_url)",
    re.IGNORECASE,
)


class ConfigError(Exception):
    """One or more problems in a configuration; each line is complete on its own."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class LoadedConfig:
    settings: Settings
    path: Path | None
    origins: dict[str, Origin] = field(default_factory=dict)
    found_by: str = ""  # how `path` was chosen, for `config check`

    def origin(self, key_path: str) -> Origin:
        return self.origins.get(key_path, "default")


SYSTEM_FILE = Path("/etc/cutover/cutover.toml")


def find_config(explicit: str | os.PathLike[str] | None, environ: dict[str, str]) -> tuple[Path | None, str]:
    """The configuration file and how it was found: --config, then $CUTOVER_CONFIG, then the
    first that exists of ./cutover.toml, $XDG_CONFIG_HOME/cutover/cutover.toml (~/.config when
    unset) and /etc/cutover/cutover.toml. (None, ...) when there is none: the built-in defaults."""
    if explicit:
        return Path(explicit), "--config"
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV]), f"${CONFIG_ENV}"
    xdg = environ.get("XDG_CONFIG_HOME") or (str(Path(environ["HOME"]) / ".config") if environ.get("HOME") else "")
    candidates = [(Path(DEFAULT_FILE), "the working directory")]
    if xdg:
        where = "$XDG_CONFIG_HOME" if environ.get("XDG_CONFIG_HOME") else "~/.config"
        candidates.append((Path(xdg) / "cutover" / DEFAULT_FILE, f"{where}/cutover"))
    candidates.append((SYSTEM_FILE, "the system configuration"))
    for path, how in candidates:
        if path.is_file():
            return path, how
    return None, "no file found: " + ", ".join(str(path) for path, _ in candidates)


def resolve_config_path(explicit: str | os.PathLike[str] | None, environ: dict[str, str]) -> Path | None:
    return find_config(explicit, environ)[0]


def load_config(explicit: str | os.PathLike[str] | None = None, environ: dict[str, str] | None = None) -> LoadedConfig:
    """Build the effective configuration or raise ConfigError listing every problem."""
    environ = dict(os.environ) if environ is None else environ
    path, found_by = find_config(explicit, environ)
    label = str(path) if path else "(defaults)"

    file_data: dict[str, Any] = {}
    if path is not None:
        file_data = _read_toml(path)

    env_data, env_problems = _read_environment(environ)
    problems = env_problems + _secret_problems(file_data, label)
    merged = _deep_merge(file_data, env_data)

    origins: dict[str, Origin] = {}
    for key in _leaf_paths(file_data):
        origins[key] = "file"
    for key in _leaf_paths(env_data):
        origins[key] = "environment"

    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        problems += [_describe(error, label, merged, origins) for error in exc.errors()]
        raise ConfigError(problems) from None
    if problems:
        raise ConfigError(problems)

    _window_shorthand_origins(merged, origins)
    settings = _resolve_relative_paths(settings, path, origins)
    return LoadedConfig(settings=settings, path=path, origins=origins, found_by=found_by)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file; pass an existing --config or unset {CONFIG_ENV}"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot be read ({exc.strerror})"]) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: is not UTF-8 text; save it as UTF-8"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None


def _read_environment(environ: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """CUTOVER_GATES__MAX_SYNC_LAG=0 -> {"gates": {"max_sync_lag": "0"}}."""
    data: dict[str, Any] = {}
    problems: list[str] = []
    for name, value in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX) or name == CONFIG_ENV:
            continue
        parts = [part.lower() for part in name[len(ENV_PREFIX) :].split("__")]
        if not all(parts):
            problems.append(f"environment: {name}: write CUTOVER_SECTION__KEY, e.g. CUTOVER_BATCH__GROUP_SIZE=5")
            continue
        if _SECRET_KEY.search(parts[-1]):
            problems.append(f"environment: {name}: secrets are never read into the configuration; {_SECRET_ADVICE}")
            continue
        node = data
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[parts[-1]] = _env_value(value)
    return data, problems


def _env_value(value: str) -> Any:
    stripped = value.strip()
    if stripped[:1] in "[{":
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return value
    return value


_SECRET_ADVICE = (
    'name a profile instead (AWS: profile = "..."; OCI: profile in ~/.oci/config) '
    "and let the cloud's own credential chain supply the secret"
)


_WEBHOOK_ADVICE = "set webhook_env to the name of an environment variable that holds the URL"


def _secret_problems(data: dict[str, Any], label: str) -> list[str]:
    return [
        f"{label}: {key}: secrets are never read from the configuration file; "
        f"{_WEBHOOK_ADVICE if 'webhook' in key.rsplit('.', 1)[-1].lower() else _SECRET_ADVICE}"
        for key in _leaf_paths(data)
        if _SECRET_KEY.search(key.rsplit(".", 1)[-1])
    ]


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _leaf_paths(data: Any, prefix: str = "") -> list[str]:
    if not isinstance(data, dict) or not data:
        return [prefix] if prefix else []
    paths: list[str] = []
    for key, value in data.items():
        paths += _leaf_paths(value, f"{prefix}.{key}" if prefix else str(key))
    return paths


def _lookup(data: Any, loc: tuple[Any, ...]) -> tuple[bool, Any]:
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, (list, tuple)) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
        else:
            return False, None
    return True, node


def _describe(error: ErrorDetails, label: str, data: dict[str, Any], origins: dict[str, Origin]) -> str:
    loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and part in _UNION_TAGS))
    key = ".".join(str(part) for part in loc) or "(top level)"
    found, value = _lookup(data, loc)
    where = label
    if origins.get(key) == "environment":
        where = "environment"
        key = f"{ENV_PREFIX}{'__'.join(str(p).upper() for p in loc)} ({key})"
    kind = error["type"]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        kinds = [_kind_of(m) for m in _models_in(_annotation_at(tuple(error["loc"])))]
        expected = ", ".join(repr(k) for k in kinds if k)
        if kind == "union_tag_not_found":
            return f"{where}: {key}.kind: required but missing; name the provider: kind = one of {expected}"
        tag = error.get("ctx", {}).get("tag", "")
        return f"{where}: {key}.kind: {tag!r} is not a provider for this role; use one of {expected}"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(tuple(error["loc"])[:-1])
        return f"{where}: {key}: unknown key; allowed here: {', '.join(allowed)}"
    if kind == "missing":
        return f"{where}: {key}: required but missing"
    if kind in _NEEDS_A_TABLE:
        # pydantic's own words name our classes ("instance of GateSettings"): say what to write instead.
        allowed = _allowed_keys(tuple(error["loc"]))
        shown = _shown(value) if found else "(missing)"
        keys = f" with keys {', '.join(allowed)}" if allowed else " of name = value entries"
        return f"{where}: {key}: {shown} is not allowed: write a table{keys}"
    message = _BOUND_WORDS[kind].format(**error.get("ctx", {})) if kind in _BOUND_WORDS else None
    message = message or str(error["msg"]).removeprefix("Value error, ")
    if found and isinstance(value, dict):
        return f"{where}: {key}: {message}"  # a rule across the table's keys: its words name them
    shown = _shown(value) if found else "(missing)"
    return f"{where}: {key}: {shown} is not allowed: {message}"


def _shown(value: Any) -> str:
    """A bad value as the message shows it: never a credential pasted in the wrong place."""
    return "(value not shown: it looks like a credential)" if looks_secret(value) else repr(value)


_BOUND_WORDS = {
    "greater_than": "must be more than {gt}",
    "greater_than_equal": "must be {ge} or more",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be {le} or less",
    "finite_number": "must be a finite number",
}

_NEEDS_A_TABLE = {"model_type", "model_attributes_type", "dataclass_type", "is_instance_of", "dict_type"}

# pydantic puts the name of the chosen union member (its `kind`) into error locations.
_UNION_TAGS = {"simulated", *REAL_KINDS}


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed at `loc` (a raw pydantic location, union tags included)."""
    members = _models_in(_annotation_at(loc))
    return sorted(members[0].model_fields) if members else []


def _annotation_at(loc: tuple[Any, ...]) -> Any:
    annotation: Any = Settings
    for part in loc:
        if isinstance(part, int):
            continue
        members = _models_in(annotation)
        tagged = [m for m in members if _kind_of(m) == part]
        if tagged:
            annotation = tagged[0]
            continue
        if not members:
            return None
        field_info = members[0].model_fields.get(str(part))
        if field_info is None:
            return None
        annotation = field_info.annotation
    return annotation


def _kind_of(model: type[BaseModel]) -> str | None:
    field_info = model.model_fields.get("kind")
    args: tuple[object, ...] = getattr(field_info.annotation, "__args__", ()) if field_info else ()
    kind = args[0] if len(args) == 1 else None
    return kind if isinstance(kind, str) else None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()):
        found += _models_in(arg)
    return found


def _window_shorthand_origins(data: dict[str, Any], origins: dict[str, Origin]) -> None:
    """`window = "02:00-06:00"` sets the start and the end: the zone is still the default's."""
    safety = data.get("safety")
    if isinstance(safety, dict) and isinstance(safety.get("window"), str) and "safety.window" in origins:
        origin = origins.pop("safety.window")
        origins["safety.window.start"] = origins["safety.window.end"] = origin


def _resolve_relative_paths(settings: Settings, config_path: Path | None, origins: dict[str, Origin]) -> Settings:
    """Paths written in a file are relative to that file, so a war room can share one;
    paths from the environment or the defaults are relative to the working directory."""

    def base(key: str) -> Path:
        return config_path.parent if config_path and origins.get(key) == "file" else Path.cwd()

    state = settings.state
    simulator = settings.simulator
    if not state.path.is_absolute():
        state = state.model_copy(update={"path": (base("state.path") / state.path).resolve()})
    if simulator.scenario is not None and not simulator.scenario.is_absolute():
        scenario = (base("simulator.scenario") / simulator.scenario).resolve()
        simulator = simulator.model_copy(update={"scenario": scenario})
    return settings.model_copy(update={"state": state, "simulator": simulator})


def effective_values(loaded: LoadedConfig) -> list[tuple[str, Any, Origin]]:
    """(key path, value, origin) for every leaf of the effective configuration."""
    dumped = loaded.settings.model_dump(mode="json")
    rows: list[tuple[str, Any, Origin]] = []

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict) and node:
            for key, value in node.items():
                walk(value, f"{prefix}.{key}" if prefix else key)
            return
        rows.append((prefix, node, _origin_of(prefix, loaded.origins)))

    walk(dumped, "")
    return rows


def _origin_of(key_path: str, origins: dict[str, Origin]) -> Origin:
    if key_path in origins:
        return origins[key_path]
    # A list or table given whole in the file: its children come from there too.
    for known, origin in origins.items():
        if key_path.startswith(known + ".") or known.startswith(key_path + "."):
            return origin
    return "default"
