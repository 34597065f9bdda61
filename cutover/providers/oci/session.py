"""OCI clients built from the standard credential chains: a config-file profile or instance principals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Protocol

from cutover.config.providers import OciAccess, RetrySettings
from cutover.providers.calls import Caller, RequestBudget, unexpected_error
from cutover.providers.client_cache import ClientCache
from cutover.providers.interfaces import ProviderError, ProviderObserver
from cutover.providers.redaction import remember_secret


class OciClients:
    """Builds each SDK client once, in a worker thread (loading the SDK and the key takes a while)."""

    def __init__(self, access: OciAccess, source: str):
        self.access = access
        self.source = source
        self._clients: ClientCache[Any] = ClientCache(lambda kind: asyncio.to_thread(self._build, kind))

    async def client(self, kind: str) -> Any:
        return await self._clients.get(kind)

    def _build(self, kind: str) -> Any:
        import oci

        classes = {
            "dns": oci.dns.DnsClient,
            "load_balancer": oci.load_balancer.LoadBalancerClient,
            "monitoring": oci.monitoring.MonitoringClient,
            "object_storage": oci.object_storage.ObjectStorageClient,
        }
        config, signer = self._credentials()
        kwargs: dict[str, Any] = {
            "retry_strategy": oci.retry.NoneRetryStrategy(),  # ours retry, visibly; the SDK's would retry silently
            "timeout": (min(self.access.timeout, 10.0), self.access.timeout),
        }
        if signer is not None:
            kwargs["signer"] = signer
        if self.access.endpoint:
            kwargs["service_endpoint"] = self.access.endpoint
        try:
            return classes[kind](config, **kwargs)
        except (oci.exceptions.InvalidPrivateKey, OSError) as exc:  # the API key, read when the client is built
            where = f"{Path(self.access.config_file).expanduser()} [{self.access.profile}]"
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ProviderError(
                self.source,
                f"{where}: cannot load the API key {config.get('key_file', '')}: {reason}; "
                "check key_file and pass_phrase in that profile",
            ) from None

    def _credentials(self) -> tuple[dict[str, Any], Any]:
        import oci

        access = self.access
        if access.auth == "instance_principal":
            try:
                signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner()
            except Exception as exc:
                raise ProviderError(
                    self.source,
                    f"instance principals are not available here ({type(exc).__name__}): "
                    'run on an OCI instance in a dynamic group, or use auth = "config_file"',
                ) from None
            return {"region": access.region or signer.region}, signer
        path = Path(access.config_file).expanduser()
        try:
            config = oci.config.from_file(str(path), access.profile)
        except oci.exceptions.ConfigFileNotFound:
            raise ProviderError(
                self.source, f"{path}: no OCI config file; run `oci setup config` or set config_file"
            ) from None
        except oci.exceptions.ProfileNotFound:
            raise ProviderError(
                self.source, f"{path}: no profile [{access.profile}]; set profile to one in that file"
            ) from None
        except (oci.exceptions.InvalidConfig, oci.exceptions.InvalidKeyFilePath) as exc:
            raise ProviderError(self.source, f"{path} [{access.profile}]: {exc}") from None
        remember_secret(config.get("pass_phrase"), config.get("key_content"))
        if access.region:
            config["region"] = access.region
        return config, None

    async def aclose(self) -> None:
        self._clients.clear()


class OciProviderSettings(Protocol):
    """What a provider's settings section says about reaching an OCI service."""

    oci: OciAccess
    retry: RetrySettings
    requests_per_second: float


class OciService:
    """One OCI service as a provider reaches it: its SDK client, and a Caller (budget, retries,
    notices) that every request goes through, run in a worker thread as the SDK is synchronous.
    Building the client happens inside the request, so a bad config file or key comes back as a
    ProviderError like any failure."""

    def __init__(
        self,
        access: OciAccess,
        kind: str,
        source: str,
        *,
        retry: RetrySettings | None = None,
        requests_per_second: float,
        observer: ProviderObserver | None = None,
    ):
        self.kind = kind
        self._clients = OciClients(access, source)
        self.caller = Caller(
            source,
            oci_translator(source),
            retry=retry,
            budget=RequestBudget(requests_per_second),
            observer=observer,
        )

    @classmethod
    def of(cls, settings: OciProviderSettings, kind: str, source: str, observer: ProviderObserver | None) -> OciService:
        """The service as a provider's settings section configures it."""
        return cls(
            settings.oci,
            kind,
            source,
            retry=settings.retry,
            requests_per_second=settings.requests_per_second,
            observer=observer,
        )

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """One SDK call by its method name ("get_zone_records"); events name it as OCI does ("GetZoneRecords")."""

        async def attempt() -> Any:
            client = await self._clients.client(self.kind)
            return await asyncio.to_thread(getattr(client, method), *args, **kwargs)

        return await self.caller.call(operation_name(method), attempt)

    async def pages(self, method: str, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        """Every page of a listing that pages with opc-next-page, one call each."""
        page: str | None = None
        while True:
            answer = await self.call(method, *args, **kwargs, **({"page": page} if page else {}))
            yield answer
            page = answer.headers.get("opc-next-page")
            if not page:
                return

    async def aclose(self) -> None:
        await self._clients.aclose()


def operation_name(method: str) -> str:
    """The SDK's method name as OCI's API reference names the operation: get_zone_records -> GetZoneRecords."""
    return "".join(word.capitalize() for word in method.split("_"))


def translate_oci_error(exc: BaseException, operation: str, source: str) -> ProviderError:
    import oci

    if isinstance(exc, oci.exceptions.ServiceError):
        code, status = str(exc.code), int(exc.status)
        text = f"{operation}: {status} {code}: {exc.message}"
        retryable = status == 429 or status >= 500 or (status == 409 and code == "IncorrectState")
        return ProviderError(source, text, retryable=retryable, request_id=str(exc.request_id or ""), code=code)
    if isinstance(exc, (oci.exceptions.RequestException, oci.exceptions.ConnectTimeout, TimeoutError, OSError)):
        return ProviderError(source, f"{operation}: {type(exc).__name__}: {exc}", retryable=True)
    if isinstance(exc, ProviderError):
        return exc
    return unexpected_error(exc, operation, source)


def oci_translator(source: str) -> Callable[[BaseException, str], ProviderError]:
    return lambda exc, operation: translate_oci_error(exc, operation, source)
