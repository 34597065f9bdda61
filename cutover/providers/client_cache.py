"""SDK clients built once each, on first use, for a provider's life."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class ClientCache(Generic[T]):
    """`get(name)` builds the named client with `build` the first time, then hands the same one out;
    callers arriving while it is being built wait for that build rather than start another."""

    def __init__(self, build: Callable[[str], Awaitable[T]]):
        self._build = build
        self._built: dict[str, T] = {}
        self._lock: asyncio.Lock | None = None  # made on first use, inside the loop that uses it

    async def get(self, name: str) -> T:
        if name in self._built:
            return self._built[name]
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if name not in self._built:
                self._built[name] = await self._build(name)
        return self._built[name]

    def clear(self) -> None:
        self._built.clear()
