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

from planner.exports import output_layers, write_csv, write_exports
from planner.exports.xlsx import year_frame
from planner.outdir import staged_output
from planner.plan import Plan, flows_table
from planner.provenance import resolved_toml
from planner.render import RENDERED

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


#: Layers with more features than this are written to plan.gpkg only, not as GeoJSON (a European run's
#: 235,000 route lines make a 300 MB GeoJSON file that GIS tools load far slower than the GeoPackage).
GEOJSON_MAX_FEATURES = 50_000


#: Every file a run folder may hold (features add theirs; tests check a run writes no other), so that a
#: folder of one of these names in the output folder is refused before the solve (planner.outdir.check_target).
RUN_FILES = (
    "summary.json",
    "scenario.resolved.toml",
    "hubs.csv",
    "flows.csv",
    "afir.csv",
    "hub_hourly.csv",
    "hub_simulation.csv",
    "years.csv",
    "plan.gpkg",
    "hubs.geojson",
    "network.geojson",
    "flows.geojson",
    "afir_gaps.geojson",
    "plan.xlsx",
    *RENDERED,
)

#: Geometry type of each output layer (the others hold lines), for writing an empty layer.
_LAYER_GEOMETRY = {"hubs": "Point"}


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
    written.append(write_csv(plan.hubs, folder / "hubs.csv"))
    flows = flows_table(plan.flows)  # joined once: flows.csv, the GeoPackage layer and plan.xlsx
    written.append(write_csv(flows, folder / "flows.csv"))
    for name, table in plan.extras.get("tables", {}).items():
        written.append(write_csv(table, folder / name))
    years = year_frame(plan.summary)  # rollouts: the year table, as in plan.xlsx's years sheet
    if len(years):
        written.append(write_csv(years, folder / "years.csv"))
    layers = output_layers(plan, flows)
    gpkg = folder / "plan.gpkg"
    for name, gdf in layers.items():
        # An empty layer (a plan without hubs, no AFIR gap) keeps its geometry type: GDAL would write
        # "Unknown" and QGIS would not draw the layer as points or lines.
        kind = {"geometry_type": _LAYER_GEOMETRY.get(name, "LineString")} if gdf.empty else {}
        gdf.to_file(gpkg, layer=name, driver="GPKG", engine="pyogrio", **kind)
        if len(gdf) > GEOJSON_MAX_FEATURES:  # a layer this large belongs in the GeoPackage only
            continue
        geojson = folder / f"{name}.geojson"
        gdf.to_file(geojson, driver="GeoJSON", engine="pyogrio", layer_options={"WRITE_BBOX": "NO"})
        written.append(geojson)
    written.append(gpkg)
    written += write_exports(plan, folder, layers, flows)  # plan.xlsx; QGIS styles in plan.gpkg
    return written


def write_plan(
    plan: Plan,
    out_dir: Path,
    *,
    extra: Callable[[Path], list[Path]] | None = None,
    force: bool = False,
    locked: bool = False,
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
        Write into a folder the planner did not write (its own files only, replacing files of the same names).
    locked
        The caller holds the folder's lock (:func:`planner.outdir.claim_folder`).

    Raises
    ------
    OutputError
        If the folder may not or cannot be written; nothing is changed then.
    """
    out_dir = Path(out_dir)
    with staged_output(out_dir, kind="run", force=force, locked=locked) as (tmp, names):
        files = write_files(plan, tmp)
        if extra is not None:
            files += extra(tmp)
        names += [f.name for f in files]
    return [out_dir / f.name for f in files]
