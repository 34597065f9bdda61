"""Which flow runs a job of each kind: a flow says it with `@runs(JobKind.X)` where it is written, and the
runner loads every module of this package once (`load_flows`), so a new kind's flow is one new file."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable

from cutover.actions.engine.flows.job_run import JobRun
from cutover.model.jobs import JobKind

Flow = Callable[[JobRun], Awaitable[None]]

_FLOWS: dict[JobKind, Flow] = {}


def runs(kind: JobKind) -> Callable[[Flow], Flow]:
    """Register the decorated function as the flow of `kind` (one flow a kind)."""

    def register(flow: Flow) -> Flow:
        if kind in _FLOWS and _FLOWS[kind] is not flow:
            raise RuntimeError(
                f"two flows for jobs of kind {kind}: {_FLOWS[kind].__qualname__} and {flow.__qualname__}"
            )
        _FLOWS[kind] = flow
        return flow

    return register


def load_flows() -> dict[JobKind, Flow]:
    """Every flow of this package, by the kind it runs."""
    package = __name__.rsplit(".", 1)[0]
    for module in pkgutil.iter_modules(importlib.import_module(package).__path__):
        importlib.import_module(f"{package}.{module.name}")
    return dict(_FLOWS)
