"""A tenant's extra DNS names: the matrix's `Extra DNS names` cell, `;`-separated, each `name` or `name@zone`.

Edge Case 2 of the runbook moves `api.tenant42.example.com` together with
`tenant42.example.com`: every name of a tenant is changed in the same change set
(one a zone), so they move atomically. A name without `@zone` lives in the tenant's
own hosted zone.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

SEPARATOR = ";"
_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
# A Route 53 hosted zone id (Z0123456789ABC, or /hostedzone/Z...), an OCI DNS zone OCID, or a zone name.
_ROUTE53_ZONE_ID = re.compile(r"^(?:/hostedzone/)?[A-Z0-9]{4,32}$")
_OCI_ZONE_OCID = re.compile(r"^ocid1\.dns-zone\.[a-z0-9-]+\.[a-z0-9-]*\.[a-z0-9]+$")


@dataclass(frozen=True)
class ExtraName:
    name: str  # bare: lower case, no trailing dot
    zone: str = ""  # as written after '@' (a zone name made bare); "" for the tenant's own zone

    def text(self) -> str:
        return f"{self.name}@{self.zone}" if self.zone else self.name


def is_dns_name(name: str) -> bool:
    if _is_ip(name):
        return False
    return (
        len(name) <= 253
        and "." in name
        and all(_DNS_LABEL.match(part) for part in name.split("."))
        and not name.rsplit(".", 1)[1].isdigit()
    )


def zone_name(zone: str) -> str:
    """The hosted zone as a DNS name, or "" when it is an ID (Route 53's Z..., an OCI OCID)."""
    zone = zone.strip().lower().rstrip(".")
    return "" if "." not in zone or zone.startswith("ocid1.") else zone


def normal_zone(zone: str) -> str | None:
    """A zone as written after '@', normalised: a name made bare, an id kept; None when it is neither."""
    zone = zone.strip()
    if _ROUTE53_ZONE_ID.match(zone) or _OCI_ZONE_OCID.match(zone):
        return zone
    bare = zone.lower().rstrip(".")
    return bare if is_dns_name(bare) else None


def split_extra_names(text: str) -> tuple[ExtraName, ...]:
    """The stored (already validated) cell as names; tolerant of blanks between separators."""
    found = []
    for part in text.split(SEPARATOR):
        part = part.strip()
        if not part:
            continue
        name, _, zone = part.partition("@")
        found.append(ExtraName(name.strip().lower().rstrip("."), zone.strip()))
    return tuple(found)


def parse_extra_names(text: str, primary: str, tenant_zone: str) -> tuple[tuple[ExtraName, ...], list[str]]:
    """(names, problems): each problem a complete sentence saying what to do about one entry."""
    names: list[ExtraName] = []
    problems: list[str] = []
    seen = {primary}
    home = zone_name(tenant_zone)
    for part in text.split(SEPARATOR):
        raw = part.strip()
        if not raw:
            continue
        name_text, at, zone_text = raw.partition("@")
        name = name_text.strip().lower().rstrip(".")
        if not name:
            problems.append(f"{raw!r} has no name before '@': write name@zone, like api.tenant42.example.com@zone")
            continue
        if _is_ip(name):
            problems.append(f"{name!r} is an IP address, not a DNS name: write the name clients use")
            continue
        if not is_dns_name(name):
            problems.append(f"{name!r} is not a DNS name: write a fully qualified name, like api.tenant42.example.com")
            continue
        zone = ""
        if at:
            normal = normal_zone(zone_text)
            if not zone_text.strip():
                problems.append(f"{raw!r} has nothing after '@': name the hosted zone, or leave out the '@'")
                continue
            if normal is None:
                problems.append(
                    f"{raw!r}: {zone_text.strip()!r} is not a hosted zone: write a zone name (example.com), a Route 53 "
                    "zone id (Z0123456789ABC) or an OCI DNS zone OCID (ocid1.dns-zone...)"
                )
                continue
            zone = normal
        inside = zone_name(zone) if zone else home
        if inside and name != inside and not name.endswith("." + inside):
            problems.append(
                f"{name!r} is not inside the hosted zone {inside}: write name@zone with the zone it lives in"
            )
            continue
        if name in seen:
            problems.append(f"{name!r} appears twice for this tenant (or is its DNS name): list each name once")
            continue
        seen.add(name)
        names.append(ExtraName(name, zone))
    return tuple(names), problems


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
