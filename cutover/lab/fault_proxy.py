"""A proxy in front of moto that makes AWS misbehave on request, the way AWS does.

It injects Throttling, PriorRequestNotComplete, 5xx answers, slow answers, a
Route 53 refusal (InvalidChangeBatch, as real Route 53 sends when a DELETE no
longer matches), change statuses held at PENDING, and an AccessDenied that
echoes the request's credentials back (to prove none reaches a log or the store), an ExpiredToken
(temporary credentials past their expiry); and it records every request it forwards, with the time
it arrived and the region it was signed for, so tests can count calls, check pacing and see which
region a client used.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Literal
from xml.sax.saxutils import escape

from cutover.lab.local_http import LocalHttpServer, Reply

FaultKind = Literal["throttle", "prior_request", "server_error", "slow", "pending", "reject", "forbidden", "expired"]


@dataclass
class Fault:
    kind: FaultKind
    operation: str  # the AWS operation it applies to: "ChangeResourceRecordSets", "GetChange", "GetMetricData"...
    times: int = 1  # how many requests it hits
    status: int = 503  # server_error
    delay: float = 0.0  # slow: seconds between the service's answer and passing it on
    message: str = ""  # reject: the InvalidChangeBatch message


@dataclass(frozen=True)
class Seen:
    at: float  # time.monotonic() when the request arrived
    operation: str
    method: str
    path: str
    answered: int  # HTTP status sent back
    region: str = ""  # the region of the SigV4 signature's credential scope (never the key or the signature)


_ROUTE53 = [
    (re.compile(r"^POST /2013-04-01/hostedzone/[^/]+/rrset/?$"), "ChangeResourceRecordSets"),
    (re.compile(r"^GET /2013-04-01/hostedzone/[^/]+/rrset/?$"), "ListResourceRecordSets"),
    (re.compile(r"^GET /2013-04-01/change/"), "GetChange"),
    (re.compile(r"^GET /2013-04-01/hostedzonesbyname"), "ListHostedZonesByName"),
    (re.compile(r"^GET /2013-04-01/hostedzone/[^/]+$"), "GetHostedZone"),
    (re.compile(r"^POST /2013-04-01/hostedzone/?$"), "CreateHostedZone"),
    (re.compile(r"^GET /2013-04-01/hostedzone/?$"), "ListHostedZones"),
]


def operation_of(method: str, path: str, headers: dict[str, str], body: bytes) -> str:
    target = headers.get("x-amz-target", "")
    if target:
        return target.rsplit(".", 1)[-1]
    if body and b"Action=" in body[:200]:
        form = urllib.parse.parse_qs(body.decode(errors="replace"))
        if form.get("Action"):
            return form["Action"][0]
    plain = urllib.parse.urlsplit(path).path
    for pattern, name in _ROUTE53:
        if pattern.match(f"{method} {plain}"):
            return name
    return f"{method} {plain}"


_CREDENTIAL_HEADERS = ("authorization", "x-amz-security-token")
# AWS4-HMAC-SHA256 Credential=KEY/20240101/eu-west-1/monitoring/aws4_request, ...
_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/")


def signed_region(headers: dict[str, str]) -> str:
    found = _SCOPE.search(headers.get("authorization", ""))
    return found.group(1) if found else ""


def _error_xml(code: str, message: str) -> bytes:
    return (
        '<?xml version="1.0"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
        f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>fault-proxy</RequestId></ErrorResponse>"
    ).encode()


class FaultProxy(LocalHttpServer):
    methods = ("GET", "HEAD", "POST", "PUT", "DELETE")

    def __init__(self, upstream: str):
        parts = urllib.parse.urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        super().__init__("fault-proxy")

    def inject(self, kind: FaultKind, operation: str, **options: object) -> Fault:
        fault = Fault(kind, operation, **options)  # type: ignore[arg-type]
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()
            self.seen.clear()

    def calls(self, operation: str) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.seen if seen.operation == operation]

    def _take(self, operation: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.operation == operation and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> Reply:
        arrived = time.monotonic()
        headers = {key.lower(): value for key, value in handler.headers.items()}
        operation = operation_of(handler.command, handler.path, headers, body)
        fault = self._take(operation)
        status, reply = 0, b""
        reply_headers: dict[str, str] = {}
        if fault and fault.kind == "throttle":
            status, reply = 400, _error_xml("Throttling", "Rate exceeded")
        elif fault and fault.kind == "prior_request":
            status, reply = (
                400,
                _error_xml(
                    "PriorRequestNotComplete",
                    "The request was rejected because Route 53 was still processing a prior request.",
                ),
            )
        elif fault and fault.kind == "server_error":
            status, reply = fault.status, _error_xml("ServiceUnavailable", "Service Unavailable")
        elif fault and fault.kind == "reject":
            status, reply = 400, _error_xml("InvalidChangeBatch", fault.message)
        elif fault and fault.kind == "expired":
            status, reply = 403, _error_xml("ExpiredToken", "The security token included in the request is expired")
        elif fault and fault.kind == "forbidden":  # as a careless gateway does: the request's credentials echoed
            echoed = " ".join(f"{name}: {headers[name]}" for name in _CREDENTIAL_HEADERS if name in headers)
            status, reply = 403, _error_xml("AccessDenied", escape(f"User is not authorized; request was {echoed}"))
        else:
            status, reply_headers, reply = self._forward(handler, body)
            if fault and fault.kind == "slow":  # the service did the work; its answer is late
                time.sleep(fault.delay)
            if fault and fault.kind == "pending":
                reply = reply.replace(b"<Status>INSYNC</Status>", b"<Status>PENDING</Status>")
        with self._lock:
            self.seen.append(Seen(arrived, operation, handler.command, handler.path, status, signed_region(headers)))
        passed_on = {
            key: value
            for key, value in reply_headers.items()
            if key.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date")
        }
        return Reply(status, reply, passed_on if reply_headers else {"Content-Type": "text/xml"})

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("connection", "host")}
            headers["Host"] = f"{self.upstream_host}:{self.upstream_port}"
            connection.request(handler.command, handler.path, body=body or None, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()
