"""A process pool for CPU-bound per-item work that survives a crashing or hanging item.

Extraction runs hostile input through C libraries (lxml, regex engines): one page can kill its
worker process (a crash, the kernel's OOM killer) or never finish. The pool maps a batch over all
cores; if the batch breaks the pool or overruns its deadline, every item of the batch is re-run
alone in a fresh one-process pool with a per-item deadline, so exactly the bad item gets an error
result and the others still get theirs. Nothing is lost and the task keeps going.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any

LOGGER = logging.getLogger(__name__)


class SafePool:
    """`map(func, items)` over `workers` processes; a failed item yields `on_error(reason)` (the
    reason says what happened to the process, the caller what was being done)."""

    def __init__(self, workers: int, *, item_timeout: float, on_error: Callable[[str], Any],
                 preload: Sequence[str] = (), chunksize: int = 4):
        self.workers = max(1, workers)
        self.item_timeout = item_timeout
        self.on_error = on_error
        self.chunksize = chunksize
        # forkserver: workers start from a clean, single-threaded process with the modules preloaded,
        # not from a fork of a task process holding database connections and threads.
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(list(preload))
        self._pool: ProcessPoolExecutor | None = None
        allow_children()

    def map(self, func: Callable, items: Sequence) -> list:
        if not items:
            return []
        # Generous for a healthy batch (items are ~10 ms each); only a stuck item gets near it.
        deadline = self.item_timeout + self.item_timeout * len(items) / (4 * self.workers)
        try:
            return list(self._running().map(func, items, chunksize=self.chunksize, timeout=deadline))
        except (BrokenProcessPool, FutureTimeout) as exc:
            what = "a worker process died" if isinstance(exc, BrokenProcessPool) else f"no result within {deadline:.0f} s"
            LOGGER.warning("batch of %d: %s; re-running its items one by one to isolate the bad one", len(items), what)
            self._discard()
            return [self._isolated(func, item) for item in items]

    def _isolated(self, func: Callable, item) -> Any:
        pool = ProcessPoolExecutor(1, mp_context=self._context)
        try:
            return pool.submit(func, item).result(timeout=self.item_timeout)
        except FutureTimeout:
            return self.on_error(f"no result within {self.item_timeout:.0f} s (worker stopped)")
        except BrokenProcessPool:
            return self.on_error("the worker process died on this item (crash or out of memory)")
        finally:
            _kill(pool)

    def _running(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=self._context)
        return self._pool

    def _discard(self) -> None:
        if self._pool is not None:
            _kill(self._pool)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> SafePool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _kill(pool: ProcessPoolExecutor) -> None:
    """Stop a pool whose workers may be stuck: shutdown() alone waits for a running item forever."""
    for process in list((pool._processes or {}).values()):  # no public API to stop a running worker
        if process.is_alive():
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def default_workers(configured: int) -> int:
    return configured or os.cpu_count() or 1


def allow_children() -> None:
    """Let this process start worker processes although a Celery worker forked it. A task run by a
    Celery worker's default prefork pool (billiard) inherits the pool process's identity: marked
    daemonic, with which multiprocessing refuses to start any process ("daemonic processes are not
    allowed to have children"), and with billiard's authentication key, which multiprocessing's
    forkserver cannot pickle. The extract task would fail on every try. The daemonic mark only
    exists so that a daemon leaves no orphans, and SafePool stops its workers when it closes."""
    config = multiprocessing.current_process()._config  # no public API: the setters are for unstarted processes
    if config.get("daemon"):
        config["daemon"] = False
    authkey = config.get("authkey")
    if authkey is not None and not isinstance(authkey, multiprocessing.process.AuthenticationString):
        config["authkey"] = multiprocessing.process.AuthenticationString(bytes(authkey))


def overlapped_rounds(conns: tuple, *, claim: Callable[[Any], list], prepare: Callable[[Any, list], list],
                      work: Callable[[list], list], save: Callable[[Any, list, list], None]) -> None:
    """Rounds of claim (lock a batch in a transaction) -> prepare its jobs (on the same connection,
    in this thread) -> work (in a worker pool) -> save and commit, on two connections in turn:
    while the pool works on one batch, the previous one is saved and committed, so neither the
    pool nor PostgreSQL waits for the other. A batch is prepared before the previous one is saved,
    so what it reads of the warehouse does not depend on timing. A task that dies loses the rounds
    it had not committed, whose rows its retry claims again."""
    with ThreadPoolExecutor(1) as background:
        turn, previous = 0, None
        while True:
            batch = claim(conns[turn])
            running = background.submit(work, prepare(conns[turn], batch)) if batch else None
            if previous is not None:
                save(*previous)
                previous[0].commit()
            if running is None:
                break
            previous, turn = (conns[turn], batch, running.result()), 1 - turn
