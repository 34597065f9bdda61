"""What every lab server shares: it runs once made, until `stop()` or the end of a `with` block."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Stoppable:
    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
