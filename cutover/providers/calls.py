"""Calling a real service: one shared request budget, retries with backoff, every retry told.

Every real provider sends its requests through `Caller.call`: it waits for the
budget (Route 53 allows 5 requests a second per account, OCI Monitoring 10), runs
the request, and when the request fails for a passing reason (throttling, a 5xx,
a timeout) waits with exponential backoff and jitter and tries again, telling the
observer first so the retry shows in the event log.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, stop_after_delay
from tenacity.wait import wait_exponential_jitter

from cutover.config.access import RetrySettings
from cutover.providers.ports.errors import IgnoreRetries, ProviderError, ProviderObserver, RetryNotice
from cutover.providers.redaction import redact

T = TypeVar("T")


class RequestBudget:
    """At most `rate` requests a second, with bursts of up to `burst`, shared by every holder.

    A generic cell-rate algorithm: each request books the next free slot
    synchronously, then sleeps until it, so concurrent callers never overshoot
    and no lock (bound to one event loop) is needed.
    """

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        if rate <= 0 or burst < 1:
            raise ValueError("a budget needs a positive rate and a burst of at least 1")
        self.rate = rate
        self.burst = burst
        self._interval = 1.0 / rate
        self._tolerance = (burst - 1) * self._interval
        self._theoretical_arrival = 0.0
        self._monotonic = monotonic
        self._sleep = sleep
        self.granted = 0

    def reserve(self) -> float:
        """Book the next slot; returns how long to wait for it."""
        now = self._monotonic()
        arrival = max(self._theoretical_arrival, now)
        allowed_at = max(now, arrival - self._tolerance)
        self._theoretical_arrival = arrival + self._interval
        self.granted += 1
        return allowed_at - now

    async def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            await self._sleep(wait)


class Caller:
    """Sends one provider's requests: budget, retries, notices. `translate` turns a
    library's exception into a ProviderError saying whether a retry may help."""

    def __init__(
        self,
        source: str,
        translate: Callable[[BaseException, str], ProviderError],
        *,
        retry: RetrySettings | None = None,
        budget: RequestBudget | None = None,
        observer: ProviderObserver | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self.source = source
        self.translate = translate
        self.retry = retry or RetrySettings()
        self.budget = budget
        self.observer = observer or IgnoreRetries()
        self._sleep = sleep
        self.requests = 0  # every request sent, retries included: what the benchmark counts

    async def call(self, operation: str, send: Callable[[], Awaitable[T]]) -> T:
        retry = self.retry
        retrying = AsyncRetrying(
            stop=stop_after_attempt(retry.attempts) | stop_after_delay(retry.deadline),
            wait=_wait(retry),
            retry=retry_if_exception(lambda exc: isinstance(exc, ProviderError) and exc.retryable),
            before_sleep=lambda state: self._tell(operation, state),
            sleep=self._sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                if self.budget is not None:
                    await self.budget.acquire()
                self.requests += 1
                try:
                    return await send()
                except ProviderError:
                    raise
                except Exception as exc:  # the library's own error, translated once here
                    # Not chained: the library's words (a server may echo credentials in them) would reach
                    # every traceback logged; the translation keeps what the war room needs, redacted.
                    raise self.translate(exc, operation) from None
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _tell(self, operation: str, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        self.observer.retrying(
            RetryNotice(
                source=self.source,
                operation=operation,
                attempt=state.attempt_number,
                wait_s=round(wait, 3),
                reason=redact(str(error)) if error else "",
            )
        )


def _wait(retry: RetrySettings) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential_jitter(multiplier=retry.base_delay, max=retry.max_delay, jitter=retry.base_delay)

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        hinted = getattr(error, "retry_after", None) or 0.0
        return max(backoff(state), float(hinted))

    return wait


def unexpected_error(exc: BaseException, operation: str, source: str) -> ProviderError:
    """A library's error no translator knows: named by its type, its text stripped of credentials; not retried."""
    return ProviderError(source, f"{operation}: {type(exc).__name__}: {exc}")
