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

Its identity service (keys, sessions, signature checks) is lab/oci_identity.py; what it knows
(zones, backend sets, metrics, buckets) is lab/oci_world.py; this module serves the requests.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler
from typing import Any

from cutover.lab.local_http import LocalHttpServer, Reply
from cutover.lab.oci_identity import OciIdentity, SignatureError
from cutover.lab.oci_world import DnsRecord, OciWorld, Zone

COMPARTMENT = "ocid1.compartment.oc1..aaaalabcompartment"
NAMESPACE = "labnamespace"


class LocalOci(OciIdentity, LocalHttpServer):
    """The HTTP server. `url` is the service endpoint every OCI client is given; the identity service's
    keys and sessions (OciIdentity) are its own."""

    def __init__(self, world: OciWorld | None = None):
        OciIdentity.__init__(self)
        self.world = world or OciWorld()
        self.faults: dict[str, list[int]] = {}
        self.seen: list[tuple[str, int]] = []  # (operation, status answered)
        self.refused_signatures = 0
        self.refusals: list[str] = []  # why each refused signature was refused
        self._lock = threading.Lock()
        LocalHttpServer.__init__(self, "local-oci")

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
            self.verify_signature(handler, body)
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
