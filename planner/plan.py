"""Plan: the decoded solution — open hubs, served flows and where they charge, KPIs.

Decoding lives with the features (:mod:`planner.features.coverage.decode` for the core columns).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point

from planner.arrays import list_codes
from planner.listtext import join_lists, join_tenths, join_values
from planner.network import Network
from planner.scenario import Scenario
from planner.verify import Verification

if TYPE_CHECKING:
    from planner.context import RunContext

__all__ = ["Plan", "flows_table", "kpi_year_factor", "truck_km_share", "HUB_COLUMNS", "FLOW_COLUMNS"]

HUB_COLUMNS = [
    "site_id",
    "name",
    "lon",
    "lat",
    "node_or_edge",
    "country",
    "tier",
    "locked",
    "chargers",
    "chargers_mcs",
    "chargers_ccs",
    "cost_eur",
    "flows_charging",
    "volume_charging",
]
FLOW_COLUMNS = [
    "flow_id",
    "origin",
    "destination",
    "volume",
    "length_km",
    "drive_km",
    "served",
    "status",
    "route_nodes",
    "stops",
    "stops_km",
    "stops_share",
]


@dataclass
class Plan:
    """A solved, verified plan.

    Attributes
    ----------
    scenario
        The scenario it answers.
    hubs
        Open hubs (columns :data:`HUB_COLUMNS`).
    flows
        Every flow (columns :data:`FLOW_COLUMNS`; ``route_nodes``, ``stops``, ``stops_km`` as lists).
    summary
        The content of summary.json.
    network
        The network used.
    verification
        The independent verification result.
    extras
        Further tables (``tables``) and map layers (``layers``) features add, and run details.
    context
        The run that produced it (every stage's result), e.g. to re-verify a changed plan with
        :func:`planner.stages.verify`.
    """

    scenario: Scenario
    hubs: pd.DataFrame
    flows: pd.DataFrame
    summary: dict[str, Any]
    network: Network
    verification: Verification | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    context: RunContext | None = field(default=None, repr=False)

    @property
    def hubs_gdf(self) -> gpd.GeoDataFrame:
        """Open hubs as points (EPSG:4326)."""
        return gpd.GeoDataFrame(
            self.hubs.copy(),
            geometry=[Point(x, y) for x, y in zip(self.hubs["lon"], self.hubs["lat"], strict=True)],
            crs="EPSG:4326",
        )

    @property
    def flows_gdf(self) -> gpd.GeoDataFrame:
        """Flows as route lines (EPSG:4326), list columns joined with ``;``."""
        return self.flows_layer(flows_table(self.flows))

    def flows_layer(self, table: pd.DataFrame) -> gpd.GeoDataFrame:
        """Route lines (EPSG:4326) of the flows with ``table``, their :func:`flows_table` (joined
        once by a caller that writes it elsewhere too)."""
        import shapely

        nodes = self.network.graph.nodes(data=True)
        lon = np.array([d["lon"] for _, d in nodes], dtype=float)
        lat = np.array([d["lat"] for _, d in nodes], dtype=float)
        routes = self.flows["route_nodes"].tolist()
        counts, at = list_codes(pd.Index([n for n, _ in nodes], dtype=object), routes)
        if (at < 0).any():
            raise KeyError(next(x for r in routes for x in r if x not in self.network.graph))
        index = np.repeat(np.arange(len(routes)), counts)
        geoms = shapely.linestrings(np.column_stack([lon[at], lat[at]]), indices=index) if len(routes) else []
        return gpd.GeoDataFrame(table, geometry=geoms, crs="EPSG:4326")

    @property
    def network_gdf(self) -> gpd.GeoDataFrame:
        """Network edges as lines (EPSG:4326)."""
        e = self.network.edges
        n = self.network.nodes
        geoms = [
            LineString([(n.at[a, "lon"], n.at[a, "lat"]), (n.at[b, "lon"], n.at[b, "lat"])])
            for a, b in zip(e["u"], e["v"], strict=True)
        ]
        cols = ["edge_id", "u", "v", "length_km", "corridor", "tier", "country", "road", "mode", "oneway"]
        return gpd.GeoDataFrame(e[cols].copy(), geometry=geoms, crs="EPSG:4326")


def truck_km_share(figures: dict) -> float | None:
    """The served share of truck-km of a summary or a year table row (``covered_truck_km`` over
    ``total_truck_km``); None when it has no truck-km."""
    total = figures.get("total_truck_km")
    return float(figures["covered_truck_km"]) / float(total) if total and "covered_truck_km" in figures else None


def kpi_year_factor(summary: dict) -> float:
    """The trucks/day of the year a plan's KPIs are (a rollout's last year) over the flows' ``volume``
    (a rollout's flows before its growth and BEV shares); 1 for a single-year plan."""
    base = summary.get("base_year_volume")
    if not summary.get("kpi_year") or not base:
        return 1.0
    return float(summary["total_volume"]) / float(base)


def flows_table(flows: pd.DataFrame) -> pd.DataFrame:
    """Flows with list columns joined by ``;`` (for CSV/GeoPackage)."""
    out = flows[FLOW_COLUMNS].copy()
    out["route_nodes"] = join_lists(out["route_nodes"].tolist())
    out["stops"] = join_lists(out["stops"].tolist())
    out["stops_km"] = join_tenths(out["stops_km"].tolist())  # "{:.1f}" each
    # a few distinct values (all 1.0 without assigned stops), each formatted once
    out["stops_share"] = join_values(out["stops_share"].tolist(), "{:g}".format)
    return out
