"""Where sweep points run: in this process, in a local process pool, or on a Dask cluster."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from planner.errors import PlannerError
from planner.sweep.point import PointTask, one_line, run_point

__all__ = ["dask_client", "execute"]

Log = Callable[[str], None]
Outcomes = Iterable[tuple[int, dict[str, Any]]]


def execute(tasks: list[tuple[int, PointTask]], *, workers: int, client: Any, log: Log) -> Outcomes:
    """Yield ``(index, outcome)`` as points finish, on the chosen executor."""
    if client is not None:
        yield from _execute_dask(tasks, client)
    elif workers <= 1 or len(tasks) <= 1:
        for index, task in tasks:
            yield index, run_point(task, log)
    else:
        yield from _execute_pool(tasks, workers)


def _execute_pool(tasks: list[tuple[int, PointTask]], workers: int) -> Outcomes:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn, not fork: a forked child inherits the parent's solver thread pools in an unusable state.
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = {pool.submit(run_point, task): index for index, task in tasks}
        for fut in as_completed(futures):
            try:
                outcome = fut.result()
            except Exception as exc:  # noqa: BLE001 - a dead worker process fails its point only
                outcome = {"status": "failed", "error": one_line(exc), "error_type": type(exc).__name__}
            yield futures[fut], outcome
    except BaseException:  # Ctrl-C: drop the queued points instead of running them all first
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


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
    for fut in as_completed(list(futures)):
        try:
            outcome = fut.result()
        except Exception as exc:  # noqa: BLE001 - a lost worker or unimportable planner fails its point
            outcome = {"status": "failed", "error": one_line(exc), "error_type": type(exc).__name__}
        yield by_key[fut.key], outcome
