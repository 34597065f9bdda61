"""Where a process's log records go: a rotating file beside its store, redacted.

Every process using a store (consoles, `cutover engine`, `flip`, ...) appends to the same
file, `<store name>.log` beside it (`cutover.db` -> `cutover.log`); each line names the
process's pid and command. The file is created on the first record, rotated at 10 MB with
5 old files kept. Noisy libraries are held at WARNING, and what a library writes goes to
the file only: the terminal gets cutover's own warnings, one line each.
"""

from __future__ import annotations

import logging
import os
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from cutover.providers.redaction import RedactingFilter

MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 5
NOISY = ("botocore", "aiobotocore", "boto3", "s3transfer", "urllib3", "asyncssh", "httpx", "httpcore", "oci", "aiohttp")
LEVELS = ("debug", "info", "warning", "error")
_OURS = "cutover-log-handler"  # marks the handlers configure() installed, so a second call replaces them


def log_path(store_path: Path) -> Path:
    """`cutover.db` -> `cutover.log`, in the store's directory."""
    return (
        store_path.with_suffix(".log")
        if store_path.suffix != ".log"
        else store_path.with_name(store_path.name + ".log")
    )


class SharedRotatingFileHandler(RotatingFileHandler):
    """A RotatingFileHandler for a file several processes append to: when another process has
    rotated it already (the path names a new file), reopen instead of rotating again."""

    def emit(self, record: logging.LogRecord) -> None:
        if self.stream is not None:
            try:
                moved = os.stat(self.baseFilename).st_ino != os.fstat(self.stream.fileno()).st_ino
            except FileNotFoundError:
                moved = True
            if moved:
                self.stream.close()
                self.stream = None  # reopened by emit, as delay=True does
        super().emit(record)


class _Ours(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.name == "cutover" or record.name.startswith("cutover.")


def configure(
    store_path: Path | None,
    *,
    level: str = "info",
    command: str = "cutover",
    terminal: bool = True,
    extra: logging.Handler | None = None,
) -> Path | None:
    """Send this process's records to the store's log file (and, with `terminal`, cutover's own
    warnings to stderr; `extra` is one more handler, e.g. the console's). Returns the file's path."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(handler)
        handler.close()
    numeric = getattr(logging, level.upper())
    root.setLevel(numeric)
    for name in NOISY:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    path = log_path(store_path) if store_path is not None else None
    handlers: list[logging.Handler] = []
    if path is not None and path.parent.is_dir():
        file_handler = SharedRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, delay=True)
        file_handler.setFormatter(
            logging.Formatter(f"%(asctime)s %(levelname)s {command}[%(process)d] %(name)s: %(message)s")
        )
        handlers.append(file_handler)
    else:
        path = None
    if terminal:
        stderr = _Stderr()
        stderr.setLevel(logging.WARNING)
        stderr.addFilter(_Ours())
        stderr.setFormatter(_OneLine("%(levelname)s %(name)s: %(message)s"))
        handlers.append(stderr)
    if extra is not None:
        handlers.append(extra)
    for handler in handlers:
        handler.addFilter(RedactingFilter())
        setattr(handler, _OURS, True)
        root.addHandler(handler)
    return path


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]  # its stream is a property here, not TextIO
    """Writes to whatever sys.stderr is when a record comes (a test runner swaps it)."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


class _OneLine(logging.Formatter):
    """A warning on the terminal is one line: the traceback, if any, is in the log file."""

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        return self.formatMessage(record)
