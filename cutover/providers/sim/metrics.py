"""Simulated metrics: CloudWatch for the AWS side, OCI Monitoring for the OCI side.

Per tenant and side, the requests, 5xx and p95 of the last minute, a new
datapoint every 10 s. Requests follow a day/night curve in the tenant's local
time and split between the sides as DNS has moved them (with the noise of real
resolvers); errors and p95 sit around each tenant's baseline, OCI on average
about 29 % faster. The whole fleet is one loop over precomputed parameters, so a
10,000-tenant snapshot stays in tens of milliseconds.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from operator import itemgetter

from cutover.config.settings import SIM_METRICS_RESOLUTION_S as METRICS_RESOLUTION_S
from cutover.model.tenant import Tenant
from cutover.providers.ports.metrics import MetricsSnapshot, SideColumns
from cutover.providers.sim.model import (
    BUCKET_SPREAD,
    MASK64,
    METRICS_PERIOD_S,
    YIELD_EVERY,
    TenantParams,
    daily_factor,
    local_hour,
)
from cutover.providers.sim.world import SimWorld

SOURCE = "sim-metrics"
AWS_SOURCE = "sim-cloudwatch"
OCI_SOURCE = "sim-oci-monitoring"
METRIC_FAULTS = ("error_spike", "latency_regression", "metrics_silent")
SPLIT_NOISE = 0.15  # how far the observed split wanders from DNS's, relative to the smaller side
NAN = math.nan
U = 1.0 / 1023.0  # ten bits of the hash -> [0, 1], as model.unit
# A snapshot reads these of a tenant's parameters by position, straight from the tuple the world keeps.
_METRICS_PARAMS = itemgetter(
    *(
        TenantParams._fields.index(name)
        for name in ("key", "zone", "peak_rpm", "aws_p95_ms", "oci_p95_ms", "aws_error_rate", "oci_error_rate")
    )
)


def _sides(fault_side: str) -> tuple[bool, bool]:
    """(AWS, OCI) touched by a fault's `side` parameter."""
    return fault_side in ("aws", "both"), fault_side in ("oci", "both")


