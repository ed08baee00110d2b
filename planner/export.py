"""Writing a plan to disk: CSV, summary.json, GeoPackage and GeoJSON — atomically.

Everything is written to a temporary folder beside the target, then moved into place, so a
failed run never leaves a half-written output folder (an existing one is replaced only on
success, and only if the planner wrote it: :mod:`planner.outdir`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from planner.outdir import staged_output
from planner.plan import Plan, flows_table
from planner.provenance import resolved_toml

__all__ = ["write_plan", "write_files"]


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if not math.isfinite(value) else value
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return _clean(value.item())
    if isinstance(value, Path):
        return str(value)
    return value


def write_files(plan: Plan, folder: Path) -> list[Path]:
    """Write the data files of a plan into an existing folder; return their paths."""
    import pyogrio

    # Fixed GeoPackage timestamps so the same plan gives the same bytes.
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z"})
    folder = Path(folder)
    written = []
    summary = folder / "summary.json"
    summary.write_text(json.dumps(_clean(plan.summary), indent=2, sort_keys=False, ensure_ascii=False) + "\n")
    written.append(summary)
    resolved = folder / "scenario.resolved.toml"
    resolved.write_text(resolved_toml(plan.scenario), encoding="utf-8")
    written.append(resolved)
    hubs_csv = folder / "hubs.csv"
    plan.hubs.to_csv(hubs_csv, index=False, float_format="%.6f", lineterminator="\n")
    flows_csv = folder / "flows.csv"
    flows_table(plan.flows).to_csv(flows_csv, index=False, float_format="%.6f", lineterminator="\n")
    written += [hubs_csv, flows_csv]
    for name, table in plan.extras.get("tables", {}).items():
        table.to_csv(folder / name, index=False, float_format="%.6f", lineterminator="\n")
        written.append(folder / name)
    layers = {"hubs": plan.hubs_gdf, "network": plan.network_gdf, "flows": plan.flows_gdf}
    layers.update(plan.extras.get("layers", {}))
    gpkg = folder / "plan.gpkg"
    for name, gdf in layers.items():
        gdf.to_file(gpkg, layer=name, driver="GPKG", engine="pyogrio")
        geojson = folder / f"{name}.geojson"
        gdf.to_file(geojson, driver="GeoJSON", engine="pyogrio", layer_options={"WRITE_BBOX": "NO"})
        written.append(geojson)
    written.append(gpkg)
    return written


def write_plan(
    plan: Plan, out_dir: Path, *, extra: Callable[[Path], list[Path]] | None = None, force: bool = False
) -> list[Path]:
    """Write a plan's files into ``out_dir`` safely (see :mod:`planner.outdir`).

    Parameters
    ----------
    plan
        The plan.
    out_dir
        Target folder: absent, empty, or written by the planner before (replaced as a whole on
        success); anything else is refused unless ``force``.
    extra
        Optional callback writing more files (maps, report) into the temporary folder.
    force
        Write into a folder the planner did not write (its own files only; nothing is deleted).

    Raises
    ------
    OutputError
        If the folder may not or cannot be written; nothing is changed then.
    """
    out_dir = Path(out_dir)
    with staged_output(out_dir, kind="run", force=force) as (tmp, names):
        files = write_files(plan, tmp)
        if extra is not None:
            files += extra(tmp)
        names += [f.name for f in files]
    return [out_dir / f.name for f in files]
