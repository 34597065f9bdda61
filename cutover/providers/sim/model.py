"""What the simulated world is made of: per-tenant parameters, noise, and the
curves the runbooks describe.

Everything here is a pure function of the seed, a tenant and the time, so the
same seed gives the same world however often and by whom it is looked at.
Noise comes from hashing (seed, tenant, time bucket), never from a shared random
generator.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime
from itertools import pairwise
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from cutover.config.regions import REGION_ZONES
from cutover.model.tenant import Tenant

# Tenants a whole-fleet read handles before it lets the event loop run other tasks (a rollback, the job
# runner): the simulated providers are pure CPU, about 20 ms per 1,000 tenants on a 2-core jump host.
YIELD_EVERY = 1_000

GB = 10**9

# --- noise -------------------------------------------------------------------------

MASK64 = _MASK = 0xFFFFFFFFFFFFFFFF


def stable_key(*parts: object) -> int:
    """A 64-bit key for a tuple of values, the same in every process and run."""
    text = "\x1f".join(str(part) for part in parts)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def mix(x: int) -> int:
    """splitmix64's finaliser: a fast, well-spread 64-bit hash of an integer."""
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def unit(h: int, slot: int) -> float:
    """The `slot`-th (0-5) uniform number in [0, 1] carried by a 64-bit hash."""
    return ((h >> (slot * 10)) & 1023) / 1023.0


def uniform(key: int, salt: int, low: float, high: float) -> float:
    return low + (high - low) * (mix(key ^ salt) & 0xFFFFF) / 0xFFFFF


# Salts that keep the tenant's independent draws apart.
S_RATE, S_SPEED, S_ERR, S_UNDERSIZED, S_SYNC, S_WRITE, S_FINAL, S_OBJ, S_P95 = range(101, 110)
S_NODE, S_PASS, S_DNS, S_HYDRATE = range(201, 205)
BUCKET_SPREAD = _BUCKET = 0x9E3779B97F4A7C15  # spreads consecutive time buckets over the hash space


def bucket_hash(key: int, bucket: int) -> int:
    return mix(key ^ ((bucket * _BUCKET) & _MASK))


# --- curves from the runbooks ----------------------------------------------------------

# After a DNS change, share of resolvers that have picked it up, by seconds since it
# became visible, for a TTL of 60 s (the runbook: 30 % after 1 min, 70 % after 2,
# 95 % after 3, 100 % by 5). 3 min is put just above 95 % so that the noise added to
# the observed split never takes it below.
SHIFT_CURVE = ((0.0, 0.0), (60.0, 0.30), (120.0, 0.70), (180.0, 0.96), (240.0, 0.99), (300.0, 1.0))
SHIFT_DONE_S = SHIFT_CURVE[-1][0]


def shift_progress(elapsed: float, cached_ttl: int) -> float:
    """How far traffic has moved to a new routing, 0-1, `elapsed` seconds after resolvers
    could see it. Caches expire by the TTL they hold, so a longer TTL is slower."""
    if elapsed <= 0:
        return 0.0
    scaled = elapsed * 60.0 / max(30, cached_ttl)
    if scaled >= SHIFT_DONE_S:
        return 1.0
    for (t0, p0), (t1, p1) in pairwise(SHIFT_CURVE):
        if scaled <= t1:
            return p0 + (p1 - p0) * (scaled - t0) / (t1 - t0)
    return 1.0


def settle_after(cached_ttl: int) -> float:
    """Seconds after which a routing change has moved all traffic."""
    return SHIFT_DONE_S * max(30, cached_ttl) / 60.0


def initial_sync_seconds(size_bytes: int) -> float:
    """The runbook: 1 GB about 5 min, 100 GB about 2 h; the same power law beyond."""
    size_gb = max(size_bytes / GB, 0.05)
    # 300 s * size^a with 300 * 100^a = 7200: a = log(24) / log(100)
    return max(60.0, 300.0 * size_gb ** (math.log(24) / math.log(100)))


SYNC_INTERVAL_S = 15 * 60.0  # continuous sync: a pass every 15 min keeps OCI < 15 min behind
FINAL_FREEZE_S = 5 * 60.0  # writes held after a final sync, so a verification can prove lag 0
METRICS_PERIOD_S = 60.0  # requests and errors are counted per minute
BACKENDS = 3


def daily_factor(local_hour: float) -> float:
    """Traffic over a day: lowest at 4 AM local (0.2 of peak), highest at 4 PM."""
    return 0.2 + 0.8 * (1.0 - math.cos(2.0 * math.pi * (local_hour - 4.0) / 24.0)) / 2.0


DEFAULT_ZONE = "America/New_York"
_ZONES: dict[str, ZoneInfo] = {}


