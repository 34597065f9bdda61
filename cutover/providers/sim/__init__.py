"""The simulated fleet: every provider interface over one shared world in the store.

`open_world` creates or opens the world; `SimDns`, `SimMetrics`, `SimSync`,
`SimHealth` and `SimNotifier` are the providers; `WorldClock` is the world time
every process shares.

Each name is imported from its module when first asked for: the console opening a world
(`open_world`, `WorldClock`) does not import the providers, which its engine builds later.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cutover.providers.sim.clock import WorldClock
    from cutover.providers.sim.dns import SimDns
    from cutover.providers.sim.health import SimHealth
    from cutover.providers.sim.metrics import SimMetrics
    from cutover.providers.sim.notifier import SimNotifier
    from cutover.providers.sim.setup import OpenedWorld, WorldOptions, open_world
    from cutover.providers.sim.sync import SimSync
    from cutover.providers.sim.world import SimWorld

_MODULES = {
    "OpenedWorld": "setup",
    "SimDns": "dns",
    "SimHealth": "health",
    "SimMetrics": "metrics",
    "SimNotifier": "notifier",
    "SimSync": "sync",
    "SimWorld": "world",
    "WorldClock": "clock",
    "WorldOptions": "setup",
    "open_world": "setup",
}

__all__ = [
    "OpenedWorld",
    "SimDns",
    "SimHealth",
    "SimMetrics",
    "SimNotifier",
    "SimSync",
    "SimWorld",
    "WorldClock",
    "WorldOptions",
    "open_world",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
