"""One SSH connection per host, opened on first use and opened again if it drops.

Keys come from the SSH agent or the configured key files; host keys must be in
the configured known_hosts. ~/.ssh/config is not read: the configuration says
everything, so a jump host's own SSH setup cannot change what cutover does.
"""

from __future__ import annotations

import asyncio
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cutover.config.providers import SshTarget
from cutover.providers.interfaces import ProviderError


@dataclass(frozen=True)
class CommandResult:
    exit_status: int
    stdout: str
    stderr: str


class SshRunner:
    def __init__(self, target: SshTarget, *, source: str):
        self.target = target
        self.source = source
        self._connection: Any = None
        self._lock: asyncio.Lock | None = None

    @property
    def where(self) -> str:
        return f"{self.target.user}@{self.target.host}:{self.target.port}"

    async def _connect(self) -> Any:
        import asyncssh

        target = self.target
        known_hosts = str(Path(target.known_hosts).expanduser())
        keys = [str(Path(k).expanduser()) for k in target.client_keys] or None
        try:
            return await asyncio.wait_for(
                asyncssh.connect(
                    target.host,
                    port=target.port,
                    username=target.user,
                    known_hosts=known_hosts,
                    client_keys=keys,
                    agent_path=() if target.use_agent else None,
                    config=None,
                ),
                timeout=target.connect_timeout,
            )
        except TimeoutError:
            raise ProviderError(
                self.source, f"{self.where}: no SSH connection within {target.connect_timeout:.0f} s", retryable=True
            ) from None
        except asyncssh.HostKeyNotVerifiable as exc:
            raise ProviderError(
                self.source, f"{self.where}: host key not trusted ({exc}): add it to {target.known_hosts}"
            ) from None
        except asyncssh.PermissionDenied:
            raise ProviderError(
                self.source, f"{self.where}: SSH login refused: check user, agent or client_keys"
            ) from None
        except (OSError, asyncssh.Error) as exc:
            raise ProviderError(self.source, f"{self.where}: {type(exc).__name__}: {exc}", retryable=True) from None

    async def run(self, argv: list[str], *, operation: str) -> CommandResult:
        """Run one command (quoted for the remote shell); a dropped connection is reopened once."""
        command = " ".join(shlex.quote(part) for part in argv)
        for attempt in (1, 2):
            if self._lock is None:
                self._lock = asyncio.Lock()
            async with self._lock:
                if self._connection is None:
                    self._connection = await self._connect()
                connection = self._connection
            try:
                result = await asyncio.wait_for(
                    connection.run(command, check=False), timeout=self.target.command_timeout
                )
            except TimeoutError:
                raise ProviderError(
                    self.source,
                    f"{operation} on {self.where}: no answer within {self.target.command_timeout:.0f} s",
                    retryable=True,
                ) from None
            except Exception as exc:  # the connection dropped: open a new one and try once more
                self._connection = None
                if attempt == 2:
                    raise ProviderError(
                        self.source,
                        f"{operation} on {self.where}: {type(exc).__name__}: {exc}",
                        retryable=True,
                    ) from None
                continue
            return CommandResult(int(result.exit_status or 0), str(result.stdout or ""), str(result.stderr or ""))
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        if self._connection is not None:
            self._connection.close()
            await self._connection.wait_closed()
            self._connection = None
