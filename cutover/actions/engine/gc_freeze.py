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

The engine's copy of the fleet is rebuilt in part after start-up (kept_fleet.py): a new engine's first polls
change nearly every row, and the copy's next refresh builds 47,000 of the 50,000 Tenants anew, which every full
collection then walked again (70-100 ms of each pause, on top of a whole-fleet poll's 50,000 results). So the
engine freezes again each time a quarter of the fleet has been built anew since (`freeze_rebuilt`). This does not
leak: a frozen object is still freed by reference counting once nothing refers to it (a Tenant replaced by a
newer copy is, as it refers to no cycle); only garbage in a reference cycle needs a collection, and the engine
makes little of it and none that lives long: at 50,000 tenants over two minutes, the young collections found 638
objects in cycles, and no collection of the older generations found any (tracked with gc.callbacks). A young
collection just before the freeze takes those few, so what is frozen is what is alive.

What the first polls make after the start-up freeze is not frozen until they are all done (`_freeze_after` in
engine.py): what they make one of per tenant, and keep or hold through a poll, is a plain tuple of plain values
where it can be, which CPython stops tracking in its first young collections, so no collection walks it: the simulated
world's per-tenant parameters (providers/sim/model.py, ParamsValues) and a metrics poll's samples until written
(state/samples.py, SampleValues): as instances of classes (slotted dataclasses, named tuples: tracked for good)
they were 186,000 objects at 50,000 tenants that full collections during the first metrics poll walked, 83-96 ms.
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


def freeze_rebuilt(who: str, built: int) -> int:
    """After `built` long-lived objects' worth of tenants were built anew: collect the young generation (its
    few cycles; under a millisecond) and move every object alive now out of the collector's generations."""
    gc.collect(0)
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.debug("%s: %d tenants built anew, %d objects now frozen", who, built, frozen)
    return frozen
