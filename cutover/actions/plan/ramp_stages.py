"""A ramp's stages as its steps name them, and what a step back may do.

A ramp is planned as steps `dns 10 %`, `hold 10 %`, `dns 25 %`, ... `dns 100 %`. A step
back from a stage's hold re-plans the rest: `back 10 % #2` (the change down), `hold
10 % #2` (where the ramp waits for a resume), then `dns 25 % #2`, `hold 25 % #2` and the
stages not yet reached. The plan lives in the store's steps, so an engine that takes
over mid-ramp carries on from the same plan.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cutover.model.jobs import StepName, StepState
from cutover.state.job_records import Step

_STAGE_STEP = re.compile(r"^(?P<act>dns|back|hold) (?P<percent>\d+) %(?: #(?P<round>\d+))?$")


@dataclass(frozen=True)
class StageStep:
    act: str  # "dns" (up to the stage), "back" (down to it) or "hold"
    percent: int
    round: int

    @property
    def changes_dns(self) -> bool:
        return self.act in ("dns", "back")


def parse(name: str) -> StageStep | None:
    found = _STAGE_STEP.match(name)
    if found is None:
        return None
    return StageStep(found["act"], int(found["percent"]), int(found["round"] or 1))


def step_name(act: str, percent: int, round_: int = 1) -> str:
    return f"{act} {percent} %" + (f" #{round_}" if round_ > 1 else "")


def share_now(steps: Sequence[Step]) -> int:
    """The percentage on OCI as the steps done so far left it (0: not yet changed)."""
    share = 0
    for step in steps:
        stage = parse(step.name)
        if stage is not None and stage.changes_dns and step.state is StepState.DONE:
            share = stage.percent
    return share


def stage_below(stages: Sequence[int], percent: int) -> int | None:
    lower = [stage for stage in stages if stage < percent]
    return max(lower) if lower else None


def step_back_refusal(tenant_id: str, steps: Sequence[Step], stages: Sequence[int]) -> str:
    """Why this tenant's ramp cannot step back now ("" when it can)."""
    share = share_now(steps)
    if share >= 100 or any(s.name == StepName.MONITORING and s.state is not StepState.PENDING for s in steps):
        return f"{tenant_id} has reached 100 % on OCI: the way back is a rollback (r)"
    if share == 0:
        return f"{tenant_id} has not changed DNS yet: nothing to step back from (pause or abort it)"
    if stage_below(stages, share) is None:
        return f"{tenant_id} is at its first stage ({share} %): below it is AWS alone, a rollback (r)"
    return ""


def step_back_plan(steps: Sequence[Step], stages: Sequence[int], by: str) -> list[tuple[str, dict[str, str]]]:
    """The steps a step back inserts after the current hold: down a stage, wait there, up again."""
    share = share_now(steps)
    below = stage_below(stages, share)
    if below is None:
        raise ValueError(f"no stage below {share} %")
    round_ = 1 + max((stage.round for stage in map(parse, (s.name for s in steps)) if stage), default=1)
    return [
        (step_name("back", below, round_), {}),
        (step_name("hold", below, round_), {"pause_for": by}),
        (step_name("dns", share, round_), {}),
        (step_name("hold", share, round_), {}),
    ]
