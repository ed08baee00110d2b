"""Export files beyond the plain tables: ``plan.xlsx``, QGIS styles in ``plan.gpkg``, road geometry
for the output layers, and the CSV writer (UTF-8, whole EUR).

Called by :func:`planner.export.write_files`:

* :func:`output_layers` — the GeoPackage/GeoJSON layers (network with road geometry and
  per-edge trucks/day, AFIR gaps along the roads, money in whole EUR);
* :func:`write_csv` — every CSV of a run;
* :func:`write_exports` — ``plan.xlsx`` and the ``layer_styles`` table of ``plan.gpkg``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from planner.plan import Plan, flows_table

from .geometry import gap_layer, network_layer
from .gpkg_styles import write_layer_styles
from .tables import round_money, write_csv
from .xlsx import write_workbook

__all__ = ["output_layers", "write_csv", "write_exports"]


def output_layers(plan: Plan, flows: pd.DataFrame | None = None) -> dict[str, gpd.GeoDataFrame]:
    """The plan's output layers by name: ``hubs``, ``network``, ``flows`` and feature layers
    (``flows``: the plan's :func:`~planner.plan.flows_table`, if the caller has it already)."""
    network = network_layer(plan)
    hubs = plan.hubs_gdf
    layers = {"hubs": gpd.GeoDataFrame(round_money(hubs), geometry=hubs.geometry.name, crs=hubs.crs)}
    flow_lines = plan.flows_gdf if flows is None else plan.flows_layer(flows)
    layers.update({"network": network, "flows": flow_lines})
    for name, gdf in plan.extras.get("layers", {}).items():
        layers[name] = gap_layer(gdf, network) if name == "afir_gaps" else gdf
    return layers


#: plan.xlsx holds at most this many flows (the largest); every flow is in flows.csv and plan.gpkg.
XLSX_FLOWS = 50_000


def _largest_flows(table: pd.DataFrame) -> pd.DataFrame:
    """The flows for plan.xlsx (``table``: :func:`~planner.plan.flows_table`): all, or the
    :data:`XLSX_FLOWS` largest by volume (then by id)."""
    if len(table) <= XLSX_FLOWS:
        return table
    order = table.sort_values(["volume", "flow_id"], ascending=[False, True], kind="stable")
    return order.head(XLSX_FLOWS).reset_index(drop=True)


def write_exports(
    plan: Plan, folder: Path, layers: dict[str, gpd.GeoDataFrame], flows: pd.DataFrame | None = None
) -> list[Path]:
    """Write ``plan.xlsx`` and add the QGIS styles to ``plan.gpkg`` (already written with ``layers``);
    ``flows``: the plan's :func:`~planner.plan.flows_table`, if the caller has it already."""
    folder = Path(folder)
    tables = plan.extras.get("tables", {})
    afir = tables.get("afir.csv")
    extra = {name: table for name, table in tables.items() if name != "afir.csv"}
    flows = _largest_flows(flows_table(plan.flows) if flows is None else flows)
    summary = plan.summary
    if len(flows) < len(plan.flows):
        note = f"the {len(flows):,} largest of {len(plan.flows):,} flows; every flow is in flows.csv and plan.gpkg"
        summary = {**summary, "xlsx_flows_sheet": note}
    xlsx = write_workbook(folder / "plan.xlsx", summary, plan.hubs, flows, afir, extra=extra)
    write_layer_styles(folder / "plan.gpkg", layers)
    return [xlsx]
