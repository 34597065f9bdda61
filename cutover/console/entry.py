"""The `cutover` executable's first moment: `--version` answers before anything heavy is imported."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from cutover import __version__

        print(f"cutover, version {__version__}")
        return
    from cutover.console.cli import main as cli_main

    cli_main()
