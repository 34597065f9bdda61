"""An HTTP/1.1 server on 127.0.0.1, in a thread of its own: what the lab's HTTP stand-ins are built on.

Each stand-in (the fault proxy in front of moto, the local OCI, rclone's remote
control, the tenants' application, the Slack webhook) says how it answers one
request; this module does the rest: a free port, a thread per connection,
keep-alive, the body read and the answer written with its length.
"""

from __future__ import annotations

import email.utils
import json
import ssl
import threading
import time
from abc import abstractmethod
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cutover.lab.stoppable import Stoppable

ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
        return cls(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})})

    @classmethod
    def text(cls, status: int, text: str, headers: dict[str, str] | None = None) -> Reply:
        return cls(status, text.encode(), {"Content-Type": "text/plain", **(headers or {})})


class LocalHttpServer(Stoppable):
    """Answers every request with `answer`; started when made, until `stop()` or the end of a `with` block.

    A subclass sets up what `answer` reads before calling `__init__`: requests may
    arrive as soon as it returns.
    """

    methods: tuple[str, ...] = ALL_METHODS  # any other method gets 501, as from a server that does not know it
    date_offset: float = 0.0  # seconds added to the Date header: a server whose clock is off (doctor's skew check)

    def __init__(self, name: str, *, tls: ssl.SSLContext | None = None) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # without it, every request stalls about 43 ms (delayed ACK)

            def log_message(self, format: str, *args: object) -> None:
                pass

            def date_time_string(self, timestamp: float | None = None) -> str:
                return email.utils.formatdate(time.time() + owner.date_offset, usegmt=True)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                reply = owner.answer(self, body)
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

        for method in self.methods:
            setattr(Handler, f"do_{method}", Handler._handle)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        # Checked for a stop every 50 ms (serve_forever's default is 0.5 s): stopping a stand-in is prompt.
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name=name, daemon=True).start()

    @abstractmethod
    def answer(self, request: BaseHTTPRequestHandler, body: bytes) -> Reply: ...

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
