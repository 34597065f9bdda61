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
from typing import Any, NoReturn, TypeVar

import click

from cutover.actions.session import Session
from cutover.config.loader import ConfigError, LoadedConfig, load_config
from cutover.config.matrix import MatrixError
from cutover.config.text import visible_lines
from cutover.state.lifecycle import DomainError
from cutover.state.store import StoreError
from cutover.state.tenants import UnknownTenant

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REFUSED = 0, 1, 2, 3

F = TypeVar("F", bound=Callable[..., Any])


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


def user_errors(func: F) -> F:
    """Turn the domain's refusals into a message and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            fail("\n".join(exc.problems), EXIT_USAGE)
        except MatrixError as exc:
            fail("\n".join(exc.problems) + "\nNothing was imported.", EXIT_USAGE)
        except UnknownTenant as exc:
            fail(str(exc), EXIT_USAGE)
        except (StoreError, DomainError) as exc:
            fail(str(exc), EXIT_FAILED)

    return wrapper  # type: ignore[return-value]
