"""A local OCI endpoint: DNS zone records, load-balancer health, Monitoring and Object Storage.

It verifies every request's signature the way OCI does (draft-cavage HTTP
signatures, rsa-sha256, over date, (request-target), host and, for bodies,
content-length, content-type and x-content-sha256) against the public key of a
key pair it generates, and answers in OCI's JSON shapes. `write_oci_config`
writes the matching ~/.oci/config-style file, so providers load credentials
through the SDK's standard config-file chain.

It also issues session tokens, as OCI's identity service does for `oci session
authenticate` and for resource principals: a JWT naming the session's own public
key, signed by the endpoint. A request signed with keyId `ST$<token>` is verified
against that session key, and refused once the token has expired.
`write_session_config` writes the profile `oci session authenticate` would (no
user; key_file and security_token_file under sessions/PROFILE).

Faults can be injected per operation (a status code for the next N requests) to
test retries; every request is recorded with its operation name.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from cutover.lab.local_http import LocalHttpServer, Reply

TENANCY = "ocid1.tenancy.oc1..aaaalabtenancy"
USER = "ocid1.user.oc1..aaaalabuser"
COMPARTMENT = "ocid1.compartment.oc1..aaaalabcompartment"
NAMESPACE = "labnamespace"


@dataclass
class DnsRecord:
    domain: str
    rtype: str
    rdata: str
    ttl: int

    def to_json(self, zone_version: int) -> dict[str, Any]:
        digest = hashlib.md5(f"{self.domain}|{self.rtype}|{self.rdata}|{self.ttl}".encode()).hexdigest()
        return {
            "domain": self.domain,
            "rtype": self.rtype,
            "rdata": self.rdata,
            "ttl": self.ttl,
            "recordHash": digest,
            "isProtected": False,
            "rrsetVersion": str(zone_version),
        }


@dataclass
class Zone:
    name: str
    records: list[DnsRecord] = field(default_factory=list)
    version: int = 1

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


@dataclass
class BackendSet:
    backends: list[str]
    down: set[str] = field(default_factory=set)

    def health(self) -> dict[str, Any]:
        total = len(self.backends)
        critical = [name for name in self.backends if name in self.down]
        healthy = total - len(critical)
        if total == 0:
            status = "UNKNOWN"
        elif healthy == total:
            status = "OK"
        elif healthy * 2 >= total:
            status = "WARNING"
        else:
            status = "CRITICAL"
        return {
            "status": status,
            "warningStateBackendNames": [],
            "criticalStateBackendNames": critical,
            "unknownStateBackendNames": [],
            "totalBackendCount": total,
        }


class OciWorld:
    """What the local OCI knows: zones, load balancers, metric points, buckets."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.zones: dict[str, Zone] = {}
        self.load_balancers: dict[str, dict[str, BackendSet]] = {}
        # (lb id, backend set, metric name) -> {minute timestamp: value}
        self.metrics: dict[tuple[str, str, str], dict[float, float]] = {}
        self.buckets: dict[str, dict[str, bytes]] = {}

    def add_zone(self, name: str) -> Zone:
        with self.lock:
            return self.zones.setdefault(name, Zone(name))

    def set_record(self, zone: str, domain: str, rdata: str, ttl: int = 60, rtype: str = "A") -> None:
        with self.lock:
            found = self.add_zone(zone)
            found.records = [r for r in found.records if not (r.domain == domain and r.rtype == rtype)]
            found.records.append(DnsRecord(domain, rtype, rdata, ttl))
            found.version += 1

    def add_backend_set(self, lb_id: str, name: str, backends: int = 3) -> None:
        with self.lock:
            self.load_balancers.setdefault(lb_id, {})[name] = BackendSet([f"10.0.{i}.10:8080" for i in range(backends)])

    def put_metric(self, lb_id: str, backend_set: str, metric: str, at: float, value: float) -> None:
        with self.lock:
            self.metrics.setdefault((lb_id, backend_set, metric), {})[at - at % 60] = value

    def put_object(self, bucket: str, name: str, body: bytes) -> None:
        with self.lock:
            self.buckets.setdefault(bucket, {})[name] = body


