"""One sweep point at run time: the task a worker gets, what it returns, and resuming it."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from planner.errors import PlannerError
from planner.outdir import register_files
from planner.scenario import Scenario
from planner.sweep.spec import Kind, Sweep, SweepPoint

__all__ = ["MARKER", "PointResult", "PointTask", "Status", "run_point"]

Log = Callable[[str], None]
Status = Literal["ok", "failed", "skipped"]

MARKER = "sweep-point.json"
"""File written into every finished run folder: overrides and the scenario hash (for resume)."""

KPIS = ("hub_count", "covered_share", "total_cost_eur", "mip_gap")


def _noop(_: str) -> None:
    return None


@dataclass(frozen=True)
class PointTask:
    """What a worker needs to run one point: plain strings, cheap to pickle for any executor."""

    name: str
    scenario_json: str
    run_dir: str
    marker_json: str


@dataclass(frozen=True)
class PointResult:
    """Outcome of one sweep point (a row of ``sweep.csv``).

    Attributes
    ----------
    name, kind, overrides
        As in :class:`SweepPoint`.
    status
        ``"ok"`` (ran now), ``"skipped"`` (resumed: a finished run with the same hash) or ``"failed"``.
    hub_count, covered_share, total_cost_eur, mip_gap
        From the run's ``summary.json`` (``None`` when failed).
    seconds
        Wall-clock seconds of the run (for ``skipped``: of the run that made the folder).
    run_dir
        The run folder (``None`` when failed).
    error
        The one-line error message of a failed point.
    """

    name: str
    kind: Kind
    overrides: tuple[tuple[str, Any], ...]
    status: Status
    hub_count: int | None = None
    covered_share: float | None = None
    total_cost_eur: float | None = None
    mip_gap: float | None = None
    seconds: float | None = None
    run_dir: Path | None = None
    error: str | None = None


def one_line(exc: BaseException) -> str:
    """An exception as one line: a planner error's message, else ``Type: message``."""
    text = " ".join(str(exc).split())
    if isinstance(exc, PlannerError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (never half-written)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _kpis(summary: Mapping[str, Any]) -> dict[str, Any]:
    return {k: summary.get(k) for k in KPIS}


def run_point(task: PointTask, log: Log = _noop) -> dict[str, Any]:
    """Run one sweep point and write its run folder and ``sweep-point.json``; never raises.

    This is the pure, module-level function every executor runs (in-process, process pool, Dask):
    its input and output are plain data.

    Parameters
    ----------
    task
        The point's validated scenario (JSON), its run folder and its marker text.
    log
        Progress callback for the run's stages (used in-process only; workers run quietly).

    Returns
    -------
    dict
        ``status`` (``"ok"`` or ``"failed"``), ``seconds``, the KPIs or ``error`` (one line) and
        ``error_type``.
    """
    t0 = time.perf_counter()
    try:
        from planner.api import run

        scenario = Scenario.model_validate_json(task.scenario_json)
        plan = run(scenario, out_dir=task.run_dir, log=lambda msg: log(f"{task.name}: {msg}"))
        seconds = round(time.perf_counter() - t0, 3)
        marker = json.loads(task.marker_json)
        marker["seconds"] = seconds
        write_text_atomic(Path(task.run_dir) / MARKER, json.dumps(marker, indent=2, ensure_ascii=False) + "\n")
        register_files(Path(task.run_dir), [MARKER])
        return {"status": "ok", "seconds": seconds, **_kpis(plan.summary)}
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, none stops the sweep
        return {
            "status": "failed",
            "seconds": round(time.perf_counter() - t0, 3),
            "error": one_line(exc),
            "error_type": type(exc).__name__,
        }


def point_task(sweep: Sweep, point: SweepPoint, run_dir: Path) -> PointTask:
    """The task of ``point``: its scenario, its run folder and the marker it leaves there."""
    from planner import __version__

    marker = {
        "sweep": sweep.name,
        "point": point.name,
        "kind": point.kind,
        "overrides": {k: v for k, v in point.overrides},
        "scenario_hash": point.scenario_hash,
        "planner_version": __version__,
        "scenario": point.scenario.model_dump(mode="json"),
    }
    return PointTask(point.name, point.scenario.model_dump_json(), str(run_dir), json.dumps(marker, ensure_ascii=False))


def resumable(point: SweepPoint, run_dir: Path) -> PointResult | None:
    """The finished run of this very scenario in ``run_dir``, if there is one."""
    try:
        marker = json.loads((run_dir / MARKER).read_text())
        summary = json.loads((run_dir / "summary.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("scenario_hash") != point.scenario_hash:
        return None
    if not isinstance(summary, dict) or summary.get("scenario") != point.name:
        return None
    return PointResult(
        point.name,
        point.kind,
        point.overrides,
        "skipped",
        seconds=marker.get("seconds"),
        run_dir=run_dir,
        **_kpis(summary),
    )


def point_result(point: SweepPoint, run_dir: Path, out: Mapping[str, Any]) -> PointResult:
    """The :class:`PointResult` of a point from its executor's outcome."""
    if out.get("status") == "ok":
        return PointResult(
            point.name,
            point.kind,
            point.overrides,
            "ok",
            seconds=out.get("seconds"),
            run_dir=run_dir,
            **{k: out.get(k) for k in KPIS},
        )
    return PointResult(
        point.name,
        point.kind,
        point.overrides,
        "failed",
        seconds=out.get("seconds"),
        error=str(out.get("error") or "failed"),
    )


def describe(r: PointResult) -> str:
    """One progress line for a finished point."""
    if r.status == "failed":
        return f"FAILED: {r.error}"
    share = "n/a" if r.covered_share is None else f"{r.covered_share:.1%}"
    cost = "n/a" if r.total_cost_eur is None else f"{r.total_cost_eur:,.0f} EUR"
    took = "" if r.seconds is None else f", {r.seconds:.1f} s"
    what = "ok" if r.status == "ok" else "skipped (already done)"
    return f"{what}: {r.hub_count} hubs, served {share}, {cost}{took}"
