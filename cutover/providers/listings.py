"""Comparing two bucket listings: the proof that a copy is whole, without rclone."""

from __future__ import annotations

from dataclasses import dataclass

from cutover.providers.ports.sync import Stranded, Verification


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    md5: str | None  # hex; None when the store cannot give one (multipart uploads)
    etag: str


def compare_listings(
    tenant_id: str, source: dict[str, ObjectInfo], destination: dict[str, ObjectInfo], *, at: float, by: str
) -> Verification:
    """Every source object must be at the destination with the same MD5 (or size, when no MD5 exists)."""
    differ = missing_on_dst = unverified = 0
    for key, info in source.items():
        other = destination.get(key)
        if other is None:
            missing_on_dst += 1
        elif info.size != other.size:
            differ += 1
        elif info.md5 and other.md5:
            differ += info.md5 != other.md5
        else:
            unverified += 1
    missing_on_src = sum(1 for key in destination if key not in source)
    return Verification(
        tenant_id=tenant_id,
        objects_checked=len(source),
        differ=differ,
        missing_on_dst=missing_on_dst,
        missing_on_src=missing_on_src,
        measured_at=at,
        source=by,
        unverified=unverified,
    )


def stranded_objects(
    tenant_id: str, oci: dict[str, ObjectInfo], aws: dict[str, ObjectInfo], *, at: float, by: str
) -> Stranded:
    """OCI's objects that AWS lacks or holds with another size or MD5: what a rollback would leave behind."""
    objects = size = 0
    for key, info in oci.items():
        other = aws.get(key)
        same = other is not None and other.size == info.size and (not (info.md5 and other.md5) or info.md5 == other.md5)
        if not same:
            objects += 1
            size += max(0, info.size)
    return Stranded(tenant_id, objects, size, len(oci), at, by)
