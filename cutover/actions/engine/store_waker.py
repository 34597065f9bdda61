"""The job runner woken when a console on another host submits or controls a job (PostgreSQL's LISTEN/NOTIFY).

The runner looks at the store every half second for what other processes asked (runner.py `STORE_POLL`); a
submission or a control in this process wakes it at once. On PostgreSQL, where the consoles that ask may be on
other hosts, a change to the jobs tables committed anywhere wakes it at once too: a pause or a rollback from
another jump host is taken within milliseconds, not up to half a second later. On SQLite there is no signal
across processes and nothing here runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from cutover.state.store import ChangeListener, Store

log = logging.getLogger(__name__)

JOB_TABLES = frozenset({"jobs", "job_targets", "job_steps"})  # a submission, a control, a step moved
WAIT = 0.5  # seconds between looks at whether to stop


class StoreWaker:
    """A thread listening for changes to the jobs tables while the engine leads; `wake` is called from it."""

    def __init__(self, store: Store, wake: Callable[[], None]) -> None:
        self._store = store
        self._wake = wake
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> StoreWaker:
        listener = self._store.change_listener()
        if listener is not None:
            self._thread = threading.Thread(target=self._run, args=(listener,), name="store-waker", daemon=True)
            self._thread.start()
        return self

    def _run(self, listener: ChangeListener) -> None:
        try:
            while not self._stop.is_set():
                changed = listener.wait(WAIT)
                if changed is None or changed & JOB_TABLES:
                    self._wake()
        except Exception:  # never the engine's end: the runner still looks every half second
            log.warning("the store waker stopped; the job runner looks at the store every half second", exc_info=True)
        finally:
            listener.close()

    def stop(self) -> None:
        """The thread ends within WAIT seconds and closes its own connection."""
        self._stop.set()
