"""One SSH connection per host, opened on first use and opened again if it drops.

Keys come from the SSH agent or the configured key files; host keys must be in
the configured known_hosts. ~/.ssh/config is not read unless the target says so
(`ssh_config`): by default the configuration says everything, so a jump host's own
SSH setup cannot change what cutover does. A bastion (`proxy_jump`, or a ProxyJump
in the ssh config when it is read) is opened here, hop by hop, with the same
known_hosts and keys, so every hop's host key is checked against known_hosts
(asyncssh's own ProxyJump handling would check the bastion against ~/.ssh's).
"""

from __future__ import annotations

import asyncio
import getpass
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cutover.config.access import SshTarget
from cutover.providers.ports.errors import ProviderError


@dataclass(frozen=True)
class CommandResult:
    exit_status: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Hop:
    host: str
    port: int | None
    user: str | None

    def __str__(self) -> str:
        return f"{self.user + '@' if self.user else ''}{self.host}{':' + str(self.port) if self.port else ''}"


def parse_jumps(text: str) -> list[Hop]:
    """`[user@]host[:port]`, several comma-separated (the first one first), as ProxyJump writes them."""
    hops = []
    for part in text.split(","):
        user, _, rest = part.strip().rpartition("@")
        host, port = rest, None
        if rest.startswith("["):
            host, _, tail = rest[1:].partition("]")
            port = int(tail[1:]) if tail.startswith(":") else None
        elif ":" in rest:
            host, _, number = rest.rpartition(":")
            port = int(number)
        hops.append(Hop(host, port, user or None))
    return hops


class SshRunner:
    def __init__(self, target: SshTarget, *, source: str):
        self.target = target
        self.source = source
        self._connection: Any = None
        self._tunnels: list[Any] = []  # the bastions the connection goes through, first hop first
        self._lock: asyncio.Lock | None = None

    @property
    def where(self) -> str:
        target = self.target
        return str(Hop(target.host, target.port or (None if target.ssh_config_path else 22), target.user))

    def _jumps(self, config: list[str] | None) -> list[Hop]:
        """The bastions to go through: proxy_jump, else the ssh config's ProxyJump for this host."""
        if self.target.proxy_jump:
            return parse_jumps(self.target.proxy_jump)
        if not config:
            return []
        from asyncssh.config import SSHClientConfig

        target = self.target
        parsed = SSHClientConfig.load(
            None, config, False, False, False, getpass.getuser(), target.user or (), target.host, target.port or ()
        )
        jump = parsed.get("ProxyJump")
        return parse_jumps(str(jump)) if jump and str(jump).lower() != "none" else []

    async def _connect(self) -> Any:
        target = self.target
        try:
            return await asyncio.wait_for(self._open(), timeout=target.connect_timeout)
        except TimeoutError:
            await self._close_tunnels()
            raise ProviderError(
                self.source, f"{self.where}: no SSH connection within {target.connect_timeout:.0f} s", retryable=True
            ) from None
        except BaseException:
            await self._close_tunnels()
            raise

    async def _open(self) -> Any:
        import asyncssh

        target = self.target
        config_path = target.ssh_config_path
        config = [str(config_path.expanduser())] if config_path else None
        if config_path and not config_path.expanduser().is_file():
            raise ProviderError(self.source, f"{self.where}: ssh_config {config_path} does not exist")
        keys: list[str] | tuple[()] | None = [str(Path(k).expanduser()) for k in target.client_keys]
        if not keys:  # the agent's keys (and, as ssh does, ~/.ssh/id_* and the config's IdentityFile)
            keys = () if target.use_agent or config else None
        common: dict[str, Any] = {
            "known_hosts": str(Path(target.known_hosts).expanduser()),
            "client_keys": keys,
            "agent_path": () if target.use_agent else None,
            "config": config,
        }
        try:
            hops = self._jumps(config)
        except (OSError, ValueError) as exc:
            raise ProviderError(self.source, f"{self.where}: ssh_config {config_path}: {exc}") from None
        tunnel: Any = None
        for number, hop in enumerate(hops, 1):
            label = f"bastion {hop}" if len(hops) == 1 else f"bastion {number} of {len(hops)} ({hop})"
            try:
                tunnel = await asyncssh.connect(
                    hop.host, port=hop.port or (), username=hop.user or (), tunnel=tunnel, **common
                )
            except (OSError, asyncssh.Error) as exc:
                raise self._refused(exc, f"{self.where} via {label}", bastion=True) from None
            self._tunnels.append(tunnel)
        via = f" via {', '.join(map(str, hops))}" if hops else ""
        try:
            return await asyncssh.connect(
                target.host,
                port=target.port or (),
                username=target.user or (),
                tunnel=tunnel,  # None: no ProxyJump from the config either; it was read above
                **common,
            )
        except asyncssh.ChannelOpenError as exc:
            raise ProviderError(
                self.source,
                f"{self.where}: the bastion {hops[-1]} refused to forward the connection ({exc.reason}): "
                "it must allow TCP forwarding (AllowTcpForwarding) to this host and port",
                retryable=True,
            ) from None
        except (OSError, asyncssh.Error) as exc:
            raise self._refused(exc, f"{self.where}{via}", bastion=False) from None

    def _refused(self, exc: BaseException, where: str, *, bastion: bool) -> ProviderError:
        import asyncssh

        target = self.target
        if isinstance(exc, asyncssh.HostKeyNotVerifiable):
            return ProviderError(self.source, f"{where}: host key not trusted ({exc}): add it to {target.known_hosts}")
        if isinstance(exc, asyncssh.PermissionDenied):
            whose = " by the bastion" if bastion else ""
            return ProviderError(self.source, f"{where}: SSH login refused{whose}: check user, agent or client_keys")
        return ProviderError(self.source, f"{where}: {type(exc).__name__}: {exc}", retryable=True)

    async def _close_tunnels(self) -> None:
        tunnels, self._tunnels = self._tunnels, []
        for tunnel in reversed(tunnels):
            tunnel.close()
            await tunnel.wait_closed()

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
                await self._close_tunnels()
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
        await self._close_tunnels()
