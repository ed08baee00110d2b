"""A local pool of worker processes that never outlive the sweep that started them.

Each worker is a spawned process with its own pipe: the sweep sends it one point at a time and
it sends back the run's progress lines and its outcome. The workers die with the sweep however
the sweep ends:

* the sweep ends normally, raises, or is interrupted (Ctrl-C, SIGTERM): the pool terminates
  its workers (SIGTERM, then SIGKILL) before the exception goes on — a running HiGHS solve
  is not waited for;
* the sweep process is killed (``kill -9``): on Linux the kernel kills each worker
  (``prctl(PR_SET_PDEATHSIG, SIGKILL)``, set when the worker starts); elsewhere, and as a
  fallback, a watchdog thread in each worker exits as soon as its parent is gone.

Workers ignore Ctrl-C (SIGINT is blocked while they are spawned and ignored in them): a Ctrl-C
in a terminal reaches the whole process group, and it is the sweep that decides what stops.
A worker that dies on its own (e.g. killed for memory) fails its point only; a new worker takes
the remaining points.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from planner.sweep.point import PointTask, run_point

__all__ = ["run_pool"]

Log = Callable[[str], None]
Outcomes = Iterator[tuple[int, dict[str, Any]]]

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_WATCH_SECONDS = 0.5  # how often the watchdog looks for its parent
_TERM_GRACE_SECONDS = 2.0  # between SIGTERM and SIGKILL when stopping workers


# --------------------------------------------------------------------------- in the worker


def _set_parent_death_signal() -> bool:
    """Ask the Linux kernel to SIGKILL this process when its parent dies; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(_WATCH_SECONDS)
        if os.getppid() != parent_pid:  # re-parented: the sweep is gone
            os._exit(1)


def die_with_parent(parent_pid: int) -> None:
    """Make this process exit when ``parent_pid`` (its parent) exits, however it exits.

    Parameters
    ----------
    parent_pid
        The pid of the parent as the parent saw it (checked once more after the request, in
        case the parent died before it took effect).
    """
    _set_parent_death_signal()
    if os.getppid() != parent_pid:
        os._exit(1)
    # The watchdog needs the GIL, which HiGHS releases while it solves; the kernel signal does not.
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="parent-watchdog", daemon=True).start()


def _worker_main(conn: Connection, parent_pid: int) -> None:
    """A worker's life: run the points it is sent until told to stop or orphaned."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent_pid)
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError):
            return
        if item is None:
            return
        index, task = item

        def forward(msg: str, index: int = index) -> None:
            conn.send(("log", index, msg))

        outcome = run_point(task, forward)
        try:
            conn.send(("done", index, outcome))
        except OSError:
            return


# --------------------------------------------------------------------------- in the sweep


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    index: int | None = None  # the point it runs


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Block SIGINT in this thread while workers are spawned: they start with it blocked.

    A Ctrl-C meanwhile stays pending and is delivered here when the block ends.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _start_worker(pool: list[_Worker]) -> _Worker:
    """Spawn a worker and add it to ``pool`` (before a pending Ctrl-C can strike, so it is stopped too)."""
    ctx = get_context("spawn")  # not fork: a forked child inherits the solver's thread pools unusable
    parent_conn, child_conn = ctx.Pipe(duplex=True)
    process = ctx.Process(target=_worker_main, args=(child_conn, os.getpid()), name="planner-sweep-worker")
    process.daemon = True  # multiprocessing terminates it, too, if the sweep exits without stopping it
    with _sigint_blocked():
        process.start()
        child_conn.close()  # the worker holds the only other end: its death reads as end of file here
        pool.append(_Worker(process, parent_conn))
    return pool[-1]


def _death(worker: _Worker) -> dict[str, Any]:
    """The failed outcome of a point whose worker process died under it."""
    worker.process.join(timeout=1.0)
    code = worker.process.exitcode
    if code is not None and code < 0:
        try:
            how = f"killed by {signal.Signals(-code).name}"
        except ValueError:
            how = f"killed by signal {-code}"
    else:
        how = f"exit code {code}"
    return {
        "status": "failed",
        "error": f"the worker process (pid {worker.process.pid}) died ({how}) while running this point; "
        "out of memory? Run the sweep again to retry it.",
        "error_type": "WorkerDied",
    }


def _stop(workers: list[_Worker], *, graceful: bool) -> None:
    """Stop every worker: idle ones are asked to leave; the rest (or all, if not graceful) are killed."""
    for w in workers:
        if graceful and w.index is None:
            with contextlib.suppress(OSError):
                w.conn.send(None)
    deadline = time.monotonic() + (_TERM_GRACE_SECONDS if graceful else 0.0)
    for w in workers:
        w.process.join(timeout=max(0.0, deadline - time.monotonic()))
    alive = [w for w in workers if w.process.is_alive()]
    for w in alive:
        w.process.terminate()
    deadline = time.monotonic() + _TERM_GRACE_SECONDS
    for w in alive:
        w.process.join(timeout=max(0.0, deadline - time.monotonic()))
    for w in alive:
        if w.process.is_alive():
            w.process.kill()
            w.process.join()
    for w in workers:
        w.conn.close()
        with contextlib.suppress(ValueError):
            w.process.close()


def _messages(worker: _Worker) -> Iterator[tuple[str, int, Any]]:
    """The messages waiting from ``worker``; ``("died", index, outcome)`` if its pipe closed."""
    while worker.index is not None:
        try:
            if not worker.conn.poll():
                return
            yield worker.conn.recv()
        except (EOFError, OSError):
            yield "died", worker.index, _death(worker)
            return


def _hand_out(worker: _Worker, item: tuple[int, PointTask]) -> dict[str, Any] | None:
    """Send ``worker`` its next point; the failed outcome if the worker is already gone."""
    worker.index = item[0]
    try:
        worker.conn.send(item)
    except OSError:
        return _death(worker)
    return None


def run_pool(tasks: list[tuple[int, PointTask]], workers: int, log: Log) -> Outcomes:
    """Run ``tasks`` on up to ``workers`` local processes; yield ``(index, outcome)`` as points finish.

    Close the generator (e.g. with :func:`contextlib.closing`) when stopping early: that, or any
    exception in it, terminates the workers at once.
    """
    queue = deque(tasks)
    size = min(workers, len(tasks))
    pool: list[_Worker] = []
    graceful = False
    try:
        while queue or any(w.index is not None for w in pool):
            idle = [w for w in pool if w.index is None]
            new = [_start_worker(pool) for _ in range(min(len(queue) - len(idle), size - len(pool)))]
            for w in (idle + new)[: len(queue)]:
                failed = _hand_out(w, queue.popleft())
                if failed is not None:
                    pool.remove(w)
                    _stop([w], graceful=False)
                    yield w.index, failed
            busy = [w.conn for w in pool if w.index is not None]
            ready = wait(busy) if busy else []
            for w in [w for w in pool if w.conn in ready]:
                for kind, index, payload in _messages(w):
                    if kind == "log":
                        log(payload)
                        continue
                    if kind == "died":
                        pool.remove(w)
                        _stop([w], graceful=False)
                    w.index = None
                    yield index, payload
        graceful = True
    finally:
        _stop(pool, graceful=graceful)
