"""The night batch: groups of tenants, one after the other, and "stop the line".

The runbook runs a group, monitors it (10 min, clean), then starts the next. The
interval between two groups is a minimum spacing, never a schedule that overrides
that: a group is admitted no sooner than `interval` after the one before it (and
only when the safety limits leave room), re-hydrates meanwhile (minutes, no DNS),
and then waits until every group before it has ended (migrated, or stopped) and
nothing in them stops the line. Only then its final sync, gate and DNS change.
So a rollback in group 1 late in its monitoring stops group 2 before any of its
DNS changes; and the final sync, which holds writes, is always followed at once
by the DNS change.

Each group's own step ("group N") records when it was due (`scheduled_at`), what
it waits for (`waiting`), when it started and its outcome.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence

from cutover.actions.engine.flows.cutover import run_cutover
from cutover.actions.engine.flows.job_run import JobRun
from cutover.actions.engine.flows.jobs import OUTCOME_WORDS, admit, finish, tenant_task
from cutover.actions.engine.flows.registry import runs
from cutover.actions.plan.go_no_go import read_night
from cutover.actions.plan.safety import GO_NO_GO, only_capacity
from cutover.actions.plan.triggers import Outcome
from cutover.model.job_params import BatchParams
from cutover.model.jobs import JobKind, StepState, TargetState

UNFINISHED = (TargetState.PENDING, TargetState.RUNNING)


def _stop_the_line(run: JobRun, done_groups: Sequence[Sequence[str]]) -> list[tuple[str, str]]:
    """What in the groups already started should stop the next one: (key, reason) not yet acknowledged."""
    core = run.core
    acknowledged = set(run.params.get("acknowledged", []))
    found = []
    for group in done_groups:
        for tenant_id in group:
            target = core.jobs.target(run.job_id, tenant_id)
            if target.state in (TargetState.ROLLED_BACK, TargetState.PREEMPTED, TargetState.FAILED):
                found.append(
                    (
                        f"{tenant_id}:{target.state.value}",
                        f"{tenant_id} {OUTCOME_WORDS[target.state]}"
                        + (f" ({target.summary})" if target.summary else ""),
                    )
                )
            verdict = core.verdicts.get(tenant_id)
            if verdict is not None and target.state is TargetState.RUNNING:
                inconclusive = [v for v in verdict.holds if v.outcome is Outcome.INCONCLUSIVE]
                if inconclusive:
                    found.append(
                        (
                            f"{tenant_id}:inconclusive:{inconclusive[0].breaching_since or 0}",
                            f"{tenant_id}: trigger {inconclusive[0].rule.name} inconclusive "
                            f"({inconclusive[0].message})",
                        )
                    )
    found += _night_stops(run)
    return [(key, reason) for key, reason in found if key not in acknowledged]


def _night_stops(run: JobRun) -> list[tuple[str, str]]:
    """A no-go signed for tonight stops the line, like a rollback in a group (break-glass go-no-go passes)."""
    if GO_NO_GO in run.overrides or not run.settings.night.go_no_go.items:
        return []
    night = read_night(run.core.jobs.store, run.settings, run.core.now())
    if not night.no_go:
        return []
    key = "night:" + ",".join(f"{i.item}@{i.signoff.signed_at}" for i in night.no_go if i.signoff)
    return [(key, f"go-no-go: {night.no_go_words()}")]


async def _line_clear(run: JobRun, groups: Sequence[Sequence[str]], number: int) -> bool:
    """Wait until nothing in the groups before `number` stops it; a human resumes a stopped line.

    Returns False when the batch is aborted meanwhile.
    """
    core = run.core
    while not run.aborting:
        stops = _stop_the_line(run, groups[:number])
        if not stops:
            return True
        reason = f"stop the line before group {number + 1}: " + "; ".join(reason for _, reason in stops)
        if await run.wait_for_human(f"group {number + 1}:line", reason):
            acknowledged = [*run.params.get("acknowledged", []), *(key for key, _ in stops)]
            run.params["acknowledged"] = acknowledged
            core.jobs.update_params(run.job_id, acknowledged=acknowledged)
    return False


async def _before_switch(run: JobRun, groups: Sequence[Sequence[str]], number: int) -> None:
    """Group `number` re-hydrated: wait for the groups before it to end, the line to be clear, no pause."""
    core = run.core
    step = run.step(None, f"group {number + 1}")
    while not run.aborting:
        unfinished = [
            (index, tid)
            for index, group in enumerate(groups[:number])
            for tid in group
            if run.target_state(tid) in UNFINISHED
        ]
        if not unfinished:
            break
        ahead = sorted({index + 1 for index, _ in unfinished})
        waiting = (
            f"waiting for group {', '.join(map(str, ahead))} to end its monitoring "
            f"({len(unfinished)} tenant{'s' if len(unfinished) != 1 else ''} in flight) before the final sync"
        )
        if step.detail.get("waiting") != waiting:
            step = core.jobs.note_step(step, detail={"waiting": waiting})
        await run.poll()
    if step.detail.get("waiting"):
        core.jobs.note_step(step, detail={"waiting": ""})
    if await _line_clear(run, groups, number):
        await run.while_paused()


@runs(JobKind.BATCH)
async def run_batch(run: JobRun) -> None:
    core = run.core
    asked = BatchParams.read(run.params, run.settings)
    groups, interval = [list(group) for group in asked.groups], asked.interval
    group_tasks: list[asyncio.Task[None]] = []
    previous_start: float | None = None
    switches: dict[int, asyncio.Task[None]] = {}

    def before_switch(number: int) -> Callable[[], Awaitable[None]]:
        async def wait() -> None:
            # One wait per group, shared by its tenants (one hold, not five).
            if number not in switches:
                switches[number] = asyncio.ensure_future(_before_switch(run, groups, number))
            await asyncio.shield(switches[number])

        return wait

    async def watch_group(number: int, tenant_ids: list[str], flows: list[Awaitable[TargetState]]) -> None:
        await asyncio.gather(*flows)
        step = run.step(None, f"group {number + 1}")
        counts = Counter(run.target_state(tenant_id) for tenant_id in tenant_ids)
        summary = ", ".join(f"{counts[state]} {OUTCOME_WORDS[state]}" for state in TargetState if counts[state])
        core.jobs.finish_step(step, StepState.DONE, summary)

    try:
        for number, tenant_ids in enumerate(groups):
            step = run.step(None, f"group {number + 1}")
            if step.state in (StepState.DONE, StepState.SKIPPED):
                previous_start = step.started_at
                continue
            if step.state is StepState.PENDING:
                if previous_start is None:
                    # Ready before its window opened: the first group waits for it (the plan said when).
                    scheduled = max(core.now(), asked.not_before or 0.0)
                else:
                    scheduled = previous_start + interval
                waiting = "the migration window" if previous_start is None and scheduled > core.now() else ""
                step = core.jobs.note_step(
                    step, detail={"scheduled_at": scheduled, **({"waiting": f"waits for {waiting}"} if waiting else {})}
                )
                while core.now() < scheduled and not run.aborting:
                    await run.wait(min(scheduled - core.now(), 60.0))
                if not run.aborting:
                    await run.while_paused()
                await _line_clear(run, groups, number)
                if run.aborting:
                    break
                pending = [tid for tid in tenant_ids if run.target_state(tid) is TargetState.PENDING]
                while pending and not run.aborting:
                    verdict = await admit(run, pending)
                    if verdict.ok:
                        break
                    if only_capacity(verdict):
                        core.jobs.note_step(step, detail={"waiting": verdict.describe()})
                        await run.poll()
                    elif not await run.wait_for_human(f"group {number + 1}:safety", verdict.describe()):
                        break
                    pending = [tid for tid in tenant_ids if run.target_state(tid) is TargetState.PENDING]
                if run.aborting:
                    break
                step = core.jobs.start_step(step, {"started_at": core.now(), "waiting": ""})
            else:
                # Resumed after a restart: admit whoever the crash left pending, carry on with the rest.
                pending = [tid for tid in tenant_ids if run.target_state(tid) is TargetState.PENDING]
                if pending:
                    await admit(run, pending)
            previous_start = step.started_at
            running = [tid for tid in tenant_ids if run.target_state(tid) is TargetState.RUNNING]
            group_tasks.append(
                asyncio.ensure_future(
                    watch_group(
                        number,
                        tenant_ids,
                        [tenant_task(run, tid, run_cutover(run, tid, before_switch(number))) for tid in running],
                    )
                )
            )
        if run.aborting:
            for number, tenant_ids in enumerate(groups):
                for tenant_id in tenant_ids:
                    if run.target_state(tenant_id) is TargetState.PENDING:
                        run.end_target(tenant_id, TargetState.ABORTED, "batch aborted before its group started")
                step = run.step(None, f"group {number + 1}")
                if step.state is StepState.PENDING:
                    core.jobs.finish_step(step, StepState.SKIPPED, "batch aborted")
        await asyncio.gather(*group_tasks)
        for task in switches.values():
            task.cancel()
        finish(run)
    finally:
        # A group's tasks never outlive the batch's (a lost lease, a stop): their outcome is collected here.
        for task in [*group_tasks, *switches.values()]:
            task.cancel()
        await asyncio.gather(*group_tasks, *switches.values(), return_exceptions=True)
