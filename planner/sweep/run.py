"""Running a sweep: resume what is done, run the rest on an executor, write the sweep tables."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner.errors import PlannerError
from planner.outdir import register_files
from planner.sweep.executors import dask_client, execute, sigterm_interrupts, where
from planner.sweep.folder import check_sweep_folder, sweep_folder
from planner.sweep.outputs import sweep_table, write_outputs
from planner.sweep.point import PointResult, PointTask, Status, describe, point_result, point_task, resumable
from planner.sweep.spec import Sweep

__all__ = ["SweepResult", "run_sweep"]

Log = Callable[[str], None]


def _noop(_: str) -> None:
    return None


@dataclass(frozen=True)
class SweepResult:
    """All points of a sweep run, in sweep order, and the files written.

    Attributes
    ----------
    sweep
        The sweep that ran.
    out_dir
        The sweep folder.
    points
        One :class:`PointResult` per point, in sweep order.
    files
        ``sweep.csv``, ``sweep.json``, ``failures.json`` and the ``compare/`` files.
    """

    sweep: Sweep
    out_dir: Path
    points: tuple[PointResult, ...]
    files: tuple[Path, ...] = ()

    def by_status(self, status: Status) -> list[PointResult]:
        """The points with this status."""
        return [p for p in self.points if p.status == status]

    @property
    def failed(self) -> list[PointResult]:
        """The failed points."""
        return self.by_status("failed")

    @property
    def ok(self) -> bool:
        """Whether no point failed."""
        return not self.failed

    def table(self) -> pd.DataFrame:
        """One row per point: ``point, kind``, one column per override key, then the KPIs."""
        return sweep_table(self.points, self.out_dir)


def _check_workers(workers: object) -> None:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise PlannerError(f"workers={workers!r}: give a whole number of processes ≥ 1.")


def _resume(
    sweep: Sweep, runs: Path, *, force: bool, log: Log
) -> tuple[dict[int, PointResult], list[tuple[int, PointTask]]]:
    """The finished points (resumed from their run folders) and the tasks of the others."""
    n = len(sweep.points)
    results: dict[int, PointResult] = {}
    tasks: list[tuple[int, PointTask]] = []
    for point in sweep.points:
        done = resumable(point, runs / point.name, force=force)
        if done is not None:
            results[point.index] = done
            log(f"[{point.index + 1}/{n}] {point.name}: {describe(done)}")
        else:
            tasks.append((point.index, point_task(sweep, point, runs / point.name, force=force)))
    return results, tasks


def run_sweep(
    sweep: Sweep,
    out_dir: str | Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    isolate: bool = False,
    force: bool = False,
    log: Log = _noop,
) -> SweepResult:
    """Run every point of a sweep (skipping finished ones) and write the sweep tables.

    Parameters
    ----------
    sweep
        From :func:`load_sweep` or :func:`make_sweep`.
    out_dir
        Sweep folder: runs go to ``<out_dir>/runs/<point name>/``; ``sweep.csv``, ``sweep.json``,
        ``failures.json`` and ``compare/`` beside them. It must be absent, empty or a sweep folder
        the planner wrote (see :mod:`planner.sweep.folder`).
    workers
        Local processes (``1``: in this process, one after the other). Ignored with ``scheduler``.
    scheduler
        Address of a Dask distributed scheduler (``tcp://host:port``); its workers must import
        ``planner`` and see the data files and ``out_dir`` at the same paths.
    isolate
        Run points in a worker process even with ``workers=1``, so that an interrupt stops a
        running solve at once (the CLI does this).
    force
        Write into a folder the planner did not write (its own files only, replacing files of the same names).
    log
        Callback receiving the runs' progress lines and one line per finished point.

    Returns
    -------
    SweepResult
        Every point's status and KPIs; a failed point does not raise (see :attr:`SweepResult.failed`).

    Raises
    ------
    PlannerError
        Only for problems of the sweep as a whole (bad ``workers``, unreachable scheduler, a folder
        that may not be written or a broken run folder found when resuming).
    KeyboardInterrupt
        On Ctrl-C (and, as :class:`~planner.sweep.executors.Interrupted`, on SIGTERM): workers are
        stopped, no temporary folder is left, finished runs are kept for the next call to resume.
    """
    _check_workers(workers)
    out = Path(out_dir).resolve()
    check_sweep_folder(out, force=force)  # fail before connecting or touching the disk
    client = dask_client(scheduler) if scheduler is not None else None
    try:
        with sigterm_interrupts(), sweep_folder(out, sweep.name, force=force) as runs:
            results, tasks = _resume(sweep, runs, force=force, log=log)
            n = len(sweep.points)
            if tasks:
                place = where(len(tasks), workers=workers, isolate=isolate, scheduler=scheduler)
                log(f"sweep {sweep.name}: running {len(tasks)} of {n} points on {place}")
            outcomes = execute(tasks, workers=workers, isolate=isolate, client=client, log=log)
            with contextlib.closing(outcomes):
                for index, outcome in outcomes:
                    point = sweep.points[index]
                    results[index] = point_result(point, runs / point.name, outcome)
                    log(f"[{index + 1}/{n}] {point.name}: {describe(results[index])}")
            ordered = tuple(results[p.index] for p in sweep.points)
            files = write_outputs(sweep, out, ordered, log)
            register_files(out, [f.relative_to(out).as_posix() for f in files])
    finally:
        if client is not None:
            client.close()
    return SweepResult(sweep=sweep, out_dir=out, points=ordered, files=tuple(files))
