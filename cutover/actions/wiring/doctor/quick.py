"""The providers' settings as doctor uses them: one try per call, every timeout at most doctor's.

A dead endpoint must fail a check at once, not after the retries and the long read
timeouts the engine is configured with. The settings are copied, never changed.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from cutover.config.access import RetrySettings

M = TypeVar("M", bound=BaseModel)
TIMEOUTS = ("connect_timeout", "read_timeout", "timeout", "command_timeout")


def quick(model: M, timeout: float) -> M:
    """`model` with every RetrySettings inside it made one try and every timeout capped at `timeout`."""
    update: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, RetrySettings):
            update[name] = RetrySettings(attempts=1, base_delay=0.0, max_delay=0.0, deadline=timeout)
        elif isinstance(value, BaseModel):
            update[name] = quick(value, timeout)
        elif isinstance(value, list | tuple) and value and all(isinstance(v, BaseModel) for v in value):
            update[name] = type(value)(quick(v, timeout) for v in value)
        elif name in TIMEOUTS and isinstance(value, int | float) and not isinstance(value, bool):
            update[name] = min(float(value), timeout)
    return model.model_copy(update=update)