def zone_for(region: str) -> ZoneInfo:
    name = REGION_ZONES.get(region, DEFAULT_ZONE)
    zone = _ZONES.get(name)
    if zone is None:
        zone = _ZONES[name] = ZoneInfo(name)
    return zone


def local_hour(when: float, zone: ZoneInfo) -> float:
    local = datetime.fromtimestamp(when, zone)
    return local.hour + local.minute / 60.0


# --- a tenant's parameters -------------------------------------------------------------

_TIER_RPM = {"standard": (300.0, 1500.0), "premium": (1500.0, 6000.0), "enterprise": (6000.0, 24000.0)}


class TenantParams(NamedTuple):
    """What stays the same for a tenant in a world: derived from (seed, tenant).

    A named tuple, so that the world can keep it as the plain tuple of its values (`tuple(params)`) and give it its
    names back when asked (`TenantParams._make(values)`, SimWorld.params): see `ParamsValues`."""

    key: int
    zone: ZoneInfo
    peak_rpm: float  # requests a minute at the daily peak
    aws_p95_ms: float
    oci_p95_ms: float
    aws_error_rate: float
    oci_error_rate: float
    undersized: bool  # its OCI cluster needs more OCPUs: slower than AWS (about 1 in 25)
    size_bytes: int
    objects: int
    avg_object_bytes: int
    initial_sync_s: float
    final_sync_s: float
    writes_per_s: float  # new or changed objects a second at the daily peak
    sync_phase_s: float  # offset of its continuous-sync passes within the interval

    @classmethod
    def derive(cls, seed: int, tenant: Tenant) -> TenantParams:
        key = stable_key(seed, tenant.tenant_id)
        low, high = _TIER_RPM.get(tenant.tier, _TIER_RPM["standard"])
        size_gb = max(tenant.size_bytes / GB, 0.1)
        # Bigger tenants have more users; the spread keeps neighbours different.
        peak_rpm = uniform(key, S_RATE, low, high) * (1.0 + 0.15 * math.log10(size_gb + 1.0))
        aws_p95 = tenant.baseline_p95_ms or _default_p95(key, tenant.complexity)
        undersized = (mix(key ^ S_UNDERSIZED) % 25) == 0
        # OCI is on average about 29 % faster (1200 ms -> 850 ms), unless undersized.
        speedup = uniform(key, S_SPEED, 1.3, 1.6) if undersized else uniform(key, S_SPEED, 0.62, 0.80)
        aws_err = (
            tenant.baseline_error_rate
            if tenant.baseline_error_rate is not None
            else uniform(key, S_ERR, 0.0002, 0.0015)
        )
        avg_object = int(uniform(key, S_OBJ, 2e6, 8e6))
        writes_per_s = uniform(key, S_WRITE, 0.6, 1.4) * (0.002 + 0.004 * math.log10(size_gb + 1.0) ** 2)
        return cls(
            key=key,
            zone=zone_for(tenant.region),
            peak_rpm=peak_rpm,
            aws_p95_ms=aws_p95,
            oci_p95_ms=aws_p95 * speedup,
            aws_error_rate=aws_err,
            oci_error_rate=aws_err * uniform(key, S_ERR + 50, 0.5, 0.9),
            undersized=undersized,
            size_bytes=tenant.size_bytes,
            objects=max(20, tenant.size_bytes // avg_object),
            avg_object_bytes=avg_object,
            initial_sync_s=initial_sync_seconds(tenant.size_bytes) * uniform(key, S_SYNC, 0.85, 1.15),
            final_sync_s=min(120.0, 30.0 + 15.0 * math.log10(size_gb + 1.0) * uniform(key, S_FINAL, 0.8, 1.4)),
            writes_per_s=writes_per_s,
            sync_phase_s=uniform(key, S_PASS, 0.0, SYNC_INTERVAL_S),
        )


# A tenant's parameters as the world keeps them (SimWorld.params): the plain tuple of TenantParams' values. CPython
# stops tracking a tuple of plain values (numbers, strings, a time zone) in its first young collection; an instance
# of a class, a named tuple or a slotted dataclass, stays tracked for good. As slotted dataclasses, the world's cache
# at 50,000 tenants was 100,000 tracked objects (with its (version, params) pairs), made by the engine's first
# metrics poll after its start-up freeze: a full collection during that poll walked them all, with the poll's samples
# (83-101 ms). As plain tuples, no collection walks them.
ParamsValues = tuple[Any, ...]


def _default_p95(key: int, complexity: str) -> float:
    low, high = {"simple": (600.0, 950.0), "complex": (1300.0, 2200.0)}.get(complexity, (950.0, 1450.0))
    return uniform(key, S_P95, low, high)
