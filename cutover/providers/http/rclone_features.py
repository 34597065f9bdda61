"""What the rclone at the other end of rc can do, asked once with core/version.

Versions differ in what matters to us (rclone's changelog):
- 1.64 added `executeId` to job answers: without it a restart is noticed by other means
  (core/pid, job ids counting from 1 again, a job id now naming another group).
- 1.65 added `operations/check` to rc: without it lag 0 is proven by listing both sides
  with hashes (operations/list) and comparing them here.
Debian 12 ships 1.60.1, which has neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from cutover.providers.ports.errors import ProviderError

EXECUTE_ID_SINCE = (1, 64, 0)
CHECK_SINCE = (1, 65, 0)
OLDEST_TESTED = (1, 60, 0)  # the contract tests run against Debian 12's 1.60.1 and a current release


class RcCaller(Protocol):
    source: str

    async def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]: ...


def dotted(numbers: tuple[int, int, int]) -> str:
    return ".".join(str(n) for n in numbers)


@dataclass(frozen=True)
class RcloneFeatures:
    version: str  # as rclone says it: "v1.60.1-DEV"
    numbers: tuple[int, int, int]

    @property
    def has_check(self) -> bool:
        return self.numbers >= CHECK_SINCE

    @property
    def has_execute_id(self) -> bool:
        return self.numbers >= EXECUTE_ID_SINCE

    @property
    def verification(self) -> str:
        """How this rclone proves lag 0, in words for doctor and error messages."""
        if self.has_check:
            return "operations/check"
        return f"hash listings (operations/list; operations/check needs rclone {dotted(CHECK_SINCE)} or newer)"

    def refuse_if_untested(self, source: str) -> None:
        if self.numbers < OLDEST_TESTED:
            raise ProviderError(
                source,
                f"rclone {self.version} is older than {dotted(OLDEST_TESTED)}, the oldest rclone cutover is tested "
                f"with; upgrade rclone on the sync node (operations/check needs {dotted(CHECK_SINCE)} or newer)",
            )


def parse_version(answer: dict[str, Any]) -> RcloneFeatures:
    """core/version's answer: `decomposed` when present, else the numbers in `version`."""
    version = str(answer.get("version", ""))
    decomposed = answer.get("decomposed")
    if isinstance(decomposed, list) and len(decomposed) >= 3 and all(isinstance(n, int) for n in decomposed[:3]):
        numbers = (decomposed[0], decomposed[1], decomposed[2])
    else:
        found = re.match(r"v?(\d+)\.(\d+)\.(\d+)", version)
        numbers = (int(found[1]), int(found[2]), int(found[3])) if found else (0, 0, 0)
    return RcloneFeatures(version or "unknown", numbers)


async def ask_features(rc: RcCaller) -> RcloneFeatures:
    return parse_version(await rc.call("core/version", {}))


def missing_method(exc: ProviderError) -> bool:
    """rc's answer to a method this rclone does not have (HTTP 404, or its words over `rclone rc`)."""
    return exc.code == "404" or "couldn't find method" in str(exc)
