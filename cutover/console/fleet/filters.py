"""The `/` filter (free words, state:, wave:, tier:, id:, night:) and the sort orders of the fleet table."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cutover.console.fleet.columns import ATTENTION, COLUMN_INDEX, QUEUE, TIER_ORDER, FleetRow
from cutover.model.lifecycle import Lifecycle


class FilterError(ValueError):
    """A filter the operator typed that cannot be understood; the message says how to write it."""


FILTER_KEYS = ("state", "wave", "tier", "id", "night")


@dataclass(frozen=True)
class FleetFilter:
    """`/` filter: free words (all must match) and state:, wave:, tier:, id: (comma means or); a word with
    commas is a list of tenant IDs (`T-0008,T-0555`); night: (tonight's batches, or night:batch-2 for one)."""

    words: tuple[str, ...] = ()
    states: frozenset[Lifecycle] = frozenset()
    waves: frozenset[int] = frozenset()
    tiers: frozenset[str] = frozenset()
    ids: frozenset[str] = frozenset()  # lower case
    faults_only: bool = False
    text: str = ""
    tonight: bool = False  # night: only the tenants tonight's batches hold or target
    batches: tuple[str, ...] = ()  # night:batch-2 -> only that batch's

    @property
    def active(self) -> bool:
        return bool(
            self.words or self.states or self.waves or self.tiers or self.ids or self.faults_only or self.tonight
        )

    def matches(self, row: FleetRow) -> bool:
        if self.faults_only and not row.fault:
            return False
        if self.tonight and not row.tonight:
            return False
        if self.batches and not any(batch in row.tonight.split() for batch in self.batches):
            return False
        if self.states and row.lifecycle not in self.states:
            return False
        if self.waves and row.wave not in self.waves:
            return False
        if self.tiers and row.tier not in self.tiers:
            return False
        if self.ids and row.tenant_id.lower() not in self.ids:
            return False
        return all(word in row.search_text for word in self.words)

    def describe(self) -> str:
        parts = [self.text] if self.text else []
        if self.faults_only:
            parts.append("faults only")
        return ", ".join(parts)


def _match_state(value: str) -> set[Lifecycle]:
    wanted = value.replace(" ", "_").replace("-", "_")
    exact = {state for state in Lifecycle if state.value == wanted}
    if exact:
        return exact
    found = {state for state in Lifecycle if state.value.startswith(wanted)}
    if not found:
        known = ", ".join(state.value for state in Lifecycle)
        raise FilterError(f"state:{value} matches no state; states are {known}")
    return found


def _match_tier(value: str) -> set[str]:
    found = {tier for tier in TIER_ORDER if tier.startswith(value)}
    if not found:
        raise FilterError(f"tier:{value} matches no tier; tiers are standard (std), premium (prem), enterprise (ent)")
    return found


def _match_wave(value: str) -> set[int]:
    if not value.isdigit():
        raise FilterError(f"wave:{value} is not a wave number; write wave:1 or wave:1,2")
    return {int(value)}


_MATCHERS: dict[str, Callable[[str], set[Any]]] = {
    "state": _match_state,
    "wave": _match_wave,
    "tier": _match_tier,
    "id": lambda value: {value},
}
SORT_NAMES = {
    ATTENTION: "attention (in flight, faults, tonight, the rest)",
    QUEUE: "queue order (Pilot, wave, priority: the order batches pick in)",
    "id": "tenant",
    "wave": "wave",
    "tier": "tier",
    "state": "state",
    "next": "next step",
    "lag": "sync lag",
    "traffic": "OCI traffic",
    "errors": "error rate against baseline",
    "p95": "p95 against baseline",
    "backends": "healthy backends",
    "lock": "lock",
}


def parse_filter(text: str, *, faults_only: bool = False) -> FleetFilter:
    """`ready wave:1,2 tier:ent` -> a filter; raises FilterError naming the bad part."""
    words: list[str] = []
    found: dict[str, set[Any]] = {key: set() for key in FILTER_KEYS}
    tonight = False
    for token in text.lower().split():
        key, colon, value = token.partition(":")
        if not colon:
            if "," in token:  # T-0008,T-0555: any of these tenants
                found["id"] |= set(filter(None, token.split(",")))
            else:
                words.append(token)
            continue
        if key == "night":
            tonight = True
            found["night"] |= set(filter(None, value.split(",")))
            continue
        if key not in _MATCHERS:
            raise FilterError(f"{key}: is not a filter; use {', '.join(k + ':' for k in FILTER_KEYS)} or plain words")
        if not value:
            raise FilterError(f"{key}: needs a value, like {key}:{'1' if key == 'wave' else 'ready'}")
        for part in filter(None, re.split(r",", value)):
            found[key] |= _MATCHERS[key](part)
    return FleetFilter(
        words=tuple(words),
        states=frozenset(found["state"]),
        waves=frozenset(found["wave"]),
        tiers=frozenset(found["tier"]),
        ids=frozenset(found["id"]),
        faults_only=faults_only,
        text=text.strip(),
        tonight=tonight,
        batches=tuple(sorted(found["night"])),
    )


def sort_key(column: str) -> Callable[[FleetRow], tuple[Any, str]]:
    if column == ATTENTION:
        return lambda row: (row.attention, row.tenant_id)
    if column == QUEUE:
        return lambda row: (row.queue, row.tenant_id)
    index = COLUMN_INDEX[column]
    if column == "id":
        return lambda row: (row.tenant_id, "")
    return lambda row: (row.sort_values[index], row.tenant_id)
