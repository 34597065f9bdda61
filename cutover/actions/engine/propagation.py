"""Propagation: after a DNS change, ask the zone's authoritative servers and the configured resolvers
(`dns.authoritative`, `dns.resolvers`) until each answers the new value, or `dns.propagation_timeout`.

INSYNC says the DNS service has the change; a resolver that cached the old answer keeps
serving it until its TTL runs out. This asks each server as the runbook's
`dig +short NAME @8.8.8.8` does, every `engine.step_poll`, and records per server when it
first answered the new value: the `propagated` time beside INSYNC and the traffic shift.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from cutover.config.units import format_duration
from cutover.providers.dns_probe import DnsProbe, ProbeAnswer, record_type

AUTHORITATIVE, RESOLVER = "authoritative", "resolver"


@dataclass(frozen=True)
class ServerResult:
    server: str
    role: str  # authoritative or resolver
    seen_at: float | None = None  # when it first answered the new value
    last: str = "not asked yet"  # its last answer, in words
    asked: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "role": self.role,
            "seen_at": self.seen_at,
            "last": self.last,
            "asked": self.asked,
        }


@dataclass(frozen=True)
class Propagation:
    name: str
    want: str
    changed_at: float
    servers: tuple[ServerResult, ...] = field(default_factory=tuple)
    ended: bool = False

    @property
    def seen(self) -> tuple[ServerResult, ...]:
        return tuple(s for s in self.servers if s.seen_at is not None)

    @property
    def propagated_at(self) -> float | None:
        """When the last server answered the new value; None while one has not."""
        if not self.servers or len(self.seen) < len(self.servers):
            return None
        return max(s.seen_at for s in self.servers if s.seen_at is not None)

    def describe(self) -> str:
        """ "propagated 1m 05s (2/2 servers)", "not propagated: 1/2 servers (8.8.8.8 still 52.0.0.1 ...)"."""
        total = len(self.servers)
        at = self.propagated_at
        if at is not None:
            return f"propagated {format_duration(at - self.changed_at)} ({total}/{total} servers)"
        missing = "; ".join(f"{s.server} {s.last}" for s in self.servers if s.seen_at is None)
        word = "not propagated" if self.ended else "propagating"
        return f"{word}: {len(self.seen)}/{total} servers ({missing})"

    def lines(self) -> list[str]:
        """One line a server: "127.0.0.1:5301 resolver: 129.213.0.1 after 58s"."""
        out = []
        for s in self.servers:
            when = f"after {format_duration(s.seen_at - self.changed_at)}" if s.seen_at is not None else "not yet"
            out.append(f"{s.server} {s.role}: {s.last} {when}")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "want": self.want,
            "changed_at": self.changed_at,
            "propagated_at": self.propagated_at,
            "ended": self.ended,
            "summary": self.describe(),
            "servers": [s.to_json() for s in self.servers],
        }


def servers_of(authoritative: Sequence[str], resolvers: Sequence[str]) -> list[tuple[str, str]]:
    return [(s, AUTHORITATIVE) for s in authoritative] + [(s, RESOLVER) for s in resolvers]


def _words(answer: ProbeAnswer, want: str) -> str:
    if answer.error:
        return f"error: {answer.error}"
    if not answer.answers:
        return "no record"
    values = ", ".join(answer.answers)
    if want in answer.answers:
        return values
    return f"still {values}" + (f" ({answer.ttl} s left)" if answer.ttl is not None else "")


async def watch(
    probe: DnsProbe,
    name: str,
    want: str,
    servers: Sequence[tuple[str, str]],
    changed_at: float,
    *,
    now: Callable[[], float],
    sleep: Callable[[float], Awaitable[None]],
    poll: float,
    timeout: float,
    progress: Callable[[Propagation], None] | None = None,
) -> Propagation:
    """Ask every server until each answers `want` (or `timeout` after `changed_at`); report each round."""
    state = Propagation(name, want, changed_at, tuple(ServerResult(s, role) for s, role in servers))
    rdtype = record_type(want)
    while True:
        updated = []
        for result in state.servers:
            if result.seen_at is not None:
                updated.append(result)
                continue
            answer = await probe.ask(result.server, name, rdtype, now())
            seen = answer.measured_at if want in answer.answers and not answer.error else None
            updated.append(replace(result, seen_at=seen, last=_words(answer, want), asked=result.asked + 1))
        state = replace(state, servers=tuple(updated))
        over = now() - changed_at >= timeout
        if state.propagated_at is not None or over:
            state = replace(state, ended=True)
        if progress is not None:
            progress(state)
        if state.ended:
            return state
        await sleep(poll)
