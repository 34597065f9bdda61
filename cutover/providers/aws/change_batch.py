"""Route 53 change batches: built from routings, checked the way Route 53 checks them.

moto accepts batches that real Route 53 rejects (a weighted record beside a
simple one, Weight without SetIdentifier, Weight 300, a CREATE of an existing
record), so every batch is checked here before it is sent.

A tenant's change is DELETE of every record set exactly as it was read, then
CREATE of the new ones, in one batch: Route 53 applies a batch whole or not at
all, and refuses a DELETE that does not match the record exactly, which makes
the batch a compare-and-swap.
"""

from __future__ import annotations

import ipaddress
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cutover.model.routing import FENCE_TTL, Routing, WeightedTarget, fence_name, fenced_name
from cutover.providers.ports.errors import ProviderError

MAX_VALUES = 1000  # record values per request (UPSERT counts twice)
MAX_CHARACTERS = 32_000  # characters of values per request (UPSERT counts twice)
MAX_WEIGHTED = 100  # weighted records of one name and type
MAX_TTL = 2_147_483_647

RecordSet = dict[str, Any]


class ChangeBatchRejected(ProviderError):
    """The batch would be refused by Route 53 (or breaks its rules moto does not check). Nothing was sent."""

    def __init__(self, source: str, problems: Sequence[str]):
        super().__init__(source, "change batch refused before sending: " + "; ".join(problems))
        self.problems = tuple(problems)


def record_type(target: str) -> str:
    try:
        return "AAAA" if ipaddress.ip_address(target).version == 6 else "A"
    except ValueError:
        return "CNAME"


def fqdn(name: str) -> str:
    return name.lower().rstrip(".") + "."


def record_sets(name: str, routing: Routing) -> list[RecordSet]:
    """The Route 53 record sets that express `routing` for `name`."""
    if routing.target is not None:
        return [_record(name, routing.target, routing.ttl)]
    return [
        {**_record(name, weighted.target, routing.ttl), "SetIdentifier": weighted.set_id, "Weight": weighted.weight}
        for weighted in routing.weights
    ]


def _record(name: str, target: str, ttl: int) -> RecordSet:
    return {"Name": fqdn(name), "Type": record_type(target), "TTL": ttl, "ResourceRecords": [{"Value": target}]}


def fence_set(name: str, token: str) -> RecordSet:
    """The fencing TXT record set beside `name`, holding `token`."""
    return {
        "Name": fqdn(fence_name(name)),
        "Type": "TXT",
        "TTL": FENCE_TTL,
        "ResourceRecords": [{"Value": f'"{token}"'}],
    }


def txt_text(record: RecordSet) -> str:
    """A TXT record's text: its quoted strings joined, quotes removed."""
    return ",".join(str(value["Value"]).strip('"') for value in record.get("ResourceRecords", []))


def routing_of(sets: Sequence[RecordSet]) -> Routing:
    """How a name's record sets route: simple, weighted, or something we only describe."""
    if len(sets) == 1 and "SetIdentifier" not in sets[0]:
        return Routing.simple(_target_of(sets[0]), int(sets[0].get("TTL", 0)))
    if sets and all("Weight" in s and "SetIdentifier" in s for s in sets):
        weights = tuple(
            WeightedTarget(str(s["SetIdentifier"]), _target_of(s), int(s["Weight"]))
            for s in sorted(sets, key=lambda s: str(s["SetIdentifier"]))
        )
        if sum(w.weight for w in weights) > 0:
            return Routing(ttl=int(sets[0].get("TTL", 0)), weights=weights)
    # Failover, latency, geolocation, or all weights 0: shown as read, never a known side.
    described = ", ".join(f"{s.get('SetIdentifier', '-')}={_target_of(s)}" for s in sets)
    return Routing.simple(f"[{described}]", int(sets[0].get("TTL", 0)) if sets else 0)


def _target_of(record: RecordSet) -> str:
    if "AliasTarget" in record:
        return "alias:" + str(record["AliasTarget"].get("DNSName", "")).rstrip(".")
    return ",".join(str(value["Value"]) for value in record.get("ResourceRecords", []))


def version_of(sets: Sequence[RecordSet]) -> str:
    """The record sets exactly as read, canonical: what a DELETE must repeat."""
    keep = ("Name", "Type", "SetIdentifier", "Weight", "TTL", "ResourceRecords", "AliasTarget", "HealthCheckId")
    cleaned = [{key: s[key] for key in keep if key in s} for s in sets]
    cleaned.sort(key=lambda s: (s["Type"], str(s.get("SetIdentifier", ""))))
    return json.dumps(cleaned, sort_keys=True, separators=(",", ":"))


