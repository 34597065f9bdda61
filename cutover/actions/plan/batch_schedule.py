"""When a batch's groups are expected to start, change DNS and end: the times a person plans the night on.

A group is admitted no sooner than the interval after the one before it, re-hydrates
(when its hydration is too old), then waits for the group before it to end its
monitoring before its final sync and DNS change (see flows/batch.py). So a group
takes about re-hydration + final sync + switch + monitoring, and the interval is
only a minimum spacing: the schedule below is what the flow will really do, not
start + N x interval.

The figures are estimates from the runbook's timings (a re-hydration takes 3-8 min,
a final sync up to 2 min, DNS in sync and traffic moved about 5 min); what has
already happened replaces them as the night goes (a group's start, its first DNS
change, its tenants' monitoring windows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from cutover.actions.plan.read_model import JobView
from cutover.config.settings import Settings
from cutover.config.units import format_clock, format_duration
from cutover.model.jobs import JobState, StepName, StepState, TargetState
from cutover.model.tenant import Tenant
from cutover.state.job_records import Step

REHYDRATE_S = 8 * 60.0  # the runbook's worst re-hydration
FINAL_SYNC_S = 2 * 60.0  # final sync and verification
SWITCH_S = 5 * 60.0  # DNS in sync and traffic moved to OCI, before monitoring starts


@dataclass(frozen=True)
class GroupTimes:
    number: int  # 1-based
    start: float  # admitted (cutting over)
    switch: float  # its first DNS change
    end: float  # monitoring over, migrated
    started: bool = False  # `start` happened (not an estimate)
    switched: bool = False
    ended: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "group": self.number,
            "start": self.start,
            "dns": self.switch,
            "end": self.end,
            "started": self.started,
            "switched": self.switched,
            "ended": self.ended,
        }


HYDRATION_MARGIN = 10 * 60.0  # a hydration this close to its limit is renewed: the gate comes minutes later


def needs_rehydration(tenants: Sequence[Tenant], at: float, settings: Settings) -> bool:
    """Whether any of these tenants will re-hydrate when their group starts at `at` (as the flow decides)."""
    limit = settings.gates.hydration_max_age
    return any(t.hydrated_at is None or (at - t.hydrated_at) + HYDRATION_MARGIN > limit for t in tenants)


def expected_groups(
    count: int,
    *,
    now: float,
    interval: float,
    monitor: float,
    rehydrate: Sequence[bool],
    waits_for_room: bool,
    happened: Sequence[dict[str, float | None]] = (),
    not_before: float | None = None,
) -> list[GroupTimes]:
    """Each group's start, DNS change and end: what `happened` says (keys start, switch, end), else expected.

    `waits_for_room`: two groups cannot be cutting over at once (group size x 2 above
    max-cutting-over), so a group is admitted only once the one before it is in monitoring.
    """
    times: list[GroupTimes] = []
    for index in range(count):
        known = happened[index] if index < len(happened) else {}
        previous = times[-1] if times else None
        start = known.get("start")
        if start is None:
            start = max(now, not_before or now) if previous is None else max(now, previous.start + interval)
            if previous is not None and waits_for_room:
                start = max(start, previous.switch + SWITCH_S)
        switch = known.get("switch")
        if switch is None:
            prepared = max(now, start + (REHYDRATE_S if index < len(rehydrate) and rehydrate[index] else 0.0))
            switch = max(prepared, previous.end if previous else prepared) + FINAL_SYNC_S
        end = known.get("end")
        if end is None:
            end = max(now, switch + SWITCH_S + monitor)
        times.append(
            GroupTimes(
                index + 1,
                start,
                switch,
                end,
                started=known.get("start") is not None,
                switched=known.get("switch") is not None,
                ended=known.get("ended") is not None,
            )
        )
    return times


def waits_for_room(group_size: int, settings: Settings) -> bool:
    """Two groups cannot be cutting over at once: the next is admitted only once this one is in monitoring."""
    return 2 * group_size > settings.safety.max_cutting_over


def plan_times(groups: Sequence[Sequence[Tenant]], now: float, settings: Settings, **params: float) -> list[GroupTimes]:
    """A plan's expected times (before anything happened)."""
    interval = params.get("interval", settings.batch.interval)
    monitor = params.get("monitor", settings.batch.monitor)
    group_size = max((len(g) for g in groups), default=0)
    rough = [now + index * interval for index in range(len(groups))]
    return expected_groups(
        len(groups),
        now=now,
        interval=interval,
        monitor=monitor,
        rehydrate=[needs_rehydration(group, at, settings) for group, at in zip(groups, rough, strict=True)],
        waits_for_room=waits_for_room(group_size, settings),
    )


