"""When a migrated tenant may be decommissioned: the point of no return, after which no rollback is possible.

Decommission is allowed only after the watch has ended (AWS is the rollback
insurance until then), with no open fault (a failed checkpoint, a stalled sync),
traffic wholly on OCI by DNS, no job holding the tenant, and for the enterprise
tier a second operator's approval recorded since the promotion. Where a safety rule
is all that refuses (`watch`, `open-fault`, `enterprise-approval`) a break-glass
override with a reason lets it go; data that does not match, traffic not on OCI or
a tenant that is not migrated never does. The sides are compared afresh through the
sync provider when the engine runs the job (flows/decommission.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cutover.actions.plan.safety import ENTERPRISE_APPROVAL
from cutover.config.settings import Settings
from cutover.config.units import format_duration
from cutover.model.lifecycle import Lifecycle, SyncHealth
from cutover.model.tenant import Tenant
from cutover.state.watch import Checkpoint, current, watch_until

WATCH_RULE = "watch"
OPEN_FAULT = "open-fault"
DECOMMISSION_RULES = (WATCH_RULE, OPEN_FAULT, ENTERPRISE_APPROVAL)
POINT_OF_NO_RETURN = (
    "decommissioning is the point of no return: after it no rollback to AWS is possible "
    "(cutover stops watching the tenant and AWS's targets and bucket are listed for retirement)"
)


@dataclass(frozen=True)
class Refusal:
    tenant_id: str
    reason: str
    rule: str = ""  # a safety rule break-glass may override; "" where nothing may

    def text(self) -> str:
        hint = f" (break-glass {self.rule}=REASON overrides it)" if self.rule else ""
        return f"{self.tenant_id}: {self.reason}{hint}"


def refusals(
    tenant: Tenant,
    now: float,
    settings: Settings,
    *,
    operator: str,
    checkpoint: Checkpoint | None,
    approvers: set[str],
    holder: str = "",
) -> list[Refusal]:
    """Every reason this tenant cannot be decommissioned now (empty: it may)."""
    tid = tenant.tenant_id
    if tenant.lifecycle is not Lifecycle.MIGRATED:
        return [Refusal(tid, f"is {tenant.lifecycle.label}: only a migrated tenant can be decommissioned")]
    found: list[Refusal] = []
    if holder:
        found.append(Refusal(tid, f"is held by {holder}: wait for it to end"))
    if tenant.sync_health is SyncHealth.ERROR or (tenant.checksum_mismatches or 0) > 0:
        found.append(
            Refusal(
                tid,
                f"AWS and OCI differ ({tenant.checksum_mismatches or 0} checksum mismatches): decommissioning "
                "would lose data; run a final sync and a verification (cutover sync --final)",
            )
        )
    if tenant.dns_oci_share is not None and tenant.dns_oci_share < 1.0:
        found.append(
            Refusal(tid, f"DNS sends {(1 - tenant.dns_oci_share) * 100:.0f} % of its traffic to AWS: put it on OCI")
        )
    until = watch_until(tenant, settings.watch)
    assert until is not None
    if now < until:
        found.append(
            Refusal(
                tid,
                f"its watch has {format_duration(until - now)} left: AWS is the rollback insurance until "
                f"{format_duration(settings.watch.duration)} after its promotion",
                WATCH_RULE,
            )
        )
    checkpoint = current(tenant, checkpoint)
    if checkpoint is not None and not checkpoint.passed:
        found.append(Refusal(tid, f"open fault: {checkpoint.text()}", OPEN_FAULT))
    if tenant.sync_health is SyncHealth.STALLED:
        found.append(Refusal(tid, "open fault: sync stalled after cutover", OPEN_FAULT))
    if tenant.tier == "enterprise" and settings.safety.enterprise_needs_second_operator:
        others = sorted(approvers - {operator})
        if not others:
            found.append(
                Refusal(
                    tid,
                    f"enterprise: needs a second operator's approval since its promotion (not {operator}'s): "
                    f"ask someone to run `cutover approve {tid} --reason ...`",
                    ENTERPRISE_APPROVAL,
                )
            )
    return found


def standing(found: list[Refusal], overrides: Mapping[str, str]) -> list[Refusal]:
    """The refusals no override lifts."""
    return [r for r in found if not (r.rule and r.rule in overrides)]


def to_retire(tenant: Tenant) -> dict[str, str]:
    """What remains on AWS for the team's own tooling to retire, by name."""
    found = {
        "aws_target": tenant.aws_target,
        "aws_load_balancer": tenant.aws_load_balancer,
        "aws_target_group": tenant.aws_target_group,
        "aws_bucket": tenant.aws_bucket,
    }
    return {key: value for key, value in found.items() if value}
