"""The simulated fleet: every provider interface over one shared world in the store.

`open_world` creates or opens the world; `SimDns`, `SimMetrics`, `SimSync`,
`SimHealth` and `SimNotifier` are the providers; `WorldClock` is the world time
every process shares.
"""

from cutover.providers.sim.clock import WorldClock
from cutover.providers.sim.dns import SimDns
from cutover.providers.sim.health import SimHealth
from cutover.providers.sim.metrics import SimMetrics
from cutover.providers.sim.notifier import SimNotifier
from cutover.providers.sim.setup import OpenedWorld, WorldOptions, open_world
from cutover.providers.sim.sync import SimSync
from cutover.providers.sim.world import SimWorld

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
