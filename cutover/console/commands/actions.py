"""The headless action commands: the runbook's CLI for scripts and rehearsals, on the same engine.

    cutover gate TENANT...
    cutover flip TENANT...            cutover ramp TENANT... [--stages 10,25,50,75,100] [--hold 30m]
    cutover rollback TENANT... | --all-in-flight
    cutover batch (--wave N | TENANT... | --count N) [--count 25] [--group 5] [--every 15m] [--monitor 10m]
    cutover pause|resume|abort|skip|step-back JOB   cutover approve TENANT...
    cutover jobs [JOB]                          cutover engine [--until-idle]

Each family lives in its own module: moves.py (gate, flip, ramp, rollback, batch), prepare.py (sync,
validate, decommission), controls.py (pause, resume, abort, skip, step-back, approve), jobs.py (jobs,
engine); what they share (the session, the options, run_action, the confirmation, following a job) in
acting.py. This module lists them, in the order `cutover --help` shows them.

Exit codes: 0 done, 1 failed or rolled back, 2 bad input, 3 refused by a gate, a
safety rule or a lock.
"""

from __future__ import annotations

from cutover.console.commands.controls import abort, approve, pause, resume, skip, step_back
from cutover.console.commands.jobs import engine, jobs
from cutover.console.commands.moves import batch, flip, gate, ramp, rollback
from cutover.console.commands.prepare import decommission, sync, validate

COMMANDS = (
    gate,
    flip,
    ramp,
    rollback,
    batch,
    sync,
    validate,
    pause,
    resume,
    abort,
    skip,
    step_back,
    approve,
    decommission,
    jobs,
    engine,
)
