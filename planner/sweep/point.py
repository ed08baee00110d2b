"""One sweep point at run time: the task a worker gets, what it returns, and resuming it."""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from planner.errors import OutputError, PlannerError
from planner.export import RUN_FILES
from planner.outdir import MARKER as OUTPUT_MARKER
from planner.outdir import check_target, register_files
from planner.scenario import Scenario
from planner.sweep.spec import Kind, Sweep, SweepPoint

__all__ = ["MARKER", "PointResult", "PointTask", "Status", "run_point"]

Log = Callable[[str], None]
Status = Literal["ok", "failed", "skipped"]

MARKER = "sweep-point.json"
"""File written into every finished run folder: overrides and the scenario hash (for resume)."""

KPIS = ("hub_count", "covered_share", "total_cost_eur", "hourly_annual_cost_eur_per_year", "mip_gap")
_PATHS = {"hourly_annual_cost_eur_per_year": ("hourly", "totals", "annual_cost_eur")}
"""Where a KPI sits in ``summary.json`` when it is not a top-level key."""


def _noop(_: str) -> None:
    return None


@dataclass(frozen=True)
class PointTask:
    """What a worker needs to run one point: plain strings, cheap to pickle for any executor."""

    name: str
    scenario_json: str
    run_dir: str
    marker_json: str
    force: bool = False
    source: str = ""  # how errors name the point: '<sweep file> [grid point …]'


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
    hourly_annual_cost_eur_per_year
        With ``[hourly]``, the sizing's cost per year (``summary.json`` → ``hourly.totals.annual_cost_eur``:
        annuities, opex, energy and capacity charges); ``None`` otherwise.
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
    hourly_annual_cost_eur_per_year: float | None = None
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


def _lookup(summary: Mapping[str, Any], key: str) -> Any:
    """A KPI's value in ``summary.json`` (``None`` where the run has none)."""
    value: Any = summary
    for part in _PATHS.get(key, (key,)):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _kpis(summary: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _lookup(summary, k) for k in KPIS}


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
        scenario._source = task.source
        plan = run(scenario, out_dir=task.run_dir, log=lambda msg: log(f"{task.name}: {msg}"), force=task.force)
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


def point_task(sweep: Sweep, point: SweepPoint, run_dir: Path, *, force: bool = False) -> PointTask:
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
    marker_json = json.dumps(marker, ensure_ascii=False)
    return PointTask(
        point.name, point.scenario.model_dump_json(), str(run_dir), marker_json, force, point.scenario._source
    )


_TEMP = re.compile(rf"^(?:\.{re.escape(MARKER)}|{re.escape(OUTPUT_MARKER)})\.tmp-[A-Za-z0-9_]+$")


def _broken(path: Path, why: str, run_dir: Path) -> OutputError:
    return OutputError(f"{path}: {why}; delete the folder {run_dir} to run this point again.")


def _read_json(path: Path, run_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _broken(path, "missing from a finished run folder", run_dir) from None
    except OSError as exc:
        raise _broken(path, f"cannot be read ({exc.strerror or exc})", run_dir) from None
    except ValueError as exc:  # not UTF-8, not JSON
        raise _broken(path, f"not valid JSON ({' '.join(str(exc).split())})", run_dir) from None
    if not isinstance(data, dict):
        raise _broken(path, "not a JSON object", run_dir)
    return data


def _number(value: Any, field: str, path: Path, run_dir: Path) -> Any:
    """``value`` (of ``field`` in ``path``) if it is a number or missing, else the broken-folder error."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise _broken(path, f"field '{field}' is {value!r}, not a number", run_dir)
    return value


def resumable(point: SweepPoint, run_dir: Path, *, force: bool = False) -> PointResult | None:
    """The finished run of this very scenario in ``run_dir``, if there is one.

    ``None`` if the point has to run: no folder, no ``sweep-point.json`` (not finished), or a
    different scenario hash (the scenario or its data changed).

    Raises
    ------
    OutputError
        One line naming the file and the field, if the folder may not be written (not the
        planner's, unless ``force``) or a finished run's files are broken.
    """
    if not run_dir.exists():
        return None
    if not run_dir.is_dir():
        raise OutputError(f"{run_dir}: is a file, not a run folder; move it away or choose another --out folder.")
    for p in sorted(run_dir.iterdir()):  # what a worker killed mid-write left
        if _TEMP.match(p.name) and p.is_file():
            p.unlink()
    check_target(run_dir, force=force, kind="run", names=RUN_FILES)
    marker_path = run_dir / MARKER
    if not marker_path.exists():
        return None
    marker = _read_json(marker_path, run_dir)
    if not isinstance(marker.get("scenario_hash"), str):
        raise _broken(marker_path, "field 'scenario_hash' is missing or not text", run_dir)
    if marker["scenario_hash"] != point.scenario_hash:
        return None
    summary_path = run_dir / "summary.json"
    summary = _read_json(summary_path, run_dir)
    if summary.get("scenario") != point.name:
        raise _broken(summary_path, f"field 'scenario' is {summary.get('scenario')!r}, not {point.name!r}", run_dir)
    kpis = {k: _number(_lookup(summary, k), ".".join(_PATHS.get(k, (k,))), summary_path, run_dir) for k in KPIS}
    seconds = _number(marker.get("seconds"), "seconds", marker_path, run_dir)
    return PointResult(point.name, point.kind, point.overrides, "skipped", seconds=seconds, run_dir=run_dir, **kpis)


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
    if r.hourly_annual_cost_eur_per_year is not None:
        cost += f" ({r.hourly_annual_cost_eur_per_year:,.0f} EUR/year)"
    took = "" if r.seconds is None else f", {r.seconds:.1f} s"
    what = "ok" if r.status == "ok" else "skipped (already done)"
    return f"{what}: {r.hub_count} hubs, served {share}, {cost}{took}"
