"""Long work a provider does (a sync run, a re-hydration): started, then polled. Shared by the sync and
health ports."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RemoteJobState(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class RemoteJob:
    """Long work a provider is doing (a sync run, a re-hydration): start it, then poll it.

    Polling, not awaiting, keeps every wait on the engine's injected clock.
    `job_id` stays valid across a restart of the thing doing the work.
    """

    tenant_id: str
    job_id: str
    kind: str  # "continuous", "final", "hydrate"
    state: RemoteJobState
    started_at: float
    ended_at: float | None
    error: str
    source: str
