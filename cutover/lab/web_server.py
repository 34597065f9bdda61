"""Local HTTP endpoints: the tenants' OCI application (for the validation suite) and a Slack webhook.

The application answers for every tenant on one port, telling them apart by the
Host header, as an OCI load balancer in front of many tenants would. Tenants can
be made slow, down, or failing a named check.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import ssl
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from cutover.lab.local_http import LocalHttpServer, Reply

LAB_LOGIN = {"user": "lab-e2e", "password": "lab-only"}


@dataclass(frozen=True)
class LabTls:
    """A CA of the lab's own and a certificate for `*.<zone>` it signed, as PEM files."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    @classmethod
    def create(cls, directory: Path, zone: str) -> LabTls:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        directory.mkdir(parents=True, exist_ok=True)
        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cutover lab CA")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=7))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"*.{zone}")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(f"*.{zone}")]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        tls = cls(directory / "lab-ca.pem", directory / "lab-tenants.pem", directory / "lab-tenants-key.pem")
        tls.ca_file.write_bytes(ca.public_bytes(pem))
        tls.cert_file.write_bytes(cert.public_bytes(pem))
        tls.key_file.write_bytes(
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
        tls.key_file.chmod(0o600)
        return tls


@dataclass
class TenantBehaviour:
    down: bool = False
    query_ms: float = 40.0
    failing: dict[str, str] = field(default_factory=dict)  # check name -> evidence


class TenantApp(LocalHttpServer):
    """With `tls`, it serves HTTPS with a certificate for `*.<zone>` signed by the lab's own CA."""

    methods = ("GET", "HEAD", "POST")

    def __init__(self, tls: LabTls | None = None) -> None:
        self.behaviour: dict[str, TenantBehaviour] = {}
        self.requests: list[tuple[str, str, str]] = []  # (host, method, path)
        self.server_names: list[str] = []  # SNI names clients asked for
        self._sessions: set[str] = set()
        context = None
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls.cert_file, tls.key_file)
            context.sni_callback = lambda sock, name, ctx: self.server_names.append(name or "")
        super().__init__("lab-tenant-app", tls=context)

    def tenant(self, dns_name: str) -> TenantBehaviour:
        return self.behaviour.setdefault(dns_name, TenantBehaviour())

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> Reply:
        host = (handler.headers.get("Host") or "").split(":")[0]
        self.requests.append((host, handler.command, handler.path))
        tenant = self.tenant(host)
        if tenant.down:
            return Reply.json(503, {"error": "no healthy backend"})
        path = handler.path.split("?")[0]
        if path == "/health":
            return Reply.json(200, {"status": "ok", "tenant": host})
        if path == "/api/login" and handler.command == "POST":
            try:
                login = json.loads(body or b"{}")
            except ValueError:
                login = {}
            if login != LAB_LOGIN:
                return Reply.json(401, {"error": "bad login"})
            session = secrets.token_hex(8)
            self._sessions.add(session)
            return Reply.json(200, {"ok": True}, {"Set-Cookie": f"session={session}; Path=/"})
        if path in ("/api/dashboard", "/api/query"):
            cookie = handler.headers.get("Cookie", "")
            if not any(f"session={s}" in cookie for s in self._sessions):
                return Reply.json(401, {"error": "log in first"})
            if path == "/api/query":
                time.sleep(tenant.query_ms / 1000)
                return Reply.json(200, {"rows": 1})
            return Reply.json(200, {"widgets": 12})
        if path.startswith("/validate/"):
            name = path.removeprefix("/validate/")
            if name in tenant.failing:
                return Reply.json(200, {"passed": False, "evidence": tenant.failing[name]})
            return Reply.json(200, {"passed": True, "evidence": f"{name} ok on {host}"})
        return Reply.json(404, {"error": "not found"})


class SlackSink(LocalHttpServer):
    """A Slack incoming webhook: keeps what it was sent; answers with queued failures first."""

    methods = ("GET", "HEAD", "POST")

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.failures: list[tuple[int, str, dict[str, str]]] = []
        super().__init__("lab-slack")

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/services/TLAB/BLAB/labsecretpart"

    def fail(self, status: int, text: str, headers: dict[str, str] | None = None, times: int = 1) -> None:
        self.failures += [(status, text, headers or {})] * times

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> Reply:
        if not handler.path.startswith("/services/"):
            return Reply.text(404, "no_service")
        if self.failures:
            status, text, headers = self.failures.pop(0)
            return Reply.text(status, text, headers)
        try:
            self.posts.append(json.loads(body))
        except ValueError:
            return Reply.text(400, "invalid_payload")
        return Reply.text(200, "ok")
