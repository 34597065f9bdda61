"""DNS server addresses as the configuration writes them: "8.8.8.8", "127.0.0.1:5353", "[::1]:5353"."""

from __future__ import annotations

import ipaddress

DNS_PORT = 53


def split_address(server: str) -> tuple[str, int]:
    """ "8.8.8.8" -> ("8.8.8.8", 53); "127.0.0.1:5353"; "[::1]:5353"; "::1". Raises ValueError saying what to write."""
    text = server.strip()
    host, port_text = text, ""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest and not rest.startswith(":"):
            raise ValueError(f"{server!r} is not an address: write IP, IP:PORT or [IPv6]:PORT")
        port_text = rest[1:]
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    try:
        ipaddress.ip_address(host)
        port = int(port_text) if port_text else DNS_PORT
    except ValueError:
        raise ValueError(
            f"{server!r} is not a DNS server address: write an IP address, IP:PORT or [IPv6]:PORT "
            "(a name would need a resolver to find the resolver)"
        ) from None
    if not 0 < port < 65536:
        raise ValueError(f"{server!r}: port {port} is outside 1-65535")
    return host, port


def check_address(server: str) -> str:
    split_address(server)
    return server.strip()
