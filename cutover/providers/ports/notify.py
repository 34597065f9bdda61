"""The notification port: one message to the war room (a page, a chat post), deduplicated by incident."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Notification:
    text: str
    severity: Severity = Severity.INFO
    tenant_id: str | None = None
    job_id: str | None = None
    dedup_key: str = ""  # one incident, one page: notifications about the same thing share it
    resolve: bool = False  # the thing `dedup_key` names has cleared


@runtime_checkable
class Notifier(Protocol):
    source: str

    async def post(self, notification: Notification) -> None:
        """Deliver one message. Raises ProviderError when it could not."""
