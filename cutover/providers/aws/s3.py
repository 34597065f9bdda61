"""S3 bucket listings with ETags, for checking a sync object by object against OCI."""

from __future__ import annotations

from typing import Any

from cutover.config.access import AwsAccess, RetrySettings
from cutover.providers.aws.session import AwsService
from cutover.providers.listings import ObjectInfo
from cutover.providers.ports.errors import ProviderObserver


def md5_of_etag(etag: str) -> str | None:
    """An S3 ETag is the object's MD5 unless it was uploaded in parts ("...-N") or with SSE-KMS."""
    value = etag.strip('"').lower()
    return value if len(value) == 32 and "-" not in value else None


class S3Listing:
    def __init__(
        self,
        access: AwsAccess,
        retry: RetrySettings | None = None,
        *,
        observer: ProviderObserver | None = None,
        source: str = "s3",
    ):
        self.source = source
        self.s3 = AwsService(access, "s3", source, retry=retry, observer=observer)

    async def aclose(self) -> None:
        await self.s3.aclose()

    async def list(self, bucket: str, prefix: str = "") -> dict[str, ObjectInfo]:
        """Every object of the bucket (1,000 a page)."""
        objects: dict[str, ObjectInfo] = {}
        token: str | None = None
        while True:
            params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": 1000}
            if token:
                params["ContinuationToken"] = token
            page = await self.s3.call("ListObjectsV2", **params)
            for item in page.get("Contents", []):
                etag = str(item.get("ETag", ""))
                objects[item["Key"]] = ObjectInfo(int(item["Size"]), md5_of_etag(etag), etag.strip('"'))
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return objects
