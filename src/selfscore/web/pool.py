"""A bounded pool of worker processes for CPU work: the event loop only routes, a rush waits or is refused, a runaway is killed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from queue import SimpleQueue
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

#: how long a fresh worker may take to import the checker before the slot gives up on it
STARTUP_SECONDS = 120.0
#: a first guess of one check's duration, until some have been measured
FIRST_GUESS_SECONDS = 2.0


class PoolBusy(Exception):
    """Every place in the queue is taken: the request is refused now rather than left to hang."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"busy, retry after {retry_after} s")
        #: seconds after which a retry is likely to be admitted
        self.retry_after = retry_after


class TimedOut(Exception):
    """A task ran past the pool's time limit; its worker process was killed and replaced."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"stopped after {seconds:g} s")
        self.seconds = seconds


class WorkerDied(Exception):
    """The worker process running a task died (killed for memory, a crash in a C library)."""


def default_processes() -> int:
    """The CPUs this process may run on (its affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class CheckPool:
    """``processes`` long-lived worker processes behind an admission gate.

    - ``admitted()`` lets at most ``processes + queue`` requests in at once; beyond that it raises
      :class:`PoolBusy` with a Retry-After estimate, so a rush is told to come back instead of hanging.
    - ``await run(function, *args)`` runs a picklable top-level function in a worker and returns its
      result; past ``time_limit`` seconds the worker is killed (and replaced) and :class:`TimedOut` is raised;
      a worker that dies raises :class:`WorkerDied`.
    - ``processes=0`` runs tasks in this process's thread pool instead (no time limit): for embedding the
      app in another program's tests, not for serving.

    Workers are started in "spawn" mode (a fork of a threaded server is unsafe), each by its own slot thread,
    which feeds it one task at a time through a pipe; the threads only wait on pipes, so they cost the
    event loop nothing.
    """

    def __init__(self, processes: int, *, queue: int, time_limit: float) -> None:
        self.processes = processes
        self.queue = queue
        self.time_limit = time_limit
        self._tasks: SimpleQueue = SimpleQueue()
        self._lock = threading.Lock()
        self._admitted = 0
        self._running = 0
        self._waiting = 0
        self._mean_seconds = FIRST_GUESS_SECONDS
        self._slots: list[threading.Thread] = []

    # --- admission -------------------------------------------------------------------------------

    @property
    def capacity(self) -> int:
        """How many requests may be in the pool at once: one running per process, ``queue`` waiting."""
        return max(1, self.processes) + self.queue

    @contextlib.contextmanager
    def admitted(self) -> Iterator[None]:
        """Hold a place for one request while it is checked; :class:`PoolBusy` when there is none."""
        with self._lock:
            if self._admitted >= self.capacity:
                raise PoolBusy(self._retry_after_locked())
            self._admitted += 1
        try:
            yield
        finally:
            with self._lock:
                self._admitted -= 1

    @property
    def full(self) -> bool:
        return self._admitted >= self.capacity

    def retry_after(self) -> int:
        with self._lock:
            return self._retry_after_locked()

    def _retry_after_locked(self) -> int:
        # About when the queue ahead will have drained: rounds of `processes` checks of the mean duration.
        rounds = (self._waiting + self._running) / max(1, self.processes)
        return max(1, min(300, math.ceil(rounds * self._mean_seconds)))

    def status(self) -> dict[str, int]:
        """What /healthz reports: processes, requests admitted, tasks running and waiting, the queue's size."""
        with self._lock:
            return {"processes": self.processes, "admitted": self._admitted, "running": self._running,
                    "waiting": self._waiting, "capacity": self.capacity}

    # --- running ---------------------------------------------------------------------------------

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a worker process (``function`` and the arguments must pickle)."""
        if self.processes == 0:
            from starlette.concurrency import run_in_threadpool

            return await run_in_threadpool(function, *args)
        self.start()
        future: Future = Future()
        with self._lock:
            self._waiting += 1
        self._tasks.put((future, function, args))
        try:
            return await asyncio.wrap_future(future)
        finally:
            # A request that goes away (client disconnected) leaves its task to be skipped, not run.
            future.cancel()

    def start(self) -> None:
        """Start the slot threads and their workers (idempotent; ``run`` starts them when needed).

        Also after ``close``: an app whose lifespan ends while it still takes requests (a test client opened inside
        another one, then closed) gets workers again rather than queueing tasks that no slot would ever take."""
        with self._lock:
            if self._slots or self.processes == 0:
                return
            for number in range(self.processes):
                slot = threading.Thread(target=self._serve_slot, name=f"selfscore-check-slot-{number}", daemon=True)
                self._slots.append(slot)
                slot.start()

    def close(self, timeout: float = 10.0) -> None:
        """Stop every worker: each finishes the task it has, then exits; slots left waiting end too."""
        with self._lock:
            slots, self._slots = self._slots, []
        for _ in slots:
            self._tasks.put(None)
        deadline = time.monotonic() + timeout
        for slot in slots:
            slot.join(max(0.0, deadline - time.monotonic()))

    def _serve_slot(self) -> None:
        worker: _Worker | None = None
        try:
            while True:
                if worker is None:
                    try:
                        worker = _Worker.start()
                    except OSError:  # out of processes or memory for a moment: try again rather than lose the slot
                        log.exception("starting a check worker failed")
                        time.sleep(1)
                        continue
                task = self._tasks.get()
                if task is None:
                    return
                future, function, args = task
                with self._lock:
                    self._waiting -= 1
                if not future.set_running_or_notify_cancel():
                    continue
                with self._lock:
                    self._running += 1
                started = time.monotonic()
                try:
                    if not worker.ready(STARTUP_SECONDS):
                        raise WorkerDied("校验进程未能启动")
                    future.set_result(worker.call(function, args, self.time_limit))
                except (TimedOut, WorkerDied) as error:
                    worker.kill()
                    worker = None
                    future.set_exception(error)
                except Exception as error:  # the task's own exception, brought back from the worker
                    future.set_exception(error)
                finally:
                    with self._lock:
                        self._running -= 1
                        # An exponential mean of recent durations, for the Retry-After estimate.
                        self._mean_seconds = 0.8 * self._mean_seconds + 0.2 * (time.monotonic() - started)
        finally:
            if worker is not None:
                worker.stop()


class _Worker:
    """One worker process and the pipe to it."""

    def __init__(self, process: Any, connection: Any) -> None:
        self.process = process
        self.connection = connection
        self._ready = False

    @classmethod
    def start(cls) -> _Worker:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(target=_worker_main, args=(child,), name="selfscore-check-worker", daemon=True)
        process.start()
        child.close()
        return cls(process, parent)

    def ready(self, seconds: float) -> bool:
        """Wait until the worker has imported the checker and said so."""
        if not self._ready:
            try:
                self._ready = self.connection.poll(seconds) and self.connection.recv() == "ready"
            except (EOFError, OSError):
                self._ready = False
        return self._ready

    def call(self, function: Callable[..., Any], args: tuple, time_limit: float) -> Any:
        try:
            self.connection.send((function, args))
            if not self.connection.poll(time_limit):
                raise TimedOut(time_limit)
            ok, value = self.connection.recv()
        except (EOFError, OSError) as error:
            raise WorkerDied(f"校验进程意外退出（{type(error).__name__}）") from error
        if ok:
            return value
        raise value

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.join(5)
        with contextlib.suppress(Exception):
            self.connection.close()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.send(None)
            self.process.join(5)
        if self.process.is_alive():
            self.kill()
        with contextlib.suppress(Exception):
            self.connection.close()


def _warm_up() -> None:
    """Check a blank template once: the imports, and pandera's registration on a first validation, are paid
    before the worker says it is ready, not by the first upload (nor counted against its time limit)."""
    from selfscore.checking import check_file
    from selfscore.tables.definitions import load_tables
    from selfscore.write.template import template_bytes

    try:
        check_file(template_bytes(next(iter(load_tables().values()))), "warm-up.xlsx")
    except Exception:  # a warm-up that fails costs the first upload some time, nothing else
        log.exception("warming up a check worker failed")


def _worker_main(connection: Any) -> None:
    """The worker process: warm the imports once, then run tasks until told to stop or the parent is gone."""
    import signal

    # Ctrl+C in the terminal reaches the whole process group; the server decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _warm_up()
    connection.send("ready")
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):  # the server is gone (even by kill -9): so is its worker
            return
        if message is None:
            return
        function, args = message
        try:
            result = (True, function(*args))
        except Exception as error:
            try:
                import pickle

                pickle.dumps(error)
            except Exception:
                error = RuntimeError(f"{type(error).__name__}: {error}")
            result = (False, error)
        try:
            connection.send(result)
        except (EOFError, OSError):
            return
