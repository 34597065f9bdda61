"""The watch's checkpoint (the first runbook's T+4h): judged once per migrated tenant, recorded with its evidence.

It passes when, over the last `watch.checkpoint_window` of the OCI side's samples,
p95 is at or under the tenant's AWS baseline and the error rate under
`watch.checkpoint_max_error_rate`, and every load-balancer backend is healthy.
Restarts of the OCI cluster have no source here: the evidence says so rather
than claim them absent. The verdict is an event of kind `watch.checkpoint`; a
failed checkpoint is also an alert (the runbook: "if any critical issue,
initiate rollback": the operator decides, one key away).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from cutover.actions.engine.engine_core import EngineCore
from cutover.model.tenant import Tenant
from cutover.state.watch import CHECKPOINT, checkpoint_label, checkpoints, current

WATCH_SOURCE = "watch"


def judge_checkpoint(
    tenant: Tenant, samples: Sequence[Any], *, max_error_rate: float, min_backends: int
) -> tuple[bool, list[str], dict[str, Any]]:
    """(passed, reasons it failed, evidence) from the OCI side's samples of the window."""
    oci = [s for s in samples if s.side == "oci" and s.requests]
    requests = sum(s.requests or 0.0 for s in oci)
    errors = sum(s.errors or 0.0 for s in oci)
    p95s = [s.p95_ms for s in oci if s.p95_ms is not None]
    p95 = statistics.median(p95s) if p95s else None
    error_rate = errors / requests if requests else None
    baseline = tenant.baseline_p95_ms
    evidence: dict[str, Any] = {
        "samples": len(oci),
        "requests": requests,
        "p95_ms": p95,
        "baseline_p95_ms": baseline,
        "error_rate": error_rate,
        "max_error_rate": max_error_rate,
        "backends_healthy": tenant.backends_healthy,
        "backends_total": tenant.backends_total,
        "restarts": "not measured: no source reports them",
    }
    reasons = []
    if p95 is None:
        reasons.append("no OCI p95 in the window")
    elif baseline is None:
        reasons.append("no AWS baseline p95 to compare with (import it with the matrix)")
    elif p95 > baseline:
        reasons.append(f"p95 {p95:.0f} ms above the AWS baseline {baseline:.0f} ms")
    if error_rate is None:
        reasons.append("no OCI traffic in the window")
    elif error_rate >= max_error_rate:
        reasons.append(f"error rate {error_rate * 100:.2f} % (needs under {max_error_rate * 100:.2f} %)")
    healthy, total = tenant.backends_healthy, tenant.backends_total
    if healthy is None or total is None:
        reasons.append("no backend health")
    elif healthy < total or total < min_backends:
        reasons.append(f"backends {healthy}/{total} healthy")
    return not reasons, reasons, evidence


def describe(tenant_id: str, label: str, passed: bool, reasons: Sequence[str], evidence: dict[str, Any]) -> str:
    if not passed:
        return f"{tenant_id}: checkpoint {label} failed: {'; '.join(reasons)}"
    rate = evidence["error_rate"] * 100
    return (
        f"{tenant_id}: checkpoint {label} passed: p95 {evidence['p95_ms']:.0f} ms <= baseline "
        f"{evidence['baseline_p95_ms']:.0f} ms, error rate {rate:.2f} % < {evidence['max_error_rate'] * 100:.2f} %, "
        f"backends {evidence['backends_healthy']}/{evidence['backends_total']}; restarts not measured"
    )


class CheckpointWatch:
    """The leading engine judges each watched tenant's checkpoint once, when it falls due."""

    def __init__(self, core: EngineCore):
        self.core = core
        self._done: dict[str, float] = {}  # tenant -> the promotion whose checkpoint is recorded

    def check(self, watched: Sequence[Tenant]) -> None:
        core = self.core
        watch = core.settings.watch
        now = core.now()
        due = [
            t
            for t in watched
            if now >= t.lifecycle_since + watch.checkpoint_at and self._done.get(t.tenant_id) != t.lifecycle_since
        ]
        if not due:
            return
        recorded = checkpoints(core.store, [t.tenant_id for t in due])
        label = checkpoint_label(watch)
        for stale in due:
            tenant = core.tenant(stale.tenant_id)  # the pollers' view may be a poll old
            if current(tenant, recorded.get(tenant.tenant_id)) is not None:
                self._done[tenant.tenant_id] = tenant.lifecycle_since
                continue
            window = core.samples.history(tenant.tenant_id, since=now - watch.checkpoint_window)
            passed, reasons, evidence = judge_checkpoint(
                tenant,
                window,
                max_error_rate=watch.checkpoint_max_error_rate,
                min_backends=core.settings.gates.min_backends,
            )
            evidence["window_s"] = watch.checkpoint_window
            text = describe(tenant.tenant_id, label, passed, reasons, evidence)
            with core.fenced():
                core.events.append(
                    CHECKPOINT,
                    text,
                    tenant_id=tenant.tenant_id,
                    detail={"label": label, "passed": passed, "reasons": reasons, "evidence": evidence},
                )
                if not passed:
                    core.alert(
                        f"{text}: AWS is still there; roll back (r) if it is critical",
                        severity="warning",
                        source=WATCH_SOURCE,
                        tenant_id=tenant.tenant_id,
                    )
            self._done[tenant.tenant_id] = tenant.lifecycle_since
