"""Clock skew: this host's clock against the `Date` headers of the clouds' answers.

AWS's SigV4 refuses a request signed more than 5 minutes away from its own clock
(RequestTimeTooSkewed / "Signature expired"), and OCI's signatures likewise; long
before that, times in the audit trail and the metrics windows are wrong.
"""

from __future__ import annotations

import email.utils
from collections.abc import Sequence
from dataclasses import dataclass

from cutover.actions.wiring.doctor.results import Check, failed, ok, warn

NAME = "clock skew"
WARN_AFTER_S = 30.0
FAIL_AFTER_S = 300.0  # SigV4 refuses requests more than 5 minutes off
FIX = "synchronise this host's clock (chrony or systemd-timesyncd: timedatectl set-ntp true; chronyc tracking)"


@dataclass(frozen=True)
class DateSeen:
    """A server's Date header, and this host's clock just before the request and just after the answer."""

    source: str
    header: str
    sent_at: float
    received_at: float


def header_time(text: str) -> float | None:
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.timestamp() if parsed is not None and parsed.tzinfo is not None else None


def skew_of(seen: DateSeen) -> float | None:
    """The server's clock minus ours, seconds; 0 when within what the round trip and the Date header's
    one-second resolution leave uncertain."""
    server = header_time(seen.header)
    if server is None:
        return None
    low, high = seen.sent_at - 1.0, seen.received_at  # a Date is truncated to the second
    if low <= server <= high:
        return 0.0
    return server - high if server > high else server - low


def check_skew(seen: Sequence[DateSeen]) -> Check:
    measured = [(s.source, skew) for s in seen if (skew := skew_of(s)) is not None]
    if not measured:
        return ok(NAME, "not measured: no cloud endpoint is configured (or none answered with a Date header)")
    source, worst = max(measured, key=lambda item: abs(item[1]))
    words = ", ".join(f"{name} {skew:+.0f} s" for name, skew in measured)
    direction = "ahead of" if worst > 0 else "behind"
    if abs(worst) > FAIL_AFTER_S:
        return failed(
            NAME,
            f"{source}'s clock is {abs(worst):.0f} s {direction} this host's ({words}): AWS SigV4 and OCI refuse "
            "requests signed more than 5 minutes off",
            FIX,
        )
    if abs(worst) > WARN_AFTER_S:
        return warn(
            NAME,
            f"{source}'s clock is {abs(worst):.0f} s {direction} this host's ({words}); at 5 minutes the clouds "
            "refuse our signed requests",
            FIX,
        )
    return ok(NAME, f"within {WARN_AFTER_S:.0f} s of the clouds ({words})")
