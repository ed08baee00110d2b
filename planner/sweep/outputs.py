"""The sweep's own files: ``sweep.csv``, ``sweep.json``, ``failures.json`` and ``compare/``."""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from planner.outdir import read_marker
from planner.sweep.point import PointResult, write_text_atomic
from planner.sweep.spec import Sweep

__all__ = ["sweep_table", "write_outputs"]

Log = Callable[[str], None]


def _cell(value: Any) -> Any:
    """A CSV cell: scalars as they are, lists and tables as JSON text."""
    return value if value is None or isinstance(value, bool | int | float | str) else json.dumps(value)


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _rel(run_dir: Path | None, out_dir: Path) -> str | None:
    if run_dir is None:
        return None
    try:
        return run_dir.relative_to(out_dir).as_posix()
    except ValueError:
        return str(run_dir)


def _rows(points: Sequence[PointResult], out_dir: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """Column names and one row per point (override values as given, KPIs, run folder relative to the sweep)."""
    keys: list[str] = []
    for p in points:
        keys += [k for k, _ in p.overrides if k not in keys]
    rows = []
    for p in points:
        ov = dict(p.overrides)
        rows.append(
            {
                "point": p.name,
                "kind": p.kind,
                **{k: ov.get(k) for k in keys},
                "status": p.status,
                "hub_count": p.hub_count,
                "covered_share": _finite(p.covered_share),
                "total_cost_eur": _finite(p.total_cost_eur),
                "hourly_annual_cost_eur_per_year": _finite(p.hourly_annual_cost_eur_per_year),
                "mip_gap": _finite(p.mip_gap),
                "seconds": p.seconds,
                "run_dir": _rel(p.run_dir, out_dir),
                "error": p.error,
            }
        )
    kpis = ["status", "hub_count", "covered_share", "total_cost_eur", "hourly_annual_cost_eur_per_year", "mip_gap"]
    kpis += ["seconds", "run_dir", "error"]
    return ["point", "kind", *keys, *kpis], rows


def sweep_table(points: Sequence[PointResult], out_dir: Path) -> pd.DataFrame:
    """One row per point: ``point, kind``, one column per override key, then the KPIs."""
    columns, rows = _rows(points, out_dir)
    cells = [{k: _cell(v) for k, v in row.items()} for row in rows]
    # object columns keep override values as given (400 stays 400, a missing value stays empty)
    df = pd.DataFrame(cells, columns=columns, dtype=object)
    floats = dict.fromkeys(
        ("covered_share", "total_cost_eur", "hourly_annual_cost_eur_per_year", "mip_gap", "seconds"), float
    )
    return df.astype({"hub_count": "Int64", **floats})


def _sweep_doc(sweep: Sweep, out_dir: Path, results: Sequence[PointResult]) -> dict[str, Any]:
    _, records = _rows(results, out_dir)
    for rec, r in zip(records, results, strict=True):
        rec["overrides"] = {k: v for k, v in r.overrides}
    return {
        "sweep": sweep.name,
        "source": sweep.source,
        "base": None if sweep.base is None else str(sweep.base),
        "grid": {k: list(v) for k, v in sweep.grid},
        "tradeoff": {"coverage_targets": list(sweep.coverage_targets)},
        "counts": {s: sum(r.status == s for r in results) for s in ("ok", "skipped", "failed")},
        "points": records,
    }


def write_outputs(sweep: Sweep, out_dir: Path, results: Sequence[PointResult], log: Log) -> list[Path]:
    """Write the sweep tables and the comparison of the successful runs; return the paths."""
    from planner.compare import write_comparison

    files = [out_dir / "sweep.csv", out_dir / "sweep.json", out_dir / "failures.json"]
    write_text_atomic(files[0], sweep_table(results, out_dir).to_csv(index=False, lineterminator="\n"))
    write_text_atomic(files[1], json.dumps(_sweep_doc(sweep, out_dir, results), indent=2, ensure_ascii=False) + "\n")
    failures = [
        {"point": r.name, "kind": r.kind, "overrides": {k: v for k, v in r.overrides}, "error": r.error}
        for r in results
        if r.status == "failed"
    ]
    write_text_atomic(files[2], json.dumps(failures, indent=2, ensure_ascii=False) + "\n")
    done = [r.run_dir for r in results if r.status != "failed" and r.run_dir is not None]
    compare_dir = out_dir / "compare"
    if done:
        files += write_comparison(done, compare_dir, html=False)
    elif (read_marker(compare_dir) or {}).get("kind") == "compare":
        shutil.rmtree(compare_dir)  # the planner's stale comparison would contradict sweep.csv
        log("no successful run: the earlier compare/ removed")
    else:
        log("no successful run: compare/ not written")
    return files
