"""Changing a tenant with several DNS names: all of its names, or none.

The names of one zone go in one change set, each a compare-and-swap (with its fencing
record): the DNS service applies all of them or refuses all of them. A tenant whose
names span zones is changed zone by zone, in a stable order (its DNS name's zone
first, then the others as the matrix lists them); when a later zone refuses, the
zones already changed are put back (a compare-and-swap back to what they were) and
the step says exactly that: "api.t42.example.com@zone-b refused (...); zone-a put back to AWS".

Reconciled like a one-name change: after a restart, a name already as the step wants
it is not changed again, a name still as it was read is changed now, and a name that
is anything else stops the step, putting back the names this step had moved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cutover.actions.engine.flows.dns_change import ChangeOutcome, Expect, fence_token
from cutover.actions.engine.flows.job_run import FlowStop, JobRun
from cutover.actions.plan.dns_names import (
    names_observation,
    read_every_name,
    routing_from,
    routing_json,
    seen_of,
    side_of,
)
from cutover.actions.plan.dns_plan import same_routing
from cutover.model.jobs import StepState, TargetState
from cutover.model.routing import ChangeReceipt, DnsChange, DnsName, DnsRecord, Routing
from cutover.model.tenant import NameSeen, Tenant
from cutover.providers.ports.errors import ProviderError, RecordChanged
from cutover.providers.zone_dns import tenant_names
from cutover.state.job_records import Step

PUT_BACK = "put-back"


@dataclass(frozen=True)
class _Refusal:
    name: str
    zone: str
    why: str


async def change_names(
    run: JobRun,
    tenant_id: str,
    step: Step,
    want: Routing,
    expect: Expect,
    describe_want: str,
    same: Callable[[Routing, Routing], bool],
) -> ChangeOutcome | FlowStop:
    """Change every name of one tenant (the caller holds its mutex and checked the job still holds it)."""
    core = run.core
    tenant = core.tenant(tenant_id)
    refs = tenant_names(tenant)
    records = await _read(run, tenant)
    _observe(run, tenant, records)
    missing = [ref.name for ref in refs if ref.name not in records]
    if missing:
        return _stopped(run, step, f"{tenant_id}: {', '.join(missing)} has no DNS record; nothing was changed")
    at_want = [ref for ref in refs if same(records[ref.name].routing, want)]
    if len(at_want) == len(refs):
        return _already(run, tenant_id, step, records, describe_want)
    resumed = step.state is StepState.RUNNING
    moved_before = at_want if resumed else []  # a resumed step's earlier attempt moved these
    recorded = dict(step.detail.get("names") or {})
    token = fence_token(run, step)
    foreign = [ref for ref in refs if ref not in at_want and not expect.accepts(records[ref.name].routing)]
    if foreign:
        first = records[foreign[0].name]
        message = (
            f"{tenant_id}: {first.name} is {first.describe()}, not what this step expected ({expect.describe}): "
            "someone changed it"
        )
        if moved_before:
            message += "; " + await _put_back(run, tenant, moved_before, recorded, want, token)
        else:
            message += "; nothing was changed"
        return _stopped(run, step, message, alert=bool(moved_before))
    todo = [ref for ref in refs if ref not in at_want]
    primary = records[refs[0].name]
    names_detail = {
        ref.name: (
            recorded[ref.name]
            if ref in at_want and ref.name in recorded
            else {
                "zone": ref.zone,
                "expected": records[ref.name].describe(),
                "expected_version": records[ref.name].version,
                "expected_fence": records[ref.name].fence,
                "from": routing_json(records[ref.name].routing),
            }
        )
        for ref in refs
    }
    step = core.jobs.start_step(
        step,
        {
            "expected": primary.describe(),
            "expected_version": primary.version,
            "expected_fence": primary.fence,
            "fence": token,
            "to": want.describe(),
            "names": names_detail,
        },
    )
    done: list[tuple[str, ChangeReceipt | None]] = []
    moved: list[DnsName] = list(moved_before)
    for zone in _zones(todo):
        in_zone = [ref for ref in todo if ref.zone == zone]
        changes = [DnsChange(tenant_id, records[ref.name], want, fence=token) for ref in in_zone]
        outcome = await _apply(run, zone, changes, want, token, same)
        if isinstance(outcome, _Refusal):
            message = f"{tenant_id}: {outcome.name}@{outcome.zone} refused ({outcome.why})"
            # A request that failed without an answer may have landed: its names are checked too.
            candidates = [*moved, *(in_zone if not outcome.why.startswith("record changed") else [])]
            if candidates:
                message += "; " + await _put_back(run, tenant, candidates, names_detail, want, token)
            else:
                message += "; nothing was changed"
            return _stopped(run, step, message, alert=True)
        done.append((zone, outcome))
        moved += in_zone
    changes_made = [(zone, receipt.change_id if receipt else "") for zone, receipt in done]
    first_id = next((change_id for _, change_id in changes_made if change_id), "")
    submitted = min((receipt.submitted_at for _, receipt in done if receipt), default=core.now())
    if len(changes_made) == 1:
        made = f"change {first_id}" if first_id else "applied by an earlier attempt whose answer was lost"
    else:
        made = "changes " + ", ".join(f"{change_id or '(answer lost)'} ({zone})" for zone, change_id in changes_made)
    result = f"{describe_want}: {made} ({len(refs)} names)"
    step = core.jobs.note_step(
        step,
        detail={
            "change_id": first_id,
            "zone": changes_made[0][0],
            "submitted_at": submitted,
            "changes": [list(pair) for pair in changes_made],
        },
        request_ids=[change_id for _, change_id in changes_made if change_id],
    )
    with core.fenced():
        core.jobs.finish_step(step, StepState.DONE, result)
        seen = [
            NameSeen(ref.name, ref.zone, want.describe(), _share(want, tenant), want.ttl, submitted, ref.primary)
            for ref in refs
        ]
        core.tenants.observe(
            tenant_id, **names_observation(tenant, seen, assume_previous=run.settings.dns.assume_previous_ttl)
        )
    return ChangeOutcome(tenant_id, first_id, True, result, changes=tuple(changes_made))


def _share(routing: Routing, tenant: Tenant) -> float | None:
    return routing.oci_share(tenant.aws_target, tenant.oci_target)


def _zones(refs: Sequence[DnsName]) -> list[str]:
    """The zones of these names in a stable order: the DNS name's zone first, then as the matrix lists them."""
    return list(dict.fromkeys(ref.zone for ref in refs))


