"""What the header and the stopped-line banner say beyond their fixed fields, from the feed's last read:
who leads, the night's go/no-go, the filter, the alerts out of sight, the jobs; and the loud lines (a
stopped line, a no-go, pinned alerts while the alerts panel is hidden)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cutover.console.widgets.line_stopped import job_counts, stopped_lines

if TYPE_CHECKING:
    from cutover.console.feed import FeedUpdate


def header_words(
    update: FeedUpdate | None,
    *,
    filter_words: str,
    alerts_hidden: bool,
    alert_count: int,
    store_unreadable: bool,
    leader: str,
    key_for: Callable[[str], str],
) -> tuple[list[str], list[str] | None]:
    """The header's extra words, and the banner's loud lines (None: the banner as it is, nothing read yet)."""
    extra: list[str] = []
    if filter_words:
        extra.append(filter_words)
    loud = stopped_lines(update.jobs) if update is not None else None
    night = update.night if update is not None else None
    if night is not None and night.configured:
        extra.insert(0, night.header())  # the night's go/no-go, before anything a narrow screen cuts
        if night.no_go:
            # A no-go stops the line for the whole night, held batch or not: said where a stop is said.
            loud = [f"LINE STOPPED: {night.no_go_words()}", *(loud or [])]
    pinned = len(update.pinned) if update is not None else 0
    if pinned and alerts_hidden:
        # Hidden by the operator: said where a stopped line is, so it is never out of sight.
        loud = [
            *(loud or []),
            f"{pinned} PINNED ALERT{'S' * (pinned != 1)}: {key_for('alerts')} shows "
            f"{'them' if pinned != 1 else 'it'}, {key_for('acknowledge')} acknowledges",
        ]
    if alerts_hidden and alert_count:
        extra.append(f"{alert_count} alerts (a)")
    if store_unreadable:
        extra.append("STORE UNREADABLE")
    if update is not None and not update.complete:
        extra.append("reading the whole fleet…")
    if leader:
        extra.insert(0, leader)
    if update is not None and update.jobs:
        extra.append(job_counts(update.jobs))
    return extra, loud
