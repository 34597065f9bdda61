"""OCI clients built from the standard credential chains: a config-file profile or instance principals."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cutover.config.providers import OciAccess
from cutover.providers.interfaces import ProviderError


class OciClients:
    """Builds each SDK client once, in a worker thread (loading the SDK and the key takes a while)."""

    def __init__(self, access: OciAccess, source: str):
        self.access = access
        self.source = source
        self._clients: dict[str, Any] = {}
        self._lock: asyncio.Lock | None = None

    async def client(self, kind: str) -> Any:
        if kind in self._clients:
            return self._clients[kind]
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if kind not in self._clients:
                self._clients[kind] = await asyncio.to_thread(self._build, kind)
        return self._clients[kind]

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
        return classes[kind](config, **kwargs)

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
        if access.region:
            config["region"] = access.region
        return config, None

    async def aclose(self) -> None:
        self._clients.clear()


def translate_oci_error(exc: BaseException, operation: str, source: str) -> ProviderError:
    import oci

    from cutover.providers.calls import redact

    if isinstance(exc, oci.exceptions.ServiceError):
        code, status = str(exc.code), int(exc.status)
        text = f"{operation}: {status} {code}: {redact(str(exc.message))}"
        retryable = status == 429 or status >= 500 or (status == 409 and code == "IncorrectState")
        return ProviderError(source, text, retryable=retryable, request_id=str(exc.request_id or ""), code=code)
    if isinstance(exc, (oci.exceptions.RequestException, oci.exceptions.ConnectTimeout, TimeoutError, OSError)):
        return ProviderError(source, f"{operation}: {type(exc).__name__}: {redact(str(exc))}", retryable=True)
    if isinstance(exc, ProviderError):
        return exc
    return ProviderError(source, f"{operation}: {type(exc).__name__}: {redact(str(exc))}")


def oci_translator(source: str) -> Callable[[BaseException, str], ProviderError]:
    return lambda exc, operation: translate_oci_error(exc, operation, source)