@dataclass(frozen=True)
class BatchTimes:
    groups: list[GroupTimes]
    next_group: int | None  # 1-based: the first group not started yet
    status: str  # what the next group waits for, in words: "next at ~07:15", "paused", "held: ..."


def zone_of(params: Mapping[str, Any]) -> tzinfo | None:
    """The zone a batch's times are shown in: the migration window's when it was planned (None: UTC)."""
    from zoneinfo import ZoneInfo

    return ZoneInfo(params["timezone"]) if params.get("timezone") else None


def job_times(view: JobView, now: float) -> BatchTimes:
    """A batch job's groups with what happened and what is expected, and what the next group waits for."""
    job = view.job
    params = job.params
    zone = zone_of(params)
    groups: list[list[str]] = params.get("groups", [])
    own = {step.name: step for step in view.steps_of(None)}
    by_tenant: dict[str, dict[str, Step]] = {}
    for step in view.steps:
        if step.tenant_id is not None:
            by_tenant.setdefault(step.tenant_id, {})[step.name] = step
    states = {target.tenant_id: target.state for target in view.targets}
    happened: list[dict[str, float | None]] = []
    for number, tenant_ids in enumerate(groups, start=1):
        group_step = own.get(f"group {number}")
        known: dict[str, float | None] = {"start": group_step.started_at if group_step else None}
        changes = [
            at
            for tid in tenant_ids
            if (s := by_tenant.get(tid, {}).get(StepName.DNS_CHANGE)) and (at := s.started_at) is not None
        ]
        known["switch"] = min(changes) if changes else None
        if group_step is not None and group_step.state in (StepState.DONE, StepState.SKIPPED):
            known["end"] = group_step.ended_at
            known["ended"] = group_step.ended_at
        else:
            untils = []
            for tid in tenant_ids:
                monitoring = by_tenant.get(tid, {}).get(StepName.MONITORING)
                if states.get(tid) in (TargetState.PENDING, TargetState.RUNNING):
                    untils.append(monitoring.detail.get("until") if monitoring else None)
            if untils and all(u is not None for u in untils):
                known["end"] = max(float(u) for u in untils if u is not None)
        happened.append(known)
    times = expected_groups(
        len(groups),
        now=now if not job.is_terminal else (job.ended_at or now),
        interval=float(params.get("interval") or 0.0),
        monitor=float(params.get("monitor") or 0.0),
        rehydrate=list(params.get("rehydrate") or [True] * len(groups)),
        waits_for_room=bool(params.get("waits_for_room", True)),
        happened=happened,
        not_before=params.get("not_before"),
    )
    next_group = next((t.number for t in times if not t.started), None)
    if job.is_terminal:
        status = f"{job.state.value}: {job.result}" if job.result else job.state.value
    elif job.state is JobState.PAUSED or job.control == "pause":
        status = "paused: no new group and no DNS change starts until someone resumes"
    elif job.state is JobState.HELD:
        status = f"held, waiting for a resume: {job.held_reason}"
    elif next_group == 1 and (params.get("not_before") or 0) > now:
        opens = float(params["not_before"])
        status = (
            f"waiting for the migration window: group 1 starts at ~{format_clock(opens, zone)} "
            f"(in {format_duration(opens - now)})"
        )
    elif next_group is not None:
        status = f"group {next_group} expected to start at ~{format_clock(times[next_group - 1].start, zone)}"
    else:
        status = "every group started"
    return BatchTimes(times, next_group, status)


def schedule_lines(
    times: Sequence[GroupTimes], groups: Sequence[Sequence[str]], now: float, zone: tzinfo | None = None
) -> list[str]:
    """One line per group for a person: "group 2 at ~02:15 EST, DNS ~02:27 EST, done ~02:42 EST: T-0006 ..."."""
    lines = []
    for group_times, tenant_ids in zip(times, groups, strict=False):

        def when(ts: float, happened: bool) -> str:
            return format_clock(ts, zone) if happened else f"~{format_clock(ts, zone)}"

        start = (
            "now"
            if not group_times.started and group_times.start <= now
            else when(group_times.start, group_times.started)
        )
        lines.append(
            f"group {group_times.number} at {start}, DNS {when(group_times.switch, group_times.switched)}, "
            f"done {when(group_times.end, group_times.ended)}: {' '.join(tenant_ids)}"
        )
    return lines


def stored_times(params: Mapping[str, Any]) -> list[GroupTimes]:
    """The times a plan expected, as stored in its params."""
    return [
        GroupTimes(int(t["group"]), float(t["start"]), float(t["dns"]), float(t["end"]))
        for t in params.get("expected") or []
    ]