async def _read(run: JobRun, tenant: Tenant) -> dict[str, DnsRecord]:
    _, named = await run._retrying(lambda: read_every_name(run.core.providers.dns, [tenant]))
    return dict(named.get(tenant.tenant_id, {}))


def _observe(run: JobRun, tenant: Tenant, records: dict[str, DnsRecord]) -> None:
    if records:
        seen = seen_of(tenant, records, run.core.now())
        run.core.tenants.observe(
            tenant.tenant_id, **names_observation(tenant, seen, assume_previous=run.settings.dns.assume_previous_ttl)
        )


def _stopped(run: JobRun, step: Step, message: str, *, alert: bool = False) -> FlowStop:
    run.core.jobs.finish_step(step, StepState.FAILED, message)
    if alert:
        run.core.alert(message, severity="critical", source="dns", tenant_id=step.tenant_id, job_id=run.job_id)
    return FlowStop(TargetState.FAILED, message)


def _already(
    run: JobRun, tenant_id: str, step: Step, records: dict[str, DnsRecord], describe_want: str
) -> ChangeOutcome:
    """Every name already is what the step wants: nothing to change (or it was changed before a restart)."""
    already = step.state is not StepState.RUNNING
    changes = tuple((str(zone), str(change_id)) for zone, change_id in step.detail.get("changes") or ())
    if already:
        change_id, result = "", f"{describe_want}: already in place, no change made"
    else:
        change_id = step.detail.get("change_id", "")
        result = f"{describe_want}: applied before the restart" + (
            f" ({change_id})" if change_id else "; its change id was lost in the crash"
        )
    found = "; ".join(f"{name} {record.describe()}" for name, record in records.items())
    run.core.jobs.finish_step(step, StepState.DONE, result, detail={"found": found, "already": already})
    return ChangeOutcome(tenant_id, change_id, False, result, already, changes if not already else ())


