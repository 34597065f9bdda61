"""Comparing two bucket listings: the proof that a copy is whole, without rclone."""

from __future__ import annotations

from dataclasses import dataclass

from cutover.providers.interfaces import Verification


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
