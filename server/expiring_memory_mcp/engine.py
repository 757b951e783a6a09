"""The engine: the one backend every user's view shares. It opens it once in the background, lets one call in at a
time, and sweeps expired memories away at startup and then at most every `sweep_interval_seconds`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .backends import Backend
from .errors import NotOpened, Unavailable
from .retention import Clock
from .settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class Changes:
    """What the calls made inside `recording()` changed: the ids of the memories they wrote or deleted, and of those
    their sweeps deleted (every user's)."""

    written: list[str] = field(default_factory=list)
    swept: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.written or self.swept)


# The calls' own record: worker threads run in a copy of the caller's context, so they append to the same Changes.
_recording: ContextVar[Changes | None] = ContextVar("expiring_memory_changes", default=None)


@contextmanager
def recording() -> Iterator[Changes]:
    """Collects what the calls made inside it (in this task, or in worker threads it starts) change."""
    changes = Changes()
    token = _recording.set(changes)
    try:
        yield changes
    finally:
        _recording.reset(token)


def note_written(memory_id: str) -> None:
    """Records that a memory was written or deleted, when a `recording()` is listening."""
    if (changes := _recording.get()) is not None:
        changes.written.append(memory_id)


class Engine:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        build: Callable[[], Backend],
        *,
        sweep_on_load: bool = True,
        on_open: Callable[[Backend, datetime], None] | None = None,
    ) -> None:
        self.settings = settings
        self.policy = settings.retention()  # once: every user's view, made per HTTP request, shares it
        self.clock = clock
        self._build = build
        # off for the command line, so `sweep --dry-run` can see what a sweep would delete
        self._sweep_on_load = sweep_on_load
        self._on_open = on_open  # once, after the startup sweep (with it): the operations' own upkeep
        self._lock = threading.Lock()  # Mem0's Memory is not thread-safe: one call at a time
        self._load_lock = threading.Lock()
        self._backend: Backend | None = None
        self._load_error: BaseException | None = None
        self._last_sweep: datetime | None = None

    # -- loading ---------------------------------------------------------------------------------

    def start_loading(self) -> threading.Thread:
        """Import and open Mem0 in the background, so the server answers initialize and tools/list at once."""
        # Not a daemon: an exit while onnxruntime is still loading would otherwise abort the interpreter.
        thread = threading.Thread(target=self._load_in_background, name="mem0-loader")
        thread.start()
        return thread

    def _load_in_background(self) -> None:
        with suppress(Unavailable):  # already logged; each tool call reports it
            self.loaded()

    def loaded(self) -> Backend:
        """The backend, opened on first use (and swept once, unless told not to)."""
        with self._load_lock:
            if self._backend is None and self._load_error is None:
                self._open()
            if self._backend is None:
                raise NotOpened(
                    f"The memory store could not be opened: {self._load_error}. See the server log."
                ) from self._load_error
            return self._backend

    def _open(self) -> None:
        try:
            self._backend = self._build()
        except Exception as exc:  # reported to every caller by loaded()
            if not threading.main_thread().is_alive():  # the process quit while loading (health checks do): no error
                logger.debug("the memory store was still opening when the process quit", exc_info=True)
            else:
                logger.exception("could not open the memory store")
            self._load_error = exc
            return
        logger.info("memory store ready: %s backend, %s", self._backend.name, self._backend.location)
        if self._sweep_on_load:
            self._sweep_at_startup(self._backend)

    def _sweep_at_startup(self, backend: Backend) -> None:
        try:
            with self._lock:
                self._sweep(backend, self.clock.now(), force=True)
                backend.after_load()
        except Exception:  # the next tool call tries again
            logger.exception("the startup sweep failed")
        if self._on_open is not None:
            try:
                with self._lock:
                    self._on_open(backend, self.clock.now())
            except Exception:  # the next start tries again
                logger.exception("the upkeep at startup failed")

    def close(self) -> None:
        """Close the backend; later calls report it unavailable."""
        with self._load_lock, self._lock:
            if self._backend is not None:
                self._backend.close()
                self._backend, self._load_error = None, Unavailable("the memory store was closed")

    # -- one call at a time ----------------------------------------------------------------------

    @contextmanager
    def session(self, *, sweep: bool = True) -> Iterator[tuple[Backend, datetime]]:
        """The backend and the time, holding the lock; expired memories are swept first when the interval has
        passed (or not at all, with `sweep=False`)."""
        backend = self.loaded()
        with self._lock:
            now = self.clock.now()
            if sweep:
                self._sweep(backend, now, force=False)
            yield backend, now

    def sweep_now(self, backend: Backend, now: datetime) -> int:
        """Sweep inside a session, whatever the interval."""
        return self._sweep(backend, now, force=True)

    def _sweep(self, backend: Backend, now: datetime, *, force: bool) -> int:
        interval = timedelta(seconds=self.settings.sweep_interval_seconds)
        if not force and self._last_sweep is not None and now - self._last_sweep < interval:
            return 0
        gone = backend.sweep(now)
        if (log := backend.usage_log()) is not None:  # the ledger keeps forgotten_ledger_days, pruned in each sweep
            log.prune(now - timedelta(days=self.settings.forgotten_ledger_days))
        self._last_sweep = now
        if gone:
            logger.info("deleted %d expired memories", len(gone))
            if (changes := _recording.get()) is not None:
                changes.swept.extend(gone)
        return len(gone)
