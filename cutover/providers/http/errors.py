"""httpx's exceptions and HTTP statuses, translated into ProviderErrors."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from cutover.providers.calls import unexpected_error
from cutover.providers.ports.errors import ProviderError, Throttled


def status_error(source: str, operation: str, response: httpx.Response, detail: str = "") -> ProviderError:
    """A ProviderError for an HTTP answer that is not a success; 429 and 5xx may be retried."""
    status = response.status_code
    text = detail or response.text[:300].strip()
    message = f"{operation}: HTTP {status}" + (f": {text}" if text else "")
    if status == 429:
        retry_after = response.headers.get("Retry-After")
        wait = float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else None
        return Throttled(source, message, code="429", retry_after=wait)
    return ProviderError(source, message, retryable=status >= 500, code=str(status))


def translate_http_error(exc: BaseException, operation: str, source: str) -> ProviderError:
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError(source, f"{operation}: timed out ({type(exc).__name__})", retryable=True)
    if isinstance(exc, httpx.TransportError):
        return ProviderError(source, f"{operation}: {type(exc).__name__}: {exc}", retryable=True)
    return unexpected_error(exc, operation, source)


def http_translator(source: str) -> Callable[[BaseException, str], ProviderError]:
    return lambda exc, operation: translate_http_error(exc, operation, source)
