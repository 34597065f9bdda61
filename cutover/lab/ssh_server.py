"""A local SSH server (asyncssh) standing in for the sync node and the cluster hosts.

It runs in a thread of its own with its own event loop, so it serves whoever
connects (the console, a test) whatever loop they run on. Keys are made in
memory; `target_files` writes the client key and a known_hosts file so clients
connect the standard way, with host-key checking on.

As a bastion (`forwarding=True`) it forwards direct-tcpip channels (what ProxyJump and
`ssh -J` ask for), to the destination asked or to where `routes` says a name is (a host
only the bastion can reach), and records each request in `forwarded`; without
`forwarding` it refuses them, as a bastion with AllowTcpForwarding no does.

It understands two commands and refuses the rest (exit 127):
- `rclone rc --url URL METHOD --json JSON`: passed to the local rclone rc;
- `cutover-hydrate start TENANT` / `cutover-hydrate status JOB`: a re-hydration
  that takes `hydrate_seconds`, or fails for tenants in `hydrate_fails`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shlex
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from cutover.lab.stoppable import Stoppable

USER = "cutover"


class LabSsh(Stoppable):
    def __init__(
        self,
        *,
        hydrate_seconds: float = 2.0,
        user: str = USER,
        forwarding: bool = False,
        routes: dict[tuple[str, int], tuple[str, int]] | None = None,
        client_key: Any = None,
    ) -> None:
        import asyncssh

        self.hydrate_seconds = hydrate_seconds
        self.user = user
        self.forwarding = forwarding
        self.routes = dict(routes or {})  # (name, port) asked -> (address, port) the bastion connects to
        self.forwarded: list[tuple[str, int, bool]] = []  # (host, port) asked, and whether it was allowed
        self.logins: list[str] = []  # the user of each accepted login
        self.hydrate_fails: dict[str, str] = {}
        self.commands: list[str] = []
        self._jobs: dict[str, tuple[str, float]] = {}
        self._ids = itertools.count(1)
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.client_key = client_key or asyncssh.generate_private_key("ssh-ed25519")
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lab-ssh", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        self.port = self._port

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        import asyncssh

        lab = self

        class Server(asyncssh.SSHServer):
            def connection_made(self, conn: Any) -> None:
                self._conn = conn

            def begin_auth(self, username: str) -> bool:
                self._username = username
                return True

            def auth_completed(self) -> None:
                lab.logins.append(self._username)

            def public_key_auth_supported(self) -> bool:
                return True

            def validate_public_key(self, username: str, key: Any) -> bool:
                return username == lab.user and key.public_data == lab.client_key.public_data

            def connection_requested(self, dest_host: str, dest_port: int, orig_host: str, orig_port: int) -> Any:
                lab.forwarded.append((dest_host, dest_port, lab.forwarding))
                if not lab.forwarding:
                    return False
                address, port = lab.routes.get((dest_host, dest_port), (dest_host, dest_port))
                return self._conn.forward_connection(address, port)

        self._acceptor = await asyncssh.create_server(
            Server, "127.0.0.1", 0, server_host_keys=[self.host_key], process_factory=self._process
        )
        self._port = self._acceptor.sockets[0].getsockname()[1]

    def target_files(self, directory: Path) -> tuple[Path, Path]:
        """(client key file, known_hosts file) for an SshTarget pointed at this server."""
        directory.mkdir(parents=True, exist_ok=True)
        key = directory / "lab_ssh_key"
        key.write_bytes(self.client_key.export_private_key())
        key.chmod(0o600)
        known = directory / "lab_known_hosts"
        known.write_text(self.known_hosts_line())
        return key, known

    def known_hosts_line(self, name: str = "127.0.0.1", port: int | None = None) -> str:
        """This server's host key as known_hosts has it for `name` (and `port`, this server's by default)."""
        port = self.port if port is None else port
        where = name if port == 22 else f"[{name}]:{port}"
        return f"{where} {self.host_key.export_public_key().decode().strip()}\n"

    async def _process(self, process: Any) -> None:
        command = process.command or ""
        self.commands.append(command)
        try:
            argv = shlex.split(command)
            status, out, err = await asyncio.to_thread(self._execute, argv)
        except ValueError as exc:
            status, out, err = 2, "", f"sh: {exc}\n"
        process.stdout.write(out)
        process.stderr.write(err)
        process.exit(status)

    def _execute(self, argv: list[str]) -> tuple[int, str, str]:
        if argv[:2] == ["rclone", "rc"]:
            return self._rclone(argv[2:])
        if argv[:1] == ["cutover-hydrate"] and len(argv) == 3:
            return self._hydrate(argv[1], argv[2])
        return 127, "", f"sh: {argv[0] if argv else ''}: command not found\n"

    def _rclone(self, args: list[str]) -> tuple[int, str, str]:
        url, method, params = "http://127.0.0.1:5572", "", "{}"
        rest = list(args)
        while rest:
            word = rest.pop(0)
            if word == "--url":
                url = rest.pop(0)
            elif word == "--json":
                params = rest.pop(0)
            else:
                method = word
        request = urllib.request.Request(
            f"{url.rstrip('/')}/{method}", data=params.encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return 0, json.dumps(json.loads(response.read()), indent="\t") + "\n", ""
        except urllib.error.HTTPError as exc:
            detail = json.loads(exc.read() or b"{}").get("error", "")
            return 1, "", f"Failed to rc: failed to read rc response: {exc.code} {exc.reason}: {detail}\n"
        except OSError as exc:
            return 1, "", f"Failed to rc: connection failed: {exc}\n"

    def _hydrate(self, verb: str, argument: str) -> tuple[int, str, str]:
        if verb == "start":
            job_id = f"hydrate-{argument}-{next(self._ids)}"
            self._jobs[job_id] = (argument, time.monotonic())
            return 0, f"started re-hydration of {argument} from object storage\n{job_id}\n", ""
        if verb == "status":
            if argument not in self._jobs:
                return 1, "", f"no such job {argument}\n"
            tenant, started = self._jobs[argument]
            if time.monotonic() - started < self.hydrate_seconds:
                return 0, "running 42% of datasets loaded\n", ""
            if tenant in self.hydrate_fails:
                return 0, f"failed {self.hydrate_fails[tenant]}\n", ""
            return 0, "succeeded all datasets loaded, indexes built\n", ""
        return 2, "", "usage: cutover-hydrate start TENANT | status JOB\n"

    def stop(self) -> None:
        async def close() -> None:
            self._acceptor.close()
            await self._acceptor.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
