"""Settings (TOML, validated) and the tenant-matrix import: the lowest layer.

Each name is imported from its module when first asked for: a command that loads the settings does not
import the matrix's parser (the console's first paint waits for every module it imports)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cutover.config.loader import ConfigError, LoadedConfig, load_config
    from cutover.config.matrix import MatrixError, ParsedMatrix, parse_matrix
    from cutover.config.settings import Settings
    from cutover.config.tenant_spec import TenantSpec

_MODULES = {
    "ConfigError": "loader",
    "LoadedConfig": "loader",
    "MatrixError": "matrix",
    "ParsedMatrix": "matrix",
    "Settings": "settings",
    "TenantSpec": "tenant_spec",
    "load_config": "loader",
    "parse_matrix": "matrix",
}

__all__ = [
    "ConfigError",
    "LoadedConfig",
    "MatrixError",
    "ParsedMatrix",
    "Settings",
    "TenantSpec",
    "load_config",
    "parse_matrix",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