class SignatureError(Exception):
    pass


class LocalOci(LocalHttpServer):
    """The HTTP server. `url` is the service endpoint every OCI client is given."""

    def __init__(self, world: OciWorld | None = None):
        self.world = world or OciWorld()
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public_der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.fingerprint = ":".join(f"{b:02x}" for b in hashlib.md5(public_der).digest())
        self.key_id = f"{TENANCY}/{USER}/{self.fingerprint}"
        self.faults: dict[str, list[int]] = {}
        self.seen: list[tuple[str, int]] = []  # (operation, status answered)
        self.refused_signatures = 0
        self.refusals: list[str] = []  # why each refused signature was refused
        self.sessions: dict[str, tuple[rsa.RSAPublicKey, float]] = {}  # token -> (session public key, expiry)
        self._lock = threading.Lock()
        super().__init__("local-oci")

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
        with self._lock:
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

    def inject(self, operation: str, status: int, times: int = 1) -> None:
        with self._lock:
            self.faults.setdefault(operation, []).extend([status] * times)

    def calls(self, operation: str) -> int:
        with self._lock:
            return sum(1 for name, _ in self.seen if name == operation)

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()
            self.seen.clear()
            self.refusals.clear()
            self.refused_signatures = 0

    # --- serving ------------------------------------------------------------------------

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> Reply:
        parts = urllib.parse.urlsplit(handler.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(parts.query).items()}
        route = _route(handler.command, parts.path)
        operation = route[0] if route else "unknown"
        status, payload, headers = 404, {"code": "NotFound", "message": "no such endpoint"}, {}
        try:
            self._verify(handler, body)
        except SignatureError as exc:
            with self._lock:
                self.refused_signatures += 1
                self.refusals.append(str(exc))
            status, payload = 401, {"code": "NotAuthenticated", "message": str(exc)}
        else:
            fault = None
            with self._lock:
                queue = self.faults.get(operation)
                if queue:
                    fault = queue.pop(0)
            if fault is not None:
                code = "TooManyRequests" if fault == 429 else "InternalServerError"
                status, payload = fault, {"code": code, "message": f"injected {fault}"}
            elif route is not None:
                name, params = route
                status, payload, headers = getattr(self, f"_{name}")(params, query, body, handler)
        with self._lock:
            self.seen.append((operation, status))
            request_id = f"lab/{len(self.seen)}"
        return Reply.json(status, payload, {"opc-request-id": request_id, **headers})

    def _verify(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        authorization = handler.headers.get("Authorization", "")
        if not authorization.startswith("Signature "):
            raise SignatureError("the request is not signed")
        fields = dict(re.findall(r'(\w+)="([^"]*)"', authorization))
        key_id = fields.get("keyId", "")
        if key_id.startswith("ST$"):  # a session token: the session's own key signs
            with self._lock:
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

    # --- DNS --------------------------------------------------------------------------

    def _zone(self, name: str) -> Zone | None:
        return self.world.zones.get(name.rstrip("."))

    def _get_zone_records(self, params: dict[str, str], query: dict[str, str], body: bytes, handler: Any) -> Any:
        with self.world.lock:
            zone = self._zone(params["zone"])
            if zone is None:
                return 404, {"code": "NotAuthorizedOrNotFound", "message": "zone not found"}, {}
            records = [
                r
                for r in sorted(zone.records, key=lambda r: (r.domain, r.rtype, r.rdata))
                if (not query.get("domain") or r.domain == query["domain"].rstrip("."))
                and (not query.get("rtype") or r.rtype == query["rtype"])
            ]
            limit = min(int(query.get("limit", 50)), 100)
            start = int(query.get("page", 0))
            page = records[start : start + limit]
            headers = {"etag": zone.etag, "opc-total-items": str(len(records))}
            if start + limit < len(records):
                headers["opc-next-page"] = str(start + limit)
            return 200, {"items": [r.to_json(zone.version) for r in page]}, headers

    def _patch_zone_records(self, params: dict[str, str], query: dict[str, str], body: bytes, handler: Any) -> Any:
        with self.world.lock:
            zone = self._zone(params["zone"])
            if zone is None:
                return 404, {"code": "NotAuthorizedOrNotFound", "message": "zone not found"}, {}
            if_match = handler.headers.get("if-match")
            if if_match and if_match != zone.etag:
                return 412, {"code": "PreconditionFailed", "message": "the zone changed (etag)"}, {}
            records = list(zone.records)
            for item in json.loads(body or b"{}").get("items", []):
                domain = str(item.get("domain", "")).rstrip(".")
                rtype, rdata, ttl = item.get("rtype"), item.get("rdata"), item.get("ttl")

                def matches(
                    record: DnsRecord, domain: str = domain, rtype: Any = rtype, rdata: Any = rdata, ttl: Any = ttl
                ) -> bool:
                    return (
                        record.domain == domain
                        and (rtype is None or record.rtype == rtype)
                        and (rdata is None or record.rdata == rdata)
                        and (ttl is None or record.ttl == ttl)
                    )

                operation = item.get("operation")
                if operation == "REQUIRE" and not any(matches(r) for r in records):
                    return (
                        412,
                        {
                            "code": "PreconditionFailed",
                            "message": f"required record {domain} {rtype} {rdata} is not present",
                        },
                        {},
                    )
                if operation == "PROHIBIT" and any(matches(r) for r in records):
                    return (
                        412,
                        {
                            "code": "PreconditionFailed",
                            "message": f"prohibited record {domain} {rtype} {rdata} is present",
                        },
                        {},
                    )
                if operation == "REMOVE":
                    records = [r for r in records if not matches(r)]
                if operation == "ADD":
                    if not (domain == zone.name or domain.endswith("." + zone.name)):
                        return 400, {"code": "InvalidParameter", "message": f"{domain} is not in {zone.name}"}, {}
                    records.append(DnsRecord(domain, str(rtype), str(rdata), int(ttl or 300)))
            zone.records = records
            zone.version += 1
            return 200, {"items": [r.to_json(zone.version) for r in records]}, {"etag": zone.etag}

    # --- load balancer -------------------------------------------------------------------

    def _get_backend_set_health(self, params: dict[str, str], query: dict[str, str], body: bytes, handler: Any) -> Any:
        with self.world.lock:
            backend_set = self.world.load_balancers.get(params["lb"], {}).get(urllib.parse.unquote(params["bs"]))
            if backend_set is None:
                return 404, {"code": "NotAuthorizedOrNotFound", "message": "backend set not found"}, {}
            return 200, backend_set.health(), {}

    def _list_load_balancer_healths(
        self, params: dict[str, str], query: dict[str, str], body: bytes, handler: Any
    ) -> Any:
        with self.world.lock:
            summaries = []
            for lb_id, sets in sorted(self.world.load_balancers.items()):
                statuses = [bs.health()["status"] for bs in sets.values()]
                worst = next((s for s in ("CRITICAL", "WARNING", "UNKNOWN") if s in statuses), "OK")
                summaries.append({"loadBalancerId": lb_id, "status": worst})
            limit = min(int(query.get("limit", 100)), 1000)
            start = int(query.get("page", 0))
            headers = {"opc-next-page": str(start + limit)} if start + limit < len(summaries) else {}
            return 200, summaries[start : start + limit], headers

    # --- monitoring ------------------------------------------------------------------------

    def _summarize_metrics_data(self, params: dict[str, str], query: dict[str, str], body: bytes, handler: Any) -> Any:
        request = json.loads(body or b"{}")
        parsed = parse_mql(str(request.get("query", "")))
        if parsed is None or request.get("namespace") != "oci_lbaas":
            return 400, {"code": "InvalidParameter", "message": "the lab understands oci_lbaas MQL only"}, {}
        metric, filters, group_by, aggregation = parsed
        start = _parse_time(request["startTime"])
        end = _parse_time(request["endTime"])
        results = []
        with self.world.lock:
            for (lb_id, backend_set, name), points in self.world.metrics.items():
                dims = {"resourceId": lb_id, "backendSetName": backend_set, "lbComponent": "Backendset"}
                if name != metric or any(dims.get(k) != v for k, v in filters.items()):
                    continue
                window = sorted((t, v) for t, v in points.items() if start <= t < end)
                if not window:
                    continue
                results.append(
                    {
                        "namespace": "oci_lbaas",
                        "compartmentId": COMPARTMENT,
                        "name": metric,
                        "dimensions": {k: dims[k] for k in group_by} if group_by else dims,
                        "aggregatedDatapoints": [{"timestamp": _format_time(t), "value": value} for t, value in window],
                        "resolution": request.get("resolution", "1m"),
                        "metadata": {"aggregation": aggregation},
                    }
                )
        return 200, results, {}

    # --- object storage ----------------------------------------------------------------------

    def _list_objects(self, params: dict[str, str], query: dict[str, str], body: bytes, handler: Any) -> Any:
        if params["ns"] != NAMESPACE:
            return 404, {"code": "NamespaceNotFound", "message": "no such namespace"}, {}
        with self.world.lock:
            bucket = self.world.buckets.get(params["bucket"])
            if bucket is None:
                return 404, {"code": "BucketNotFound", "message": "no such bucket"}, {}
            names = sorted(name for name in bucket if name >= query.get("start", ""))
            limit = min(int(query.get("limit", 1000)), 1000)
            page = names[:limit]
            objects = [
                {
                    "name": name,
                    "size": len(bucket[name]),
                    "md5": base64.b64encode(hashlib.md5(bucket[name]).digest()).decode(),
                    "etag": hashlib.sha1(bucket[name]).hexdigest(),
                }
                for name in page
            ]
            answer: dict[str, Any] = {"objects": objects, "prefixes": []}
            if len(names) > limit:
                answer["nextStartWith"] = names[limit]
            return 200, answer, {}


_ROUTES = [
    ("GET", re.compile(r"^/20180115/zones/(?P<zone>[^/]+)/records$"), "get_zone_records"),
    ("PATCH", re.compile(r"^/20180115/zones/(?P<zone>[^/]+)/records$"), "patch_zone_records"),
    (
        "GET",
        re.compile(r"^/20170115/loadBalancers/(?P<lb>[^/]+)/backendSets/(?P<bs>[^/]+)/health$"),
        "get_backend_set_health",
    ),
    ("GET", re.compile(r"^/20170115/loadBalancerHealths$"), "list_load_balancer_healths"),
    ("POST", re.compile(r"^/20180401/metrics/actions/summarizeMetricsData$"), "summarize_metrics_data"),
    ("GET", re.compile(r"^/n/(?P<ns>[^/]+)/b/(?P<bucket>[^/]+)/o$"), "list_objects"),
]


def _route(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    for verb, pattern, name in _ROUTES:
        match = pattern.match(path)
        if verb == method and match:
            return name, {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
    return None


_MQL = re.compile(
    r"^(?P<metric>\w+)\[(?P<interval>\d+[mh])\]"
    r"(?:\{(?P<filters>[^}]*)\})?"
    r"(?:\.groupBy\((?P<group>[^)]*)\))?"
    r"\.(?P<agg>sum|mean|max|min|count|rate|percentile)\((?P<arg>[^)]*)\)$"
)


def parse_mql(text: str) -> tuple[str, dict[str, str], list[str], str] | None:
    """The slice of MQL cutover sends: metric[interval]{k = "v", ...}.groupBy(a, b).aggregation()."""
    match = _MQL.match(text.replace(" ", ""))
    if not match:
        return None
    filters = dict(re.findall(r'(\w+)="([^"]*)"', match.group("filters") or ""))
    group = [g for g in (match.group("group") or "").split(",") if g]
    return match.group("metric"), filters, group, match.group("agg")


def _parse_time(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _format_time(stamp: float) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
