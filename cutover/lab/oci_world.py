"""What the local OCI knows: DNS zones and their records, load balancers' backend sets, metric points and
buckets, changed by tests (`set_record`, `put_metric`, ...) and served by `LocalOci`."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any


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
