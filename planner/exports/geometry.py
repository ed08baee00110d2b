"""Network and AFIR-gap geometry for the output layers, from the input network where it has any.

:class:`planner.network.Network` carries no geometry (the model needs none). When the scenario's
network is a GeoPackage whose ``edges`` layer has line geometry (e.g. built from OpenStreetMap
by ``planner network build``), the ``network`` and ``afir_gaps`` output layers follow those road
lines instead of straight segments between the end nodes. Edges are matched by their ``u``/``v``
node ids; a line drawn from ``v`` to ``u`` is reversed; edges without a line (and CSV networks)
keep the straight segment. The ``network`` layer also gets the trucks/day of the served and the
unserved flows on each edge (``served_volume``, ``unserved_volume``), which the QGIS style of
the GeoPackage draws as flow bands like the static map.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from shapely.geometry import LineString, MultiLineString
from shapely.ops import linemerge, substring

from planner.arrays import list_codes, offsets
from planner.plan import Plan, kpi_year_factor

__all__ = ["edge_lines", "gap_layer", "network_layer"]


def _as_line(geom: object) -> LineString | None:
    if isinstance(geom, LineString) and not geom.is_empty:
        return geom
    if isinstance(geom, MultiLineString) and not geom.is_empty:
        merged = linemerge(geom)
        return merged if isinstance(merged, LineString) else None
    return None


def edge_lines(gpkg: Path | None) -> dict[tuple[str, str], LineString]:
    """Line geometry of each edge of a network GeoPackage, keyed ``(u, v)`` as in the file;
    empty if there is no file, no ``edges`` layer or no line geometry (EPSG:4326)."""
    if gpkg is None or not Path(gpkg).is_file():
        return {}
    try:
        layers = {str(row[0]) for row in pyogrio.list_layers(gpkg)}
        if "edges" not in layers or pyogrio.read_info(gpkg, layer="edges").get("geometry_type") is None:
            return {}
        edges = gpd.read_file(gpkg, layer="edges", columns=["u", "v"], engine="pyogrio")
    except Exception:  # an unreadable layer: fall back to straight segments
        return {}
    if edges.crs is not None and not edges.crs.equals("EPSG:4326"):
        edges = edges.to_crs("EPSG:4326")
    out: dict[tuple[str, str], LineString] = {}
    for u, v, geom in zip(edges["u"].astype(str), edges["v"].astype(str), edges.geometry, strict=True):
        line = _as_line(geom)
        if line is not None:
            out[(u, v)] = line
    return out


def _oriented(line: LineString, start: tuple[float, float], end: tuple[float, float]) -> LineString:
    """``line`` running from ``start`` to ``end`` (reversed if drawn the other way)."""
    (x0, y0), (x1, y1) = line.coords[0][:2], line.coords[-1][:2]
    forward = math.dist((x0, y0), start) + math.dist((x1, y1), end)
    backward = math.dist((x1, y1), start) + math.dist((x0, y0), end)
    return line if forward <= backward else LineString(line.coords[::-1])


def edge_volumes(
    routes: Iterable[Sequence[str]], volumes: Iterable[float], served: Iterable[bool], keys: list[tuple[str, str]]
) -> tuple[np.ndarray, np.ndarray, int]:
    """Served and unserved trucks/day on each (undirected) edge ``keys[i]``, from the flows' routes (node
    sequences), and how many of the edges some route uses (served and unserved counted apart); a parallel
    edge (a key seen before) gets 0, so its volume counts once. Used for ``plan.gpkg``'s network layer and
    for maps redrawn from a run folder.

    Vectorised: every route step becomes an unordered node-pair code, and the volumes are summed per
    pair with :func:`numpy.bincount` (flow by flow, step by step: the order a loop would add them).
    """
    routes = list(routes)
    vol = np.asarray(list(volumes), dtype=float)
    ok = np.asarray(list(served), dtype=bool)
    s_out, u_out = np.zeros(len(keys)), np.zeros(len(keys))
    if not keys:
        return s_out, u_out, 0
    names = pd.Index(sorted({str(n) for key in keys for n in key}))
    n = len(names)
    k_codes = names.get_indexer([str(u) for u, _ in keys]), names.get_indexer([str(v) for _, v in keys])
    key_pair = np.minimum(*k_codes) * n + np.maximum(*k_codes)
    pairs, first = np.unique(key_pair, return_index=True)  # a parallel edge after its first key gets 0
    lengths, steps = list_codes(names, routes, as_text=True)
    if len(steps) < 2:
        return s_out, u_out, 0
    a, b = steps[:-1], steps[1:]
    starts = offsets(lengths)[:-1]
    inside = np.ones(len(a), dtype=bool)
    cut = starts[(starts > 0) & (starts < len(steps))] - 1  # a step from a route's last node to the next one's first
    inside[cut] = False
    code = np.minimum(a, b) * n + np.maximum(a, b)
    at = np.searchsorted(pairs, code).clip(max=len(pairs) - 1)
    use = inside & (a >= 0) & (b >= 0) & (pairs[at] == code)
    flow = np.repeat(np.arange(len(routes)), lengths)[:-1]
    matched = 0
    for mask, out in ((ok[flow], s_out), (~ok[flow], u_out)):
        sel = use & mask
        out[first] = np.bincount(at[sel], weights=vol[flow[sel]], minlength=len(pairs))
        matched += int((np.bincount(at[sel], minlength=len(pairs)) > 0).sum())
    return s_out, u_out, matched


def network_layer(plan: Plan) -> gpd.GeoDataFrame:
    """The ``network`` output layer: the plan's edges with road geometry where the input has it,
    and ``served_volume`` / ``unserved_volume`` (trucks/day) per edge."""
    gdf = plan.network_gdf
    lines = edge_lines(plan.scenario.network.gpkg)
    if lines:
        nodes = plan.network.nodes
        geoms = []
        for u, v, straight in zip(gdf["u"], gdf["v"], gdf.geometry, strict=True):
            line = lines.get((u, v)) or lines.get((v, u))
            if line is None:
                geoms.append(straight)
                continue
            start = (float(nodes.at[u, "lon"]), float(nodes.at[u, "lat"]))
            end = (float(nodes.at[v, "lon"]), float(nodes.at[v, "lat"]))
            geoms.append(_oriented(line, start, end))
        gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    f = plan.flows
    keys = list(zip(gdf["u"], gdf["v"], strict=True))
    served, unserved, _ = edge_volumes(f["route_nodes"], f["volume"], f["served"], keys)
    factor = kpi_year_factor(plan.summary)  # a rollout's last year, as its headline and hubs
    gdf["served_volume"] = (served * factor).round(6)
    gdf["unserved_volume"] = (unserved * factor).round(6)
    return gdf


def gap_layer(gaps: gpd.GeoDataFrame, network: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """AFIR gap stretches cut from the network layer's lines (``from_km``/``to_km`` from ``u``
    along ``length_km``), in the direction of travel; rows whose edge is unknown stay as they are."""
    if not len(gaps) or "edge_id" not in gaps.columns:
        return gaps
    lines = dict(zip(network["edge_id"], zip(network.geometry, network["length_km"], strict=True), strict=True))
    geoms = []
    for edge_id, direction, a, b, old in zip(
        gaps["edge_id"], gaps["direction"], gaps["from_km"], gaps["to_km"], gaps.geometry, strict=True
    ):
        line, length = lines.get(edge_id, (None, None))
        if line is None or not length or pd.isna(length):
            geoms.append(old)
            continue
        part = substring(line, max(float(a), 0.0) / length, min(float(b), length) / length, normalized=True)
        if not isinstance(part, LineString) or part.is_empty:
            geoms.append(old)
            continue
        geoms.append(part if direction == "forward" else LineString(part.coords[::-1]))
    return gaps.set_geometry(gpd.GeoSeries(geoms, index=gaps.index, crs=gaps.crs))
