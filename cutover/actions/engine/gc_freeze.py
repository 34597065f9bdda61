"""Keeping long-lived objects out of the garbage collector's way.

CPython's cyclic collector walks every tracked object of the generations it collects; a full
collection walks them all. After start-up, a console or an engine holds tens of thousands of
objects per fleet (tenants, rows, settings, modules, Textual's widgets) that live as long as the
process: at 50,000 tenants each full collection walked them again, pausing the process 1.4-2.0 s
(the console's keys froze; the engine's heartbeat thread waits on the same GIL). `gc.freeze()`
moves every object alive now into a permanent generation that no collection walks, so later
collections cost what is new since, not the fleet loaded at start.

What is frozen is never collected: anything that becomes garbage in a cycle later stays (a bounded,
one-time cost, as the start-up objects are the ones that live on). No `gc.collect()` first: that
full collection would be the very pause this avoids.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def freeze_after_start_up(who: str) -> int:
    """Move every object alive now out of the collector's generations; returns how many are frozen."""
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("%s: %d long-lived objects frozen out of the garbage collector's generations", who, frozen)
    return frozen
