"""Getting tenants ready and retiring them: sync, validation, lowering the TTL, decommission, approvals; each
refused with every tenant's reason."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cutover.actions.plan.decommission_rules import DECOMMISSION_RULES, Refusal, refusals, standing
from cutover.actions.plan.operations_base import OperationsBase
from cutover.actions.plan.plans import BadRequest, NeedsConfirmation, Refused
from cutover.actions.plan.safety import ENTERPRISE_APPROVAL
from cutover.model.job_params import SYNC_MODES, DecommissionParams, SyncParams
from cutover.model.jobs import DECOMMISSION_STEPS, LOWER_TTL_STEPS, SYNC_STEPS, VALIDATE_STEPS, JobKind
from cutover.model.lifecycle import Lifecycle, SyncHealth
from cutover.state.facts import APPROVAL
from cutover.state.job_records import Job, LockConflict, NewTarget
from cutover.state.watch import checkpoints

TTL_TOO_LATE = (
    Lifecycle.CUTTING_OVER,
    Lifecycle.MONITORING,
    Lifecycle.MIGRATED,
    Lifecycle.DECOMMISSIONED,
    Lifecycle.ROLLING_BACK,
)


class Preparing(OperationsBase):
    """Getting tenants ready and retiring them."""

    def sync(self, tenant_ids: Sequence[str], *, mode: str = "start", reason: str) -> Job:
        """Sync tenants, as a job the engine runs. `mode`: "start" begins the initial copy and
        continuous sync (pending, failed or rolled back -> syncing; the engine moves the tenant on to
        validating once the copy is done); "final" runs a final sync and a verification proving lag 0;
        "verify" the verification alone (both for a tenant whose continuous sync runs).

        Raises BadRequest, ReadOnly, or Refused naming every tenant that cannot (nothing is changed)."""
        if mode not in SYNC_MODES:
            raise BadRequest(f"no sync mode {mode!r}: the modes are {', '.join(SYNC_MODES)}")
        self._writable(f"sync ({mode})")
        problems = [f"{tid} {why}" for tid, why in self.sync_refusals(tenant_ids, mode).items()]
        return self._submit_prepare(
            JobKind.SYNC, tenant_ids, SYNC_STEPS[mode], SyncParams(mode).to_json(), reason, problems
        )

    def sync_refusals(self, tenant_ids: Sequence[str], mode: str = "start") -> dict[str, str]:
        """Why each tenant that cannot be synced in `mode` cannot ("is syncing: its sync already started")."""
        refusals: dict[str, str] = {}
        for tenant in self._tenants(tenant_ids):
            if mode == "start":
                if tenant.lifecycle not in (Lifecycle.PENDING, Lifecycle.FAILED, Lifecycle.ROLLED_BACK):
                    refusals[tenant.tenant_id] = f"is {tenant.lifecycle.label}: its sync already started"
            elif tenant.lifecycle not in (Lifecycle.VALIDATING, Lifecycle.READY):
                refusals[tenant.tenant_id] = f"is {tenant.lifecycle.label}, must be validating or ready"
            elif tenant.sync_health is not SyncHealth.CONTINUOUS:
                health = tenant.sync_health.label if tenant.sync_health is not None else "not observed"
                refusals[tenant.tenant_id] = f"continuous sync is not running (sync {health})"
        return refusals

    def validate(self, tenant_ids: Sequence[str], *, reason: str) -> Job:
        """Run the validation suite on tenants' OCI endpoints, as a job the engine runs. Every check
        passing moves a validating tenant to ready; the result is the gate's evidence either way.

        Raises BadRequest, ReadOnly, or Refused naming every tenant that cannot (nothing is changed)."""
        self._writable("validate")
        problems = [f"{tid} {why}" for tid, why in self.validate_refusals(tenant_ids).items()]
        return self._submit_prepare(JobKind.VALIDATE, tenant_ids, VALIDATE_STEPS, {}, reason, problems)

    def validate_refusals(self, tenant_ids: Sequence[str]) -> dict[str, str]:
        """Why each tenant that cannot be validated cannot ("is pending, must be validating or ready")."""
        return {
            tenant.tenant_id: f"is {tenant.lifecycle.label}, must be validating or ready"
            for tenant in self._tenants(tenant_ids)
            if tenant.lifecycle not in (Lifecycle.VALIDATING, Lifecycle.READY)
        }

    def lower_ttl(self, tenant_ids: Sequence[str], *, reason: str) -> Job:
        """Lower tenants' DNS TTL to `dns.ttl` ahead of their cutover, as a job the engine runs: one
        compare-and-swap change set per hosted zone, the AWS target kept; the job records when each
        becomes safe for the gate's `dns` check.

        Raises BadRequest, ReadOnly, or Refused naming every tenant that cannot (nothing is changed)."""
        self._writable("lower the DNS TTL")
        problems = [f"{tid} {why}" for tid, why in self.lower_ttl_refusals(tenant_ids).items()]
        return self._submit_prepare(JobKind.LOWER_TTL, tenant_ids, LOWER_TTL_STEPS, {}, reason, problems)

    def lower_ttl_refusals(self, tenant_ids: Sequence[str]) -> dict[str, str]:
        """Why each tenant whose TTL cannot be lowered now cannot ("is monitoring: ...")."""
        refusals: dict[str, str] = {}
        for tenant in self._tenants(tenant_ids):
            if tenant.lifecycle in TTL_TOO_LATE:
                refusals[tenant.tenant_id] = (
                    f"is {tenant.lifecycle.label}: the TTL is lowered before a cutover, not during or after it"
                )
            elif tenant.dns_oci_share:
                refusals[tenant.tenant_id] = (
                    f"DNS already sends {tenant.dns_oci_share * 100:.0f} % to OCI ({tenant.dns_routing}): "
                    "lower-ttl only lowers the TTL of a record on AWS"
                )
        return refusals

    def _submit_prepare(
        self,
        kind: JobKind,
        tenant_ids: Sequence[str],
        steps: Sequence[str],
        params: dict[str, Any],
        reason: str,
        problems: list[str],
    ) -> Job:
        if not reason.strip():
            raise BadRequest("give a reason: it goes in the audit trail with the action")
        if problems:
            raise Refused("; ".join(problems))
        try:
            job, _ = self.jobs.submit(
                kind,
                [NewTarget(tenant_id, tuple(steps)) for tenant_id in tenant_ids],
                reason=reason,
                params=params,
                operator=self.operator,
            )
        except LockConflict as conflict:
            raise Refused(str(conflict)) from None
        if self.on_submit is not None:
            self.on_submit(job)
        return job

    def decommission_refusals(
        self, tenant_ids: Sequence[str], overrides: Mapping[str, str] | None = None
    ) -> list[Refusal]:
        """Every reason each tenant cannot be decommissioned now that `overrides` do not lift."""
        now = self.session.clock.now()
        tenants = self._tenants(tenant_ids)
        recorded = checkpoints(self.session.store, [t.tenant_id for t in tenants])
        holders = self._locks([t.tenant_id for t in tenants])
        found: list[Refusal] = []
        for tenant in tenants:
            approvers = self.facts.approvals([tenant.tenant_id], tenant.lifecycle_since).get(tenant.tenant_id, set())
            holder = holders.get(tenant.tenant_id)
            found += refusals(
                tenant,
                now,
                self.settings,
                operator=self.operator,
                checkpoint=recorded.get(tenant.tenant_id),
                approvers=approvers,
                holder=f"{holder.job_id} ({holder.kind})" if holder else "",
            )
        return standing(found, overrides or {})

    def check_decommission_overrides(self, overrides: Mapping[str, str]) -> None:
        unknown = set(overrides) - set(DECOMMISSION_RULES)
        if unknown:
            raise BadRequest(
                f"no decommission rule named {', '.join(sorted(unknown))}; break-glass may override: "
                f"{', '.join(DECOMMISSION_RULES)}"
            )
        if any(not why.strip() for why in overrides.values()):
            raise BadRequest("a break-glass override needs a reason")

    def decommission_phrase(self, tenant_ids: Sequence[str]) -> str:
        """What the operator types to confirm: `decommission T-0042`, or `decommission 3`."""
        return f"decommission {tenant_ids[0] if len(tenant_ids) == 1 else len(tenant_ids)}"

    def decommission(
        self,
        tenant_ids: Sequence[str],
        *,
        reason: str,
        confirmation: str,
        overrides: Mapping[str, str] | None = None,
    ) -> Job:
        """Decommission migrated tenants (the point of no return), as a job the engine runs: it compares the
        sides afresh, then records the final comparison and lists what remains to retire on AWS.

        Raises BadRequest, ReadOnly, NeedsConfirmation, or Refused naming every tenant that cannot."""
        self._writable("decommission")
        overrides = dict(overrides or {})
        self.check_decommission_overrides(overrides)
        if not tenant_ids:
            raise BadRequest("name the tenants to decommission")
        if not reason.strip():
            raise BadRequest("give a reason: it goes in the audit trail with the action")
        problems = self.decommission_refusals(tenant_ids, overrides)
        if problems:
            raise Refused("; ".join(r.text() for r in problems))
        phrase = self.decommission_phrase(tenant_ids)
        if confirmation.strip() != phrase:
            raise NeedsConfirmation(phrase)
        job = self._submit_prepare(
            JobKind.DECOMMISSION, tenant_ids, DECOMMISSION_STEPS, DecommissionParams(overrides).to_json(), reason, []
        )
        if overrides:
            self.session.events.append_many(
                [
                    dict(
                        kind="break-glass",
                        what=f"{rule} overridden for {job.job_id}",
                        job_id=job.job_id,
                        why=why,
                        detail={"rule": rule},
                    )
                    for rule, why in overrides.items()
                ]
            )
        return job

    def approve(self, tenant_ids: Sequence[str], *, reason: str) -> None:
        """Record this operator's approval of the tenants' cutover (the second operator, for enterprise)."""
        self._writable("approve a cutover")
        if not reason.strip():
            raise BadRequest("give a reason: it goes in the audit trail")
        tenants = self._tenants(tenant_ids)
        own = self.approval_refusals(tenant_ids)
        if own:
            raise Refused("; ".join(f"{tid} {why}" for tid, why in own.items()))
        self.session.events.append_many(
            [
                dict(kind=APPROVAL, what=f"cutover approved by {self.operator}", tenant_id=t.tenant_id, why=reason)
                for t in tenants
            ]
        )

    def approval_refusals(self, tenant_ids: Sequence[str]) -> dict[str, str]:
        """Self-approval: a tenant whose cutover this operator has submitted (a job holding it) cannot be
        approved by the same operator; the enterprise-approval rule wants a second operator."""
        return {
            holder.tenant_id: (
                f"is in {holder.job_id}, a {holder.kind} {self.operator} submitted: {ENTERPRISE_APPROVAL} "
                f"wants a second operator, not the one who runs the cutover (ask someone else to approve)"
            )
            for holder in self.jobs.lock_holders(list(tenant_ids))
            if holder.operator == self.operator and holder.kind in (JobKind.FLIP, JobKind.RAMP, JobKind.BATCH)
        }
