"""Per-tenant name patterns in the configuration ("{tenant_lower}-tg"): checked when the settings load,
filled in with a tenant's values when a provider needs its name."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

_PLACEHOLDERS = {"tenant_id": "T-0042", "tenant_lower": "t-0042", "dns_label": "tenant42", "name": "Acme"}


def _check_pattern(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        value.format(**_PLACEHOLDERS)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"unknown placeholder {exc}: use {{tenant_id}}, {{tenant_lower}}, {{dns_label}} or {{name}}"
        ) from None
    return value


TenantPattern = Annotated[str, BeforeValidator(_check_pattern)]
"""A per-tenant name pattern: {tenant_id}, {tenant_lower}, {dns_label} or {name} are filled in."""


def fill_pattern(pattern: str, *, tenant_id: str, dns_name: str, name: str) -> str:
    """A configured pattern with a tenant's values put in."""
    return pattern.format(
        tenant_id=tenant_id, tenant_lower=tenant_id.lower(), dns_label=dns_name.split(".", 1)[0], name=name
    )
