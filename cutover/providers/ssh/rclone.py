"""rclone's remote control reached over SSH: `rclone rc` run on the sync node, where the rc port listens."""

from __future__ import annotations

import json
from typing import Any

from cutover.config.providers import RcSettings
from cutover.providers.calls import Caller, unexpected_error
from cutover.providers.ports.errors import ProviderError, ProviderObserver
from cutover.providers.ssh.connection import SshRunner


class SshRc:
    def __init__(self, settings: RcSettings, *, observer: ProviderObserver | None = None, source: str = "rclone"):
        if settings.ssh is None:
            raise ValueError("SshRc needs [providers.sync.rc.ssh]")
        self.source = source
        self.settings = settings
        self.runner = SshRunner(settings.ssh, source=source)
        self.caller = Caller(
            source,
            lambda exc, operation: unexpected_error(exc, operation, source),
            retry=settings.retry,
            observer=observer,
        )

    async def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        # Authentication to rc, when it is on, comes from the node's own environment (RCLONE_RC_USER/PASS).
        argv = ["rclone", "rc", "--url", self.settings.url, method, "--json", json.dumps(params)]

        async def send() -> dict[str, Any]:
            result = await self.runner.run(argv, operation=f"rclone rc {method}")
            if result.exit_status != 0:
                message = (result.stderr or result.stdout).strip().splitlines()
                raise ProviderError(
                    self.source,
                    f"rclone rc {method} on {self.runner.where} exited {result.exit_status}: "
                    f"{message[-1] if message else 'no output'}",
                    retryable=result.exit_status == 255,  # ssh's own failure
                )
            try:
                return json.loads(result.stdout or "{}")
            except ValueError:
                raise ProviderError(self.source, f"rclone rc {method}: answer is not JSON") from None

        return await self.caller.call(method, send)

    async def aclose(self) -> None:
        await self.runner.aclose()
