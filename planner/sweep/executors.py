"""Where sweep points run: in this process, in local worker processes, or on a Dask cluster.

Every executor is a generator of ``(index, outcome)`` pairs in finishing order; closing it early
(an interrupt, an exception) stops what it started: local workers are terminated at once, queued
Dask tasks are cancelled.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

from planner.errors import PlannerError
from planner.sweep.point import PointTask, one_line, run_point
from planner.sweep.pool import run_pool

__all__ = ["Interrupted", "dask_client", "execute", "sigterm_interrupts", "where"]

Log = Callable[[str], None]
Outcomes = Iterator[tuple[int, dict[str, Any]]]


class Interrupted(KeyboardInterrupt):
    """The sweep was asked to stop by a signal other than Ctrl-C (``signum``, e.g. SIGTERM).

    A :class:`KeyboardInterrupt`, so that everything that cleans up after Ctrl-C does so here too.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """While the sweep runs, SIGTERM raises :class:`Interrupted` (so workers are stopped and temporary
    folders removed) instead of ending the process on the spot.

    Only in the main thread and only if no one installed a SIGTERM handler before.
    """
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) not in (
        signal.SIG_DFL,
        None,
    ):
        yield
        return

    def handler(signum: int, _frame: Any) -> None:
        raise Interrupted(signum)

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def execute(tasks: list[tuple[int, PointTask]], *, workers: int, isolate: bool, client: Any, log: Log) -> Outcomes:
    """Yield ``(index, outcome)`` as points finish, on the chosen executor.

    Parameters
    ----------
    tasks
        ``(point index, task)`` pairs.
    workers
        Local worker processes (``1`` without ``isolate``: this process).
    isolate
        Run in a worker process even with one worker.
    client
        A Dask ``distributed.Client`` (then ``workers`` is ignored).
    log
        Progress lines of the runs (local executors only).
    """
    if client is not None:
        yield from _execute_dask(tasks, client)
    elif (workers > 1 and len(tasks) > 1) or (isolate and tasks):
        yield from run_pool(tasks, workers, log)
    else:
        for index, task in tasks:
            yield index, run_point(task, log)


def where(n_tasks: int, *, workers: int, isolate: bool, scheduler: str | None) -> str:
    """Where :func:`execute` runs ``n_tasks`` points, for the progress log."""
    if scheduler is not None:
        return f"Dask scheduler {scheduler}"
    if (workers > 1 and n_tasks > 1) or isolate:
        n = min(workers, n_tasks)
        return f"{n} worker process{'es' if n > 1 else ''}"
    return "this process"


def dask_client(scheduler: str) -> Any:
    """A ``distributed.Client`` connected to ``scheduler``, or a one-line :class:`PlannerError`."""
    try:
        from distributed import Client
    except ImportError:
        raise PlannerError(
            "--scheduler needs Dask distributed; install it with: pip install 'dask[distributed]'."
        ) from None
    try:
        return Client(scheduler, timeout=10)
    except (OSError, TimeoutError, ValueError) as exc:
        raise PlannerError(
            f"cannot reach the Dask scheduler at {scheduler} ({one_line(exc)}); check the address."
        ) from None


def _execute_dask(tasks: list[tuple[int, PointTask]], client: Any) -> Outcomes:
    from distributed import as_completed

    futures = {client.submit(run_point, task, pure=False): index for index, task in tasks}
    by_key = {f.key: i for f, i in futures.items()}
    try:
        for fut in as_completed(list(futures)):
            try:
                outcome = fut.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker or unimportable planner fails its point
                outcome = {"status": "failed", "error": one_line(exc), "error_type": type(exc).__name__}
            yield by_key[fut.key], outcome
    finally:
        pending = [f for f in futures if not f.done()]
        if pending:  # an interrupt: queued points do not run on
            client.cancel(pending)