def sets_of_version(version: str) -> list[RecordSet]:
    return json.loads(version) if version else []


@dataclass(frozen=True)
class BatchCost:
    values: int
    characters: int

    def fits(self) -> bool:
        return self.values <= MAX_VALUES and self.characters <= MAX_CHARACTERS


def cost(changes: Sequence[dict[str, Any]]) -> BatchCost:
    values = characters = 0
    for change in changes:
        times = 2 if change["Action"] == "UPSERT" else 1
        record = change["ResourceRecordSet"]
        entries = record.get("ResourceRecords", [])
        values += times * max(1, len(entries))
        characters += times * sum(len(str(entry["Value"])) for entry in entries)
    return BatchCost(values, characters)


def validate(zone_name: str, changes: Sequence[dict[str, Any]], source: str = "route53") -> None:
    """Raise ChangeBatchRejected listing everything Route 53 would refuse."""
    problems: list[str] = []
    zone = fqdn(zone_name)
    final: dict[tuple[str, str], list[RecordSet]] = {}
    deleted: Counter[tuple[str, str, str]] = Counter()
    created: Counter[tuple[str, str, str]] = Counter()
    for change in changes:
        action, record = change["Action"], change["ResourceRecordSet"]
        name, rtype = str(record.get("Name", "")), str(record.get("Type", ""))
        where = f"{action} {name} {rtype}" + (f" [{record['SetIdentifier']}]" if "SetIdentifier" in record else "")
        if action not in ("CREATE", "DELETE", "UPSERT"):
            problems.append(f"{where}: unknown action")
        if not (name == zone or name.endswith("." + zone)):
            problems.append(f"{where}: the name is not in zone {zone}")
        if rtype not in ("A", "AAAA", "CNAME") and not (rtype == "TXT" and fenced_name(name) is not None):
            problems.append(f"{where}: type {rtype} is not one cutover changes")
        has_weight, has_set = "Weight" in record, "SetIdentifier" in record
        if has_weight != has_set:
            problems.append(f"{where}: Weight and SetIdentifier go together")
        if has_weight and not (isinstance(record["Weight"], int) and 0 <= record["Weight"] <= 255):
            problems.append(f"{where}: weight {record['Weight']!r} is outside 0-255")
        if has_set and not (1 <= len(str(record["SetIdentifier"])) <= 128):
            problems.append(f"{where}: SetIdentifier must be 1-128 characters")
        if "AliasTarget" not in record:
            ttl = record.get("TTL")
            if not (isinstance(ttl, int) and 0 <= ttl <= MAX_TTL):
                problems.append(f"{where}: TTL {ttl!r} is not a whole number of seconds")
            if not record.get("ResourceRecords"):
                problems.append(f"{where}: no value")
        key = (name, rtype, str(record.get("SetIdentifier", "")))
        if action == "DELETE":
            deleted[key] += 1
        else:
            created[key] += 1
            final.setdefault((name, rtype), []).append(record)
    for key, count in (deleted + created).items():
        if deleted[key] > 1 or created[key] > 1:
            problems.append(f"{key[0]} {key[1]}: changed {count} times in one batch")
    for (name, rtype), records in final.items():
        weighted = [r for r in records if "SetIdentifier" in r]
        if weighted and len(weighted) != len(records):
            problems.append(f"{name} {rtype}: a simple and a weighted record cannot share a name and type")
        if len(weighted) > MAX_WEIGHTED:
            problems.append(f"{name} {rtype}: more than {MAX_WEIGHTED} weighted records")
        if len({r.get("TTL") for r in weighted}) > 1:
            problems.append(f"{name} {rtype}: weighted records of one name need the same TTL")
        if weighted and sum(int(r.get("Weight", 0)) for r in weighted) == 0:
            problems.append(f"{name} {rtype}: every weight is 0; nothing predictable would answer")
        if rtype == "CNAME" and len(records) > 1 and not weighted:
            problems.append(f"{name}: a CNAME cannot share its name")
    spent = cost(changes)
    if spent.values > MAX_VALUES:
        problems.append(f"{spent.values} record values in one request; Route 53 allows {MAX_VALUES}: split the batch")
    if spent.characters > MAX_CHARACTERS:
        problems.append(
            f"{spent.characters} characters of values in one request; Route 53 allows {MAX_CHARACTERS}: split the batch"
        )
    if problems:
        raise ChangeBatchRejected(source, problems)