class SimMetrics:
    source = SOURCE

    def __init__(self, world: SimWorld):
        self.world = world

    async def snapshot(self, tenants: Sequence[Tenant]) -> MetricsSnapshot:
        world = self.world
        world.refresh()
        now = world.clock.now()
        measured = math.floor(now / METRICS_RESOLUTION_S) * METRICS_RESOLUTION_S
        bucket = int(measured // METRICS_RESOLUTION_S)
        scale = METRICS_PERIOD_S / 60.0
        everyone, per_tenant = world.faults_at(measured, METRIC_FAULTS)
        silent_aws = silent_oci = False
        for fault in everyone:
            if fault.kind == "metrics_silent":
                aws, oci = _sides(fault.params.get("side", "oci"))
                silent_aws, silent_oci = silent_aws or aws, silent_oci or oci

        count = len(tenants)
        aws_req, aws_err, aws_p95, aws_at = [NAN] * count, [NAN] * count, [NAN] * count, [NAN] * count
        oci_req, oci_err, oci_p95, oci_at = [NAN] * count, [NAN] * count, [NAN] * count, [NAN] * count
        days: dict[object, float] = {}
        records = world.records
        params_values = world.params_values
        cached_params = world.cached_params
        common_faults = [f for f in everyone if f.kind != "metrics_silent"]
        salt = (bucket * BUCKET_SPREAD) & MASK64

        # One pass over the fleet with the hash and the noise inlined: this loop is
        # the 10,000-tenant snapshot's whole cost (see benchmarks/bench_snapshot.py).
        for i, tenant in enumerate(tenants):
            if i and i % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            tenant_id = tenant.tenant_id
            cached = cached_params.get(tenant_id)
            values = cached[1] if cached is not None and cached[0] == tenant.version else params_values(tenant)
            key, zone, peak_rpm, aws_p95_ms, oci_p95_ms, aws_rate, oci_rate = _METRICS_PARAMS(values)
            record = records.get(tenant_id)
            if record is None:
                oci_share = lost = 0.0
            elif (
                measured >= record.settled_at
                and record.targets[0] == tenant.aws_target
                and record.targets[1] == tenant.oci_target
            ):
                oci_share, lost = record.split
            else:
                oci_share, lost = record.share_at(tenant.aws_target, tenant.oci_target, measured)
            day = days.get(zone)
            if day is None:
                day = days[zone] = daily_factor(local_hour(measured, zone))
            # mix(key ^ salt), as model.bucket_hash, inlined
            h = key ^ salt
            h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
            h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & MASK64
            h ^= h >> 31
            total = int(peak_rpm * scale * day * (0.92 + 0.16 * (h & 1023) * U) * (1.0 - lost) + 0.5)
            aws_share = 1.0 - oci_share - lost
            served = oci_share + aws_share
            if served <= 0.0:
                n_aws = n_oci = 0
            elif oci_share == 0.0:
                n_aws, n_oci = total, 0
            elif aws_share <= 0.0:
                n_aws, n_oci = 0, total
            else:
                oci_part = oci_share / served
                smaller = oci_part if oci_part < 0.5 else 1.0 - oci_part
                oci_part += SPLIT_NOISE * smaller * (2.0 * ((h >> 10) & 1023) * U - 1.0)
                # The minority side is rounded down, so noise never overstates it.
                if oci_part >= 0.5:
                    n_aws = int(total * (1.0 - oci_part))
                    n_oci = total - n_aws
                else:
                    n_oci = int(total * oci_part)
                    n_aws = total - n_oci

            aws_spread = oci_spread = 0.8  # baseline errors wander widely; a spike is steady
            aws_slow = oci_slow = 1.0
            silent_here_aws = silent_aws
            silent_here_oci = silent_oci
            faults = per_tenant.get(tenant_id)
            if faults or common_faults:
                for fault in [*common_faults, *(faults or ())]:
                    on_aws, on_oci = _sides(fault.params.get("side", "oci"))
                    if fault.kind == "error_spike":
                        rate = float(fault.params.get("error_rate", 0.05))
                        if on_aws and rate > aws_rate:
                            aws_rate, aws_spread = rate, 0.2
                        if on_oci and rate > oci_rate:
                            oci_rate, oci_spread = rate, 0.2
                    elif fault.kind == "latency_regression":
                        factor = float(fault.params.get("factor", 2.5))
                        aws_slow = max(aws_slow, factor) if on_aws else aws_slow
                        oci_slow = max(oci_slow, factor) if on_oci else oci_slow
                    elif fault.kind == "metrics_silent":
                        silent_here_aws = silent_here_aws or on_aws
                        silent_here_oci = silent_here_oci or on_oci

            load = 0.9 + 0.2 * day
            rounding = 0.999 * ((h >> 40) & 1023) * U
            if not silent_here_aws:
                aws_req[i] = float(n_aws)
                if n_aws:
                    noisy = aws_rate * (1.0 - aws_spread / 2 + aws_spread * ((h >> 20) & 1023) * U)
                    aws_err[i] = float(min(n_aws, int(n_aws * noisy + rounding)))
                    aws_p95[i] = aws_p95_ms * aws_slow * load * (0.95 + 0.1 * ((h >> 30) & 1023) * U)
                else:
                    aws_err[i] = 0.0
                aws_at[i] = measured
            if not silent_here_oci:
                oci_req[i] = float(n_oci)
                if n_oci:
                    noisy = oci_rate * (1.0 - oci_spread / 2 + oci_spread * ((h >> 50) & 1023) * U)
                    oci_err[i] = float(min(n_oci, int(n_oci * noisy + rounding)))
                    oci_p95[i] = oci_p95_ms * oci_slow * load * (0.95 + 0.1 * ((h >> 20) & 1023) * U)
                else:
                    oci_err[i] = 0.0
                oci_at[i] = measured

        errors = []
        since = datetime.fromtimestamp(measured, UTC).strftime("%H:%M:%SZ")
        if silent_aws:
            errors.append(f"{AWS_SOURCE}: no datapoints for any tenant since {since} (GetMetricData returned none)")
        if silent_oci:
            errors.append(f"{OCI_SOURCE}: no datapoints for any tenant since {since} (SummarizeMetricsData empty)")
        return MetricsSnapshot(
            taken_at=now,
            period_s=METRICS_PERIOD_S,
            tenant_ids=tuple([t.tenant_id for t in tenants]),
            aws=None if silent_aws else SideColumns(AWS_SOURCE, aws_req, aws_err, aws_p95, aws_at),
            oci=None if silent_oci else SideColumns(OCI_SOURCE, oci_req, oci_err, oci_p95, oci_at),
            errors=tuple(errors),
        )
