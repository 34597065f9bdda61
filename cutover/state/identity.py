"""Who is acting: the operator, the host and, over SSH, the client's address."""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    operator: str
    host: str
    ssh_client: str = ""

    @classmethod
    def current(cls, operator: str = "", environ: dict[str, str] | None = None) -> Actor:
        environ = dict(os.environ) if environ is None else environ
        if not operator:
            try:
                operator = getpass.getuser()
            except (KeyError, OSError):
                operator = "unknown"
        # SSH_CLIENT is "address client-port server-port"; keep the address only.
        ssh = (environ.get("SSH_CLIENT") or environ.get("SSH_CONNECTION") or "").split()
        return cls(operator=operator, host=socket.gethostname(), ssh_client=ssh[0] if ssh else "")

    def __str__(self) -> str:
        via = f" via {self.ssh_client}" if self.ssh_client else ""
        return f"{self.operator}@{self.host}{via}"
