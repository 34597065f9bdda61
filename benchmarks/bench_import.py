"""How long importing a 2,500-row tenant matrix takes (target: well under 2 s).

Run by hand: .venv/bin/python benchmarks/bench_import.py
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from cutover.actions.plan.importing import import_matrix
from cutover.model.clock import SystemClock
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.store import Store
from cutover.state.tenants import TenantStore


def matrix(rows: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    lines = [
        "Tenant ID,Size,Complexity,Criticality,SLA,Wave,Priority,DNS name,Hosted zone,AWS target,OCI target,"
        "Region,AWS bucket,OCI bucket,Baseline p95 (ms),Baseline error rate"
    ]
    for n in range(1, rows + 1):
        size = rng.choice(["2GB", "8GB", "40GB", "250GB", "2TB"])
        lines.append(
            f"T-{n:05d},{size},Standard,Medium,{rng.choice(['Std', 'Prem', 'Ent'])},,Wave,t{n}.tenants.example,"
            f"Z1EXAMPLE,52.1.{n // 250}.{n % 250},129.213.{n // 250}.{n % 250},us-east-1,tenant-{n},tenant-{n}-oci,"
            f"{rng.randint(600, 1500)},0.1%"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    for rows in (2_500, 10_000):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "fleet.csv"
            path.write_text(matrix(rows))
            store = Store(Path(tmp) / "s.db")
            tenants = TenantStore(store, EventLog(store, Actor("bench", "localhost"), SystemClock()))
            started = time.perf_counter()
            import_matrix(tenants, path)
            first = time.perf_counter() - started
            path.write_text(matrix(rows).replace(",0.1%", ",0.2%"))
            started = time.perf_counter()
            import_matrix(tenants, path)
            again = time.perf_counter() - started
            store.close()
        print(
            f"import {rows:>6} rows: first {first * 1000:7.0f} ms, re-import changing every row {again * 1000:7.0f} ms"
        )


if __name__ == "__main__":
    main()
