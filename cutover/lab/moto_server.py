"""moto in server mode on 127.0.0.1, with Route 53's change batches made as strict as Route 53's.

moto 5.2 differs from Route 53 where cutover depends on it most:
- it deletes a weighted record by its SetIdentifier alone, across the whole zone
  (deleting tenant A's "aws" record deletes every tenant's "aws" record);
- it accepts a DELETE whose values no longer match the record, as long as those
  values were created once: so compare-and-swap would never fail;
- it refuses DELETE + CREATE of the same name in one batch when that CREATE was
  sent once before, and accepts a CREATE of a record that exists otherwise;
- CloudWatch's GetMetricData answers an extended statistic (p95) with a server
  error; the lab computes it from the datapoints of the period, as CloudWatch does.
The patch checks each batch in order, as Route 53 does (a DELETE must match the
record exactly, a CREATE must not find one, a simple and a weighted record never
share a name), answers with Route 53's own messages, and deletes by name, type
and SetIdentifier.
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any

from cutover.lab.stoppable import Stoppable

_patched = False
_deleting = threading.local()


def _patch_weighted_delete() -> None:
    global _patched
    if _patched:
        return
    from moto.route53 import models

    original_change = models.Route53Backend.change_resource_record_sets

    def change_resource_record_sets(self: Any, zoneid: str, change_list: list[dict[str, Any]]) -> None:
        _check_like_route53(self.get_hosted_zone(zoneid), change_list, models)
        change_list = [
            {**change, "Action": "UPSERT"} if change.get("Action") == "CREATE" else change for change in change_list
        ]
        _deleting.queue = [
            dict(change["ResourceRecordSet"])
            for change in change_list
            if change.get("Action") == "DELETE" and "SetIdentifier" in change.get("ResourceRecordSet", {})
        ]
        try:
            original_change(self, zoneid, change_list)
        finally:
            _deleting.queue = []

    def delete_rrset_by_id(self: Any, set_identifier: str) -> None:
        queue = getattr(_deleting, "queue", [])
        record = queue.pop(0) if queue else {}
        name = str(record.get("Name", "")).rstrip(".") + "."
        self.rrsets = [
            r
            for r in self.rrsets
            if not (
                r.set_identifier == set_identifier
                and (not record or (r.name == name and r.type == record.get("Type", r.type)))
            )
        ]

    from moto.cloudwatch import models as cloudwatch

    original_statistic = cloudwatch.Statistics.get_statistics_for_type

    def get_statistics_for_type(self: Any, stat: str) -> Any:
        match = re.fullmatch(r"p(\d{1,2}(?:\.\d+)?)", stat)
        if not match:
            return original_statistic(self, stat)
        values = sorted(float(v) for v in self.metric_single_values_list)
        if not values:
            return None
        rank = max(0, math.ceil(float(match.group(1)) / 100 * len(values)) - 1)
        return values[rank]

    # Patching moto's methods is the point here (see above); mypy refuses assigning to a method.
    cloudwatch.Statistics.get_statistics_for_type = get_statistics_for_type  # type: ignore[method-assign]
    models.Route53Backend.change_resource_record_sets = change_resource_record_sets  # type: ignore[method-assign]
    models.FakeZone.delete_rrset_by_id = delete_rrset_by_id  # type: ignore[method-assign]
    _patched = True


def _key(record: dict[str, Any]) -> tuple[str, str, str]:
    return (str(record["Name"]).rstrip(".").lower() + ".", str(record["Type"]), str(record.get("SetIdentifier") or ""))


def _values(record: dict[str, Any]) -> tuple[Any, ...]:
    values = [v["Value"] if isinstance(v, dict) else v for v in record.get("ResourceRecords") or []]
    ttl = record.get("TTL")
    weight = record.get("Weight")
    return (
        None if ttl is None else str(ttl),
        tuple(sorted(str(v) for v in values)),
        None if weight is None else str(weight),
        str(record.get("AliasTarget") or ""),
    )


def _check_like_route53(zone: Any, change_list: list[dict[str, Any]], models: Any) -> None:
    from moto.route53.exceptions import Route53ClientError

    current = {
        _key({"Name": r.name, "Type": r.type, "SetIdentifier": r.set_identifier}): _values(
            {
                "TTL": r.ttl,
                "ResourceRecords": r.records,
                "Weight": r.weight,
                "AliasTarget": r.alias_target,
            }
        )
        for r in zone.rrsets
    }
    problems: list[str] = []
    for change in change_list:
        record = change["ResourceRecordSet"]
        key = _key(record)
        described = f"[name='{key[0]}', type='{key[1]}'" + (f", set-identifier='{key[2]}'" if key[2] else "") + "]"
        if change["Action"] == "DELETE":
            if key not in current:
                problems.append(f"Tried to delete resource record set {described} but it was not found")
            elif current[key] != _values(record):
                problems.append(
                    f"Tried to delete resource record set {described} but the values provided do not match "
                    "the current values"
                )
            current.pop(key, None)
        elif change["Action"] == "CREATE":
            if key in current:
                problems.append(f"Tried to create resource record set {described} but it already exists")
            kinds = {bool(k[2]) for k in current if k[:2] == key[:2]}
            if kinds and bool(key[2]) not in kinds:
                problems.append(
                    f"RRSet with DNS name {key[0]} and type {key[1]} cannot be created as a "
                    + ("weighted" if key[2] else "non-weighted")
                    + " set exists with the same name and type."
                )
            current[key] = _values(record)
    if problems:
        raise Route53ClientError("InvalidChangeBatch", "[" + ", ".join(problems) + "]")


# The dummy keys every client of the lab's moto signs with (moto accepts any), and no instance metadata to wait for.
LAB_AWS_ENVIRONMENT = {"AWS_ACCESS_KEY_ID": "lab", "AWS_SECRET_ACCESS_KEY": "lab", "AWS_EC2_METADATA_DISABLED": "true"}


@dataclass
class MotoServer(Stoppable):
    """A running moto server; `reset()` empties it between tests."""

    url: str
    _server: Any

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        self._server.stop()


def start_moto() -> MotoServer:
    """Start moto on a free port of 127.0.0.1. Needs the `lab` extra (pip install 'cutover-console[lab]')."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "the lab needs moto: install the lab extra with pip install 'cutover-console[lab]' (make installs it)"
        ) from exc
    for name in ("werkzeug", "moto"):
        logging.getLogger(name).setLevel(logging.ERROR)
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    _patch_weighted_delete()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return MotoServer(f"http://{host}:{port}", server)