async def _apply(
    run: JobRun,
    zone: str,
    changes: list[DnsChange],
    want: Routing,
    token: str,
    same: Callable[[Routing, Routing], bool],
) -> ChangeReceipt | _Refusal | None:
    """One zone's change set: its receipt, None when an earlier attempt of ours landed (its answer lost),
    or why the zone refused it (then nothing of it was changed, unless the request's fate is unknown)."""
    core = run.core
    attempts = 0
    while True:
        attempts += 1
        await core.dns_pace()
        core.before_side_effect()
        try:
            return await core.providers.dns.apply(zone, changes)
        except RecordChanged as changed:
            found = changed.found
            if found is not None and same(found.routing, want) and found.fence == token:
                return None  # the change set is atomic: one name as ours means all of them are
            if changed.only_fence:
                why = (
                    f"record changed: another change was made to it since it was read (its fence is now "
                    f"{found.fence if found else 'gone'}), although it is {changed.expected.describe()} again"
                )
            else:
                why = (
                    f"record changed: expected {changed.expected.describe()}, "
                    f"found {found.describe() if found else 'no record'}"
                )
            return _Refusal(changed.expected.name, zone, why)
        except ProviderError as error:
            if error.retryable and attempts < 8:
                await core.clock.sleep(min(30.0, 2.0**attempts))
                continue
            return _Refusal(changes[0].expected.name, zone, f"DNS change failed: {error}")


async def _put_back(
    run: JobRun,
    tenant: Tenant,
    names: Sequence[DnsName],
    recorded: dict[str, Any],
    want: Routing,
    token: str,
) -> str:
    """Put names this step moved back to what they were, zone by zone, each a compare-and-swap from what
    this step wrote. Says what it did: "zone-a put back to AWS", or what could not be put back."""
    core = run.core
    current = await _read(run, tenant)
    said: list[str] = []
    for zone in _zones(names):
        back: list[DnsChange] = []
        problems: list[str] = []
        sides: set[str] = set()
        for ref in (ref for ref in names if ref.zone == zone):
            record = current.get(ref.name)
            earlier = (recorded.get(ref.name) or {}).get("from")
            if earlier is None:
                problems.append(f"{ref.name}: what it was before is not recorded")
                continue
            original = routing_from(earlier)
            if record is not None and same_routing(record.routing, original):
                sides.add(side_of(original, tenant))
                continue  # never moved (a request that failed without an answer did not land)
            if record is None or not same_routing(record.routing, want):
                problems.append(f"{ref.name} is {record.describe() if record else 'gone'}, not what this step wrote")
                continue
            sides.add(side_of(original, tenant))
            back.append(DnsChange(tenant.tenant_id, record, original, fence=f"{token} {PUT_BACK}"))
        if back:
            outcome = await _apply(run, zone, back, back[0].to, f"{token} {PUT_BACK}", same_routing)
            if isinstance(outcome, _Refusal):
                problems.append(outcome.why)
        if problems:
            names_there = ", ".join(ref.name for ref in names if ref.zone == zone)
            said.append(
                f"{zone} could NOT be put back ({'; '.join(problems)}): {names_there} may still be "
                f"{side_of(want, tenant)}; check and fix by hand"
            )
        else:
            said.append(f"{zone} put back to {' and '.join(sorted(sides)) or 'what it was'}")
    text = "; ".join(said)
    with core.fenced():
        core.events.append(
            "dns.put_back",
            f"{tenant.tenant_id}: {text}",
            tenant_id=tenant.tenant_id,
            job_id=run.job_id,
            detail={"names": [ref.name for ref in names], "zones": _zones(names)},
        )
    _observe(run, tenant, await _read(run, tenant))
    return text
