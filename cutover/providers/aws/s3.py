"""S3 bucket listings with ETags, for checking a sync object by object against OCI."""

from __future__ import annotations

from typing import Any

from cutover.config.providers import AwsAccess, RetrySettings
from cutover.providers.aws.errors import aws_translator
from cutover.providers.aws.session import AwsClients
from cutover.providers.calls import Caller, RetryPolicy
from cutover.providers.interfaces import ProviderObserver
from cutover.providers.listings import ObjectInfo


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
        self._clients = AwsClients(access)
        self.caller = Caller(
            source,
            aws_translator(source),
            policy=RetryPolicy.from_settings(retry or RetrySettings()),
            observer=observer,
        )

    async def aclose(self) -> None:
        await self._clients.aclose()

    async def list(self, bucket: str, prefix: str = "") -> dict[str, ObjectInfo]:
        """Every object of the bucket (1,000 a page)."""
        client = await self._clients.client("s3")
        objects: dict[str, ObjectInfo] = {}
        token: str | None = None
        while True:
            params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": 1000}
            if token:
                params["ContinuationToken"] = token
            page = await self.caller.call("ListObjectsV2", lambda params=params: client.list_objects_v2(**params))
            for item in page.get("Contents", []):
                etag = str(item.get("ETag", ""))
                objects[item["Key"]] = ObjectInfo(int(item["Size"]), md5_of_etag(etag), etag.strip('"'))
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return objects
