"""Calls per refresh for a 2,500-tenant fleet, real providers against the lab's stand-ins.

Counts the requests that reach moto (through the fault proxy, which records
them) and the local OCI, next to what one call per tenant would cost:
- metrics: GetMetricData at 500 queries a call, one MQL query per metric for OCI;
- DNS: paginated ListResourceRecordSets, 300 record sets a page;
- a rollback of 25 tenants in one zone: one change batch.

Run by hand (about a minute): .venv/bin/python benchmarks/bench_calls.py [tenants]
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import os
import sys
import tempfile
import time
from pathlib import Path

from cutover.config.access import AwsAccess, OciAccess
from cutover.config.providers import CloudWatchSettings, OciMonitoringSettings, Route53Settings
from cutover.config.tenant_spec import TenantSpec
from cutover.lab.fault_proxy import FaultProxy
from cutover.lab.fleet import lab_specs, lab_tenants
from cutover.lab.moto_server import LAB_AWS_ENVIRONMENT, start_moto
from cutover.lab.oci_server import COMPARTMENT, LocalOci
from cutover.lab.seed_aws import put_alb_metrics, seed_zone
from cutover.model.clock import SystemClock
from cutover.model.routing import DnsChange, Routing
from cutover.providers.aws.cloudwatch import CloudWatchSide
from cutover.providers.aws.route53 import Route53Dns
from cutover.providers.fleet_metrics import FleetMetrics
from cutover.providers.oci.monitoring import OciMonitoringSide
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

ZONE = "bench.example.com"


def main(count: int) -> None:
    os.environ.update(LAB_AWS_ENVIRONMENT)
    with (
        start_moto() as moto,
        FaultProxy(moto.url) as proxy,
        LocalOci() as oci,
        tempfile.TemporaryDirectory() as scratch,
    ):
        asyncio.run(run(count, moto.url, proxy, oci, Path(scratch)))


async def run(count: int, moto_url: str, proxy: FaultProxy, oci: LocalOci, scratch: Path) -> None:
    lab = lab_tenants(count, ZONE)
    started = time.perf_counter()
    seed_zone(moto_url, ZONE, lab)
    minute = time.time() // 60 * 60 - 120
    put_alb_metrics(moto_url, lab, at=dt.datetime.fromtimestamp(minute, dt.UTC), requests=1000, errors=3, p95_s=0.9)
    for tenant in lab:
        for metric, value in (("HttpRequests", 50.0), ("HttpResponses5xx", 0.0), ("ResponseTimeHttpHeader", 600.0)):
            oci.world.put_metric(tenant.oci_load_balancer, tenant.backend_set, metric, minute, value)
    config = oci.write_oci_config(scratch / "oci")
    print(f"seeded {count:,} tenants in {time.perf_counter() - started:.1f} s")

    with Store(scratch / "bench.db") as store:
        tenants = TenantStore(store, EventLog(store, Actor("bench", "bench"), SystemClock()))
        specs: tuple[TenantSpec, ...] = lab_specs(lab, ZONE)
        tenants.apply_import(tenants.plan_import(specs, "bench"), specs, "0" * 64)
        fleet = tenants.find()

    aws = AwsAccess(endpoint_url=proxy.url, read_timeout=120)
    oci_access = OciAccess(config_file=config, endpoint=oci.url, timeout=60)
    cloudwatch = CloudWatchSide(CloudWatchSettings(aws=aws), clock=SystemClock())
    monitoring = OciMonitoringSide(OciMonitoringSettings(oci=oci_access, compartment_id=COMPARTMENT))
    dns = Route53Dns(Route53Settings(aws=aws))
    rows: list[tuple[str, int, int, float]] = []
    try:
        proxy.clear()
        took = time.perf_counter()
        snapshot = await FleetMetrics(cloudwatch, monitoring, clock=SystemClock()).snapshot(fleet)
        took = time.perf_counter() - took
        assert not snapshot.errors, snapshot.errors
        assert snapshot.tenant(fleet[-1].tenant_id).aws is not None
        # One call per tenant is the naive anchor: GetMetricData takes a tenant's three queries in one call;
        # summarize_metrics_data takes one query a call, so three calls a tenant.
        rows.append(("GetMetricData (AWS side)", len(proxy.calls("GetMetricData")), count, took))
        rows.append(
            ("summarize_metrics_data (OCI side, same snapshot)", oci.calls("summarize_metrics_data"), count * 3, -1)
        )

        proxy.clear()
        took = time.perf_counter()
        records = await dns.read_routing(fleet)
        took = time.perf_counter() - took
        assert len(records) == count
        rows.append(("ListResourceRecordSets (+ zone lookup)", len(proxy.calls("ListResourceRecordSets")), count, took))

        flipped = fleet[:25]
        await dns.apply(
            ZONE, [DnsChange(t.tenant_id, records[t.tenant_id], Routing.simple(t.oci_target, 60)) for t in flipped]
        )
        current = await dns.read_routing(flipped)
        proxy.clear()
        took = time.perf_counter()
        await dns.apply(
            ZONE, [DnsChange(t.tenant_id, current[t.tenant_id], Routing.simple(t.aws_target, 60)) for t in flipped]
        )
        took = time.perf_counter() - took
        rows.append(
            ("rollback of 25 tenants: ChangeResourceRecordSets", len(proxy.calls("ChangeResourceRecordSets")), 25, took)
        )
    finally:
        await cloudwatch.aclose()
        await monitoring.aclose()
        await dns.aclose()

    record_sets = count + 2  # the tenants' A records, NS and SOA
    print(
        f"\ncalls per refresh, {count:,} tenants (expected pages: ceil({record_sets}/300) = "
        f"{math.ceil(record_sets / 300)})\n"
    )
    print(f"{'operation':<52} {'ours':>6} {'per tenant':>11} {'seconds':>8}  (seconds: against moto and the lab)")
    for name, ours, naive, seconds in rows:
        shown = f"{seconds:>8.2f}" if seconds >= 0 else f"{'':>8}"
        print(f"{name:<52} {ours:>6,} {naive:>11,} {shown}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2500)
