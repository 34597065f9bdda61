"""Settings (TOML, validated) and the tenant-matrix import: the lowest layer."""

from cutover.config.loader import ConfigError, LoadedConfig, load_config
from cutover.config.matrix import MatrixError, ParsedMatrix, parse_matrix
from cutover.config.settings import Settings
from cutover.config.tenant_spec import TenantSpec

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
