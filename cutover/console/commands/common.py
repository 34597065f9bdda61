"""What every command shares: the configuration, the session, and how failures exit.

Exit codes: 0 success, 1 the operation failed, 2 bad usage or bad input, 3 refused
(by a gate, a safety rule, a lock or a tenant in flight; nothing was changed).
A user's mistake gets a message naming what is wrong and what to do, never a
traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import NoReturn, ParamSpec, TypeVar

import click

from cutover.actions.wiring.session import Session
from cutover.config.loader import ConfigError, LoadedConfig, load_config
from cutover.config.text import visible_lines
from cutover.model.lifecycle import DomainError
from cutover.state.store import StoreError
from cutover.state.tenants import UnknownTenant

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REFUSED = 0, 1, 2, 3

P = ParamSpec("P")
R = TypeVar("R")


class Context:
    """What every command shares: where the configuration comes from."""

    def __init__(self, config_path: str | None):
        self.config_path = config_path
        self._config: LoadedConfig | None = None

    @property
    def config(self) -> LoadedConfig:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def session(self, *, create: bool = False, in_memory: bool = False, read_only: bool = False) -> Session:
        return Session.open(self.config, create=create, in_memory=in_memory, read_only=read_only)


def echo(message: str = "", err: bool = False) -> None:
    """Print a line for people: a control character someone typed into a value shows as its escape."""
    click.echo(visible_lines(message), err=err)


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    echo(message, err=True)
    sys.exit(code)


def user_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Every command's refusals and user mistakes as a message and an exit code: 2 bad input, 3 refused,
    1 failed. Anything else is a bug and keeps its traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            said = what_went_wrong(exc)
            if said is None:
                raise
            fail(*said)

    return wrapper


def what_went_wrong(exc: Exception) -> tuple[str, int] | None:
    """The message and exit code for a refusal or a user mistake; None for a bug."""
    # Imported here: the engine's facade is heavy, and most commands never raise these.
    from cutover.actions.plan.plans import BadRequest, NeedsConfirmation, Refused
    from cutover.actions.wiring.composition import ProviderError
    from cutover.config.matrix import MatrixError  # the matrix's parser: not before the console's first paint
    from cutover.state.job_records import JobError

    if isinstance(exc, NeedsConfirmation):
        return f"{exc}; nothing was submitted", EXIT_USAGE
    if isinstance(exc, BadRequest | JobError):
        return str(exc), EXIT_USAGE
    if isinstance(exc, Refused):
        return f"refused: {exc}\nnothing was changed", EXIT_REFUSED
    if isinstance(exc, ProviderError):  # a cloud that refused or did not answer, its message already redacted
        return f"{exc}\nnothing was submitted", EXIT_FAILED
    if isinstance(exc, ConfigError):
        return "\n".join(exc.problems), EXIT_USAGE
    if isinstance(exc, MatrixError):
        return "\n".join(exc.problems) + "\nNothing was imported.", EXIT_USAGE
    if isinstance(exc, UnknownTenant):
        return str(exc), EXIT_USAGE
    if isinstance(exc, StoreError | DomainError):
        return str(exc), EXIT_FAILED
    return None
