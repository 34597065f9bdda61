"""`python tests/stall_launcher.py POINT ARGS...` runs `cutover ARGS...` and suspends itself (SIGSTOP) once,
right before its engine's first DNS change: a VM pause or a Ctrl-Z at the worst moment, on demand.

POINT is `before-lease-check` (the engine has still to check its lease) or `at-dns-call` (it checked its
lease and is about to send the change set: only the DNS fence can stop it). Everything else is the real
command: this only decides when the process freezes.
"""

from __future__ import annotations

import os
import signal
import sys

from cutover.actions.engine.engine_core import EngineCore
from cutover.console.cli import main

POINT = sys.argv[1]
_pace = EngineCore.dns_pace
_check = EngineCore.before_side_effect
_armed = {"pace": False, "stopped": False}


def _freeze() -> None:
    if not _armed["stopped"]:
        _armed["stopped"] = True
        os.kill(os.getpid(), signal.SIGSTOP)


async def dns_pace(self: EngineCore) -> None:
    await _pace(self)
    if POINT == "before-lease-check":
        _freeze()
    _armed["pace"] = True


def before_side_effect(self: EngineCore) -> None:
    _check(self)
    if POINT == "at-dns-call" and _armed["pace"]:
        _freeze()


EngineCore.dns_pace = dns_pace  # type: ignore[method-assign]
EngineCore.before_side_effect = before_side_effect  # type: ignore[method-assign]
sys.argv = ["cutover", *sys.argv[2:]]
main()
