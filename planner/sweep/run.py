"""Running a sweep: resume what is done, run the rest on an executor, write the sweep tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner.errors import PlannerError
from planner.sweep.executors import dask_client, execute
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


def run_sweep(
    sweep: Sweep,
    out_dir: str | Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    log: Log = _noop,
) -> SweepResult:
    """Run every point of a sweep (skipping finished ones) and write the sweep tables.

    Parameters
    ----------
    sweep
        From :func:`load_sweep` or :func:`make_sweep`.
    out_dir
        Sweep folder: runs go to ``<out_dir>/runs/<point name>/``; ``sweep.csv``, ``sweep.json``,
        ``failures.json`` and ``compare/`` beside them.
    workers
        Local processes (``1``: in this process, one after the other). Ignored with ``scheduler``.
    scheduler
        Address of a Dask distributed scheduler (``tcp://host:port``); its workers must import
        ``planner`` and see the data files and ``out_dir`` at the same paths.
    log
        Callback receiving one line per finished point.

    Returns
    -------
    SweepResult
        Every point's status and KPIs; a failed point does not raise (see :attr:`SweepResult.failed`).

    Raises
    ------
    PlannerError
        Only for problems of the sweep as a whole (bad ``workers``, unreachable scheduler).
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise PlannerError(f"workers={workers!r}: give a whole number of processes ≥ 1.")
    out = Path(out_dir).resolve()
    client = dask_client(scheduler) if scheduler is not None else None  # fail before touching the disk
    try:
        runs = out / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        n = len(sweep.points)
        results: dict[int, PointResult] = {}
        tasks: list[tuple[int, PointTask]] = []
        for point in sweep.points:
            done = resumable(point, runs / point.name)
            if done is not None:
                results[point.index] = done
                log(f"[{point.index + 1}/{n}] {point.name}: {describe(done)}")
            else:
                tasks.append((point.index, point_task(sweep, point, runs / point.name)))
        if client is not None:
            where = f"Dask scheduler {scheduler}"
        elif workers > 1 and len(tasks) > 1:
            where = f"{min(workers, len(tasks))} processes"
        else:
            where = "this process"
        if tasks:
            log(f"sweep {sweep.name}: running {len(tasks)} of {n} points on {where}")
        for index, outcome in execute(tasks, workers=workers, client=client, log=log):
            point = sweep.points[index]
            results[index] = point_result(point, runs / point.name, outcome)
            log(f"[{index + 1}/{n}] {point.name}: {describe(results[index])}")
    finally:
        if client is not None:
            client.close()
    ordered = tuple(results[p.index] for p in sweep.points)
    files = write_outputs(sweep, out, ordered, log)
    return SweepResult(sweep=sweep, out_dir=out, points=ordered, files=tuple(files))
