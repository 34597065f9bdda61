"""Asking DNS servers what they answer for a name, as `dig @SERVER NAME` does (dnspython, async, UDP).

The propagation watch asks the zone's authoritative name servers and the configured
resolvers after each DNS change. A server that does not answer (timeout, refused, no
route) is an answer too: its error, never an exception. dnspython is imported on the
first question, off the console's start-up path.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from cutover.config.addresses import split_address

SOURCE = "dns-probe"


@dataclass(frozen=True)
class ProbeAnswer:
    server: str  # as configured: "8.8.8.8", "127.0.0.1:5353"
    answers: tuple[str, ...]  # the record values, sorted, without a trailing dot
    ttl: int | None  # the TTL the server gave (what a resolver has left in its cache)
    measured_at: float
    error: str = ""


def record_type(target: str) -> str:
    """What to ask for to see `target`: A for an IPv4 address, AAAA for IPv6, CNAME for a host name."""
    try:
        return "AAAA" if ipaddress.ip_address(target).version == 6 else "A"
    except ValueError:
        return "CNAME"


class DnsProbe:
    source = SOURCE

    def __init__(self, timeout: float = 2.0):
        self.timeout = timeout

    async def ask(self, server: str, name: str, rdtype: str, now: float) -> ProbeAnswer:
        import dns.asyncquery
        import dns.exception
        import dns.message
        import dns.rcode
        import dns.rdatatype

        host, port = split_address(server)
        query = dns.message.make_query(name, rdtype)
        try:
            reply = await dns.asyncquery.udp(query, host, timeout=self.timeout, port=port)
        except dns.exception.Timeout:
            return ProbeAnswer(server, (), None, now, f"no answer within {self.timeout:g} s")
        except (OSError, dns.exception.DNSException) as error:
            return ProbeAnswer(server, (), None, now, f"{type(error).__name__}: {error}")
        if reply.rcode() != dns.rcode.NOERROR:
            return ProbeAnswer(server, (), None, now, dns.rcode.to_text(reply.rcode()))
        wanted = dns.rdatatype.from_text(rdtype)
        sets = [rrset for rrset in reply.answer if rrset.rdtype == wanted]
        values = tuple(sorted(rdata.to_text().rstrip(".") for rrset in sets for rdata in rrset))
        ttl = min((rrset.ttl for rrset in sets), default=None)
        return ProbeAnswer(server, values, ttl, now)
