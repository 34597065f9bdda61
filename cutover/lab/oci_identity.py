"""The local OCI's identity service: its API key pair, the config files a client loads it from, session
tokens as `oci session authenticate` and resource principals get them, and the check of every request's
signature (draft-cavage HTTP signatures, rsa-sha256, over date, (request-target), host and, for bodies,
content-length, content-type and x-content-sha256), as OCI makes it."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

TENANCY = "ocid1.tenancy.oc1..aaaalabtenancy"
USER = "ocid1.user.oc1..aaaalabuser"


class SignatureError(Exception):
    pass


class OciIdentity:
    """The lab's user: its API key, the sessions issued, and `verify_signature` for each request."""

    def __init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public_der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.fingerprint = ":".join(f"{b:02x}" for b in hashlib.md5(public_der).digest())
        self.key_id = f"{TENANCY}/{USER}/{self.fingerprint}"
        self.sessions: dict[str, tuple[rsa.RSAPublicKey, float]] = {}  # token -> (session public key, expiry)
        self._sessions_lock = threading.Lock()

    def issue_session(
        self,
        expires_in: float = 3600.0,
        claims: dict[str, Any] | None = None,
        key: rsa.RSAPrivateKey | None = None,
    ) -> tuple[str, rsa.RSAPrivateKey]:
        """A session token and its private key, as the identity service hands them out (for `key`,
        as `oci session refresh` does: a new token, the same key). `expires_in` may be negative:
        a token that has already expired."""
        key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = time.time()
        expires = now + expires_in
        public = key.public_key().public_numbers()

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        def b64_int(number: int) -> str:
            return b64(number.to_bytes((number.bit_length() + 7) // 8, "big"))

        payload = {
            "sub": USER,
            "tenant": TENANCY,
            "iss": "authService.oracle.com",
            "ptype": "user",
            "sess_exp": int(expires),
            "iat": int(min(now, expires) - 60),
            "exp": int(expires),
            "jwk": {"kty": "RSA", "alg": "RS256", "e": b64_int(public.e), "n": b64_int(public.n), "kid": "session"},
            **(claims or {}),
        }
        header = b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "lab"}).encode())
        signed = f"{header}.{b64(json.dumps(payload).encode())}"
        signature = self.private_key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
        token = f"{signed}.{b64(signature)}"
        with self._sessions_lock:
            self.sessions[token] = (key.public_key(), expires)
        return token, key

    def write_session_config(
        self,
        directory: Path,
        profile: str = "SESSION",
        region: str = "us-ashburn-1",
        expires_in: float = 3600.0,
        wrong_key: bool = False,
    ) -> Path:
        """The profile `oci session authenticate` writes: fingerprint, key_file, tenancy, region and
        security_token_file, and no user. With `wrong_key`, key_file holds another key than the
        one the token was issued for."""
        token, session_key = self.issue_session(expires_in)
        written_key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if wrong_key else session_key
        sessions = directory / "sessions" / profile
        sessions.mkdir(parents=True, exist_ok=True)
        key_file = sessions / "oci_api_key.pem"
        key_file.write_bytes(
            written_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        key_file.chmod(0o600)
        token_file = sessions / "token"
        token_file.write_text(token)
        token_file.chmod(0o600)
        public_der = written_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        fingerprint = ":".join(f"{b:02x}" for b in hashlib.md5(public_der).digest())
        config = directory / "config"
        existing = config.read_text() if config.exists() else ""
        config.write_text(
            existing + f"[{profile}]\nfingerprint={fingerprint}\nkey_file={key_file}\ntenancy={TENANCY}\n"
            f"region={region}\nsecurity_token_file={token_file}\n"
        )
        config.chmod(0o600)
        return config

    def write_oci_config(
        self, directory: Path, profile: str = "DEFAULT", region: str = "us-ashburn-1", pass_phrase: str | None = None
    ) -> Path:
        """An OCI config file and its key, as `oci setup config` would write them (the key encrypted
        with `pass_phrase`, when one is given)."""
        directory.mkdir(parents=True, exist_ok=True)
        key_file = directory / "lab_api_key.pem"
        encryption = (
            serialization.BestAvailableEncryption(pass_phrase.encode()) if pass_phrase else serialization.NoEncryption()
        )
        key_file.write_bytes(
            self.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
        )
        key_file.chmod(0o600)
        config = directory / "config"
        config.write_text(
            f"[{profile}]\nuser={USER}\nfingerprint={self.fingerprint}\ntenancy={TENANCY}\n"
            f"region={region}\nkey_file={key_file}\n" + (f"pass_phrase={pass_phrase}\n" if pass_phrase else "")
        )
        config.chmod(0o600)
        return config

    def verify_signature(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        """Raises SignatureError saying why a request's signature is refused."""
        authorization = handler.headers.get("Authorization", "")
        if not authorization.startswith("Signature "):
            raise SignatureError("the request is not signed")
        fields = dict(re.findall(r'(\w+)="([^"]*)"', authorization))
        key_id = fields.get("keyId", "")
        if key_id.startswith("ST$"):  # a session token: the session's own key signs
            with self._sessions_lock:
                session = self.sessions.get(key_id[3:])
            if session is None:
                raise SignatureError("unknown security token")
            public_key, expires = session
            if time.time() > expires:
                raise SignatureError("the security token has expired")
        elif key_id == self.key_id:
            public_key = self.private_key.public_key()
        else:
            raise SignatureError("unknown key id")
        if fields.get("algorithm") != "rsa-sha256":
            raise SignatureError("the algorithm must be rsa-sha256")
        names = fields.get("headers", "").split()
        required = ["date", "(request-target)", "host"]
        if handler.command in ("POST", "PUT", "PATCH"):
            required += ["content-length", "content-type", "x-content-sha256"]
            digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
            if handler.headers.get("x-content-sha256") != digest:
                raise SignatureError("x-content-sha256 does not match the body")
        if any(name not in names for name in required):
            raise SignatureError(f"the signature must cover {' '.join(required)}")
        lines = []
        for name in names:
            if name == "(request-target)":
                lines.append(f"(request-target): {handler.command.lower()} {handler.path}")
            else:
                value = handler.headers.get(name)
                if value is None:
                    raise SignatureError(f"signed header {name} is missing")
                lines.append(f"{name}: {value}")
        try:
            public_key.verify(
                base64.b64decode(fields.get("signature", "")),
                "\n".join(lines).encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except Exception:
            raise SignatureError("the signature does not verify") from None
        sent = handler.headers.get("date", "")
        try:
            when = dt.datetime.strptime(sent, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=dt.UTC)
        except ValueError:
            raise SignatureError("the date header is not an HTTP date") from None
        if abs((dt.datetime.now(dt.UTC) - when).total_seconds()) > 300:
            raise SignatureError("the date is more than 5 minutes off")
