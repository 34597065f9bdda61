"""Small DNS servers on 127.0.0.1 for the lab and the tests (dnspython, UDP, one thread each).

- AuthoritativeServer answers from a lookup: name -> (record type, values, TTL), as the
  zone's name servers do. `ZoneLookup` keeps records set by hand; `sim_zone_lookup` reads
  the simulated Route 53's records from the store, so it serves what the simulator's
  changes made.
- CachingResolver forwards to an upstream server and keeps each answer until its TTL
  runs out on the clock it is given (the fleet's clock in tests), answering the cached
  value with the TTL left, as a public resolver does.
"""

from __future__ import annotations

import socket
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset

Answer = tuple[str, tuple[str, ...], int]  # record type, values, TTL
Lookup = Callable[[str], Answer | None]


class _UdpServer(ABC):
    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self.queries = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"dns-{self.port}", daemon=True)

    def start(self) -> _UdpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                query = dns.message.from_wire(data)
            except dns.exception.DNSException:
                continue
            self.queries += 1
            try:
                reply = self.answer(query)
            except Exception:  # the upstream is gone, a bug: say SERVFAIL, keep serving
                reply = dns.message.make_response(query)
                reply.set_rcode(dns.rcode.SERVFAIL)
            self._sock.sendto(reply.to_wire(), peer)

    @abstractmethod
    def answer(self, query: dns.message.Message) -> dns.message.Message:
        """The reply to one query: the authoritative server's records, or the resolver's cache."""


def _reply(query: dns.message.Message, found: Answer | None, *, authoritative: bool) -> dns.message.Message:
    reply = dns.message.make_response(query)
    if authoritative:
        reply.flags |= dns.flags.AA
    question = query.question[0]
    if found is None:
        reply.set_rcode(dns.rcode.NXDOMAIN)
        return reply
    rdtype, values, ttl = found
    if dns.rdatatype.from_text(rdtype) == question.rdtype:
        texts = [f"{v}." if rdtype == "CNAME" else v for v in values]
        reply.answer.append(dns.rrset.from_text_list(question.name, ttl, "IN", rdtype, texts))
    return reply


class AuthoritativeServer(_UdpServer):
    def __init__(self, lookup: Lookup):
        super().__init__()
        self.lookup = lookup

    def answer(self, query: dns.message.Message) -> dns.message.Message:
        name = query.question[0].name.to_text().rstrip(".").lower()
        return _reply(query, self.lookup(name), authoritative=True)


class ZoneLookup:
    """Records set by hand: `zone.set("t1.example.com", "52.0.0.1", ttl=60)`."""

    def __init__(self) -> None:
        self._records: dict[str, Answer] = {}
        self._lock = threading.Lock()

    def set(self, name: str, value: str, *, ttl: int = 60, rdtype: str = "A") -> None:
        with self._lock:
            self._records[name.rstrip(".").lower()] = (rdtype, (value,), ttl)

    def __call__(self, name: str) -> Answer | None:
        with self._lock:
            return self._records.get(name)


def sim_zone_lookup(store_path: Path) -> Lookup:
    """What the simulated Route 53 holds for a name, read from the store (its own connection per call)."""
    import json
    import sqlite3

    def lookup(name: str) -> Answer | None:
        with sqlite3.connect(store_path, timeout=5) as db:
            row = db.execute(
                "SELECT routing FROM sim_dns_records WHERE lower(name) = ? ORDER BY version DESC LIMIT 1", (name,)
            ).fetchone()
            if row is None:  # a tenant's extra DNS name (the simulated Route 53 keeps them apart)
                row = db.execute(
                    "SELECT routing FROM sim_dns_names WHERE lower(name) = ? ORDER BY version DESC LIMIT 1", (name,)
                ).fetchone()
        if row is None:
            return None
        routing = json.loads(row[0])
        if routing.get("target") is not None:
            return ("A", (routing["target"],), int(routing["ttl"]))
        values = tuple(w[1] for w in routing["weights"] if w[2])
        return ("A", values, int(routing["ttl"]))

    return lookup


class CachingResolver(_UdpServer):
    """Forwards to `upstream` ("IP:PORT") and caches each answer for its TTL on `now()`."""

    def __init__(self, upstream: str, now: Callable[[], float]):
        super().__init__()
        host, _, port = upstream.partition(":")
        self.upstream = (host, int(port or 53))
        self.now = now
        self._cache: dict[tuple[str, int], tuple[float, dns.message.Message]] = {}

    def answer(self, query: dns.message.Message) -> dns.message.Message:
        question = query.question[0]
        key = (question.name.to_text().lower(), question.rdtype)
        now = self.now()
        cached = self._cache.get(key)
        if cached is None or cached[0] <= now:
            host, port = self.upstream
            fresh = dns.query.udp(dns.message.make_query(question.name, question.rdtype), host, timeout=2, port=port)
            ttl = min((rrset.ttl for rrset in fresh.answer), default=0)
            cached = (now + ttl, fresh)
            self._cache[key] = cached
        expires, upstream_reply = cached
        reply = dns.message.make_response(query)
        reply.set_rcode(upstream_reply.rcode())
        left = max(0, int(expires - now))
        for rrset in upstream_reply.answer:
            copy = dns.rrset.RRset(rrset.name, rrset.rdclass, rrset.rdtype)
            copy.update(rrset)
            copy.ttl = left
            reply.answer.append(copy)
        return reply
