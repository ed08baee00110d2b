"""Corridor networks: loading nodes/edges from CSV or GeoPackage, validation, the graph.

The graph is a :class:`networkx.DiGraph`. A two-way edge ``u–v`` becomes the arcs ``u→v``
and ``v→u`` sharing one ``edge_id``; a ``oneway`` edge (a carriageway) only ``u→v``.
``length_km`` from the file is authoritative; coordinates are for maps and for placing
points along edges. Each arc carries ``drive_km``: equal to ``length_km`` on roads and 0 on
ferry and rail-shuttle links (no battery energy, no driving time).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from planner.errors import DataError
from planner.scenario import NetworkConfig

__all__ = ["Network", "load_network", "network_from_frames", "great_circle_km"]

_MODES = ("road", "ferry", "rail_shuttle")
_TIERS = ("core", "comprehensive")
_EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Network:
    """A validated corridor network.

    Attributes
    ----------
    graph
        Directed graph; nodes carry ``name, lon, lat, country``; arcs carry ``edge_id,
        length_km, drive_km, mode, tier, corridor, country, road``.
    nodes
        Node table indexed by ``id`` (columns ``name, lon, lat`` and any extras).
    edges
        Edge table, one row per input edge, with ``edge_id, u, v, length_km, mode, tier,
        corridor, country, road, oneway``.
    source
        Where the network was read from (for messages and outputs).
    """

    graph: nx.DiGraph
    nodes: pd.DataFrame
    edges: pd.DataFrame
    source: str
    off_tier_nodes: frozenset[str] = frozenset()


def great_circle_km(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Haversine distance in km between WGS84 points (vectorised)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"{path}: {what} file not found; check the path in the scenario.")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: cannot read {what} CSV ({exc}); fix the file.") from None


def _read_layer(path: Path, layer: str, *, required: bool = True) -> pd.DataFrame | None:
    import pyogrio

    if not path.is_file():
        raise DataError(f"{path}: GeoPackage not found; check the path in the scenario.")
    try:
        layers = {row[0] for row in pyogrio.list_layers(path)}
    except Exception as exc:  # pyogrio raises several DataSourceError types
        raise DataError(f"{path}: cannot open as GeoPackage ({exc}).") from None
    if layer not in layers:
        if required:
            raise DataError(
                f"{path}: no layer '{layer}' (found: {', '.join(sorted(layers))}); "
                "a network GeoPackage needs layers 'nodes' and 'edges'."
            )
        return None
    frame = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
    return pd.DataFrame(frame).astype(str).replace({"None": "", "nan": ""})


def _require(frame: pd.DataFrame, columns: tuple[str, ...], where: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{where}: missing column(s) {', '.join(missing)}; found {', '.join(frame.columns) or 'none'}.")


def _to_float(frame: pd.DataFrame, column: str, where: str, ids: pd.Series) -> np.ndarray:
    values = pd.to_numeric(frame[column].str.strip(), errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{where}: column '{column}' has a non-numeric value {frame[column].iloc[i]!r} "
            f"at {ids.iloc[i]}; give a number."
        )
    return values


def _to_bool(values: pd.Series, where: str, column: str) -> np.ndarray:
    text = values.str.strip().str.lower()
    ok = text.isin(["", "true", "false", "1", "0", "yes", "no"])
    if not ok.all():
        bad = values[~ok].iloc[0]
        raise DataError(f"{where}: column '{column}' has {bad!r}; use true or false.")
    return text.isin(["true", "1", "yes"]).to_numpy()


def network_from_frames(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    source: str,
    tiers: tuple[str, ...] = _TIERS,
    max_detour_ratio: float = 3.0,
) -> Network:
    """Validate node and edge tables (all columns as strings) and build the graph.

    Parameters
    ----------
    nodes, edges
        Tables as read from CSV/GeoPackage (string columns).
    source
        Name used in error messages.
    tiers
        Edge tiers to keep.
    max_detour_ratio
        Largest plausible ``length_km`` / great-circle ratio for road edges.

    Raises
    ------
    DataError
        On duplicate ids, unknown node references, non-positive lengths, implausible
        coordinates or a disconnected graph.
    """
    nodes_where, edges_where = f"{source} (nodes)", f"{source} (edges)"
    _require(nodes, ("id", "name", "lon", "lat"), nodes_where)
    _require(edges, ("u", "v", "length_km"), edges_where)
    nodes = nodes.copy()
    nodes["id"] = nodes["id"].str.strip()
    if (nodes["id"] == "").any():
        raise DataError(f"{nodes_where}: a node has an empty id; give every node an id.")
    dup = nodes["id"][nodes["id"].duplicated()]
    if len(dup):
        raise DataError(f"{nodes_where}: node id {dup.iloc[0]!r} appears more than once; ids must be unique.")
    lon = _to_float(nodes, "lon", nodes_where, nodes["id"])
    lat = _to_float(nodes, "lat", nodes_where, nodes["id"])
    bad = (np.abs(lon) > 180) | (np.abs(lat) > 90)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{nodes_where}: node {nodes['id'].iloc[i]!r} has lon={lon[i]}, lat={lat[i]} outside "
            "WGS84 ranges; give degrees (lon in [-180, 180], lat in [-90, 90])."
        )
    nodes["lon"], nodes["lat"] = lon, lat
    if "country" not in nodes.columns:
        nodes["country"] = ""
    nodes = nodes.set_index("id", drop=False)

    edges = edges.copy()
    for col in ("u", "v"):
        edges[col] = edges[col].str.strip()
    defaults = {"corridor": "", "tier": "core", "country": "", "road": "", "mode": "road", "oneway": ""}
    for col, default in defaults.items():
        if col not in edges.columns:
            edges[col] = default
        edges[col] = edges[col].str.strip()
    edges.loc[edges["tier"] == "", "tier"] = "core"
    edges.loc[edges["mode"] == "", "mode"] = "road"
    labels = edges["u"] + "–" + edges["v"]
    unknown = ~edges["u"].isin(nodes.index) | ~edges["v"].isin(nodes.index)
    if unknown.any():
        row = edges[unknown].iloc[0]
        name = row["u"] if row["u"] not in nodes.index else row["v"]
        raise DataError(
            f"{edges_where}: edge {row['u']}–{row['v']} names unknown node {name!r}; add it to the nodes or fix the id."
        )
    loops = edges["u"] == edges["v"]
    if loops.any():
        raise DataError(f"{edges_where}: edge {labels[loops].iloc[0]} is a self-loop; remove it.")
    length = _to_float(edges, "length_km", edges_where, labels)
    if (length <= 0).any():
        i = int(np.flatnonzero(length <= 0)[0])
        raise DataError(f"{edges_where}: edge {labels.iloc[i]} has length_km={length[i]}; lengths must be positive km.")
    edges["length_km"] = length
    bad_mode = ~edges["mode"].isin(_MODES)
    if bad_mode.any():
        raise DataError(
            f"{edges_where}: edge {labels[bad_mode].iloc[0]} has mode {edges['mode'][bad_mode].iloc[0]!r}; "
            f"use one of {', '.join(_MODES)}."
        )
    bad_tier = ~edges["tier"].isin(_TIERS)
    if bad_tier.any():
        raise DataError(
            f"{edges_where}: edge {labels[bad_tier].iloc[0]} has tier {edges['tier'][bad_tier].iloc[0]!r}; "
            "use core or comprehensive."
        )
    edges["oneway"] = _to_bool(edges["oneway"], edges_where, "oneway")
    all_ids = set(nodes.index)
    edges = edges[edges["tier"].isin(tiers)].reset_index(drop=True)
    if edges.empty:
        raise DataError(f"{edges_where}: no edges left after keeping tiers {list(tiers)}; check network.tiers.")
    edges["edge_id"] = edges["u"] + "~" + edges["v"]
    dup = edges["edge_id"][edges["edge_id"].duplicated()]
    if len(dup):
        raise DataError(
            f"{edges_where}: edge {dup.iloc[0].replace('~', '–')} appears twice; "
            "keep one (parallel edges are not supported)."
        )

    # Plausibility of lengths against coordinates (catches swapped lon/lat or wrong units).
    gc = great_circle_km(
        nodes.loc[edges["u"], "lon"].to_numpy(),
        nodes.loc[edges["u"], "lat"].to_numpy(),
        nodes.loc[edges["v"], "lon"].to_numpy(),
        nodes.loc[edges["v"], "lat"].to_numpy(),
    )
    road = (edges["mode"] == "road").to_numpy()
    length = edges["length_km"].to_numpy(dtype=float)
    too_short = road & (length < 0.9 * gc - 1.0)
    too_long = road & (length > max_detour_ratio * gc + 10.0)
    for mask, what in (
        (too_short, "shorter than the straight line"),
        (too_long, f"over {max_detour_ratio}× the straight line"),
    ):
        if mask.any():
            i = int(np.flatnonzero(mask)[0])
            raise DataError(
                f"{edges_where}: edge {edges['edge_id'].iloc[i].replace('~', '–')} has length_km="
                f"{edges['length_km'].iloc[i]:g} but its nodes are {gc[i]:.1f} km apart ({what}); "
                "check the coordinates (lon/lat order) or the length (km)."
            )

    graph = nx.DiGraph()
    for node_id, row in nodes.iterrows():
        graph.add_node(node_id, name=row["name"], lon=float(row["lon"]), lat=float(row["lat"]), country=row["country"])
    for row in edges.itertuples(index=False):
        attrs = {
            "edge_id": row.edge_id,
            "length_km": float(row.length_km),
            "drive_km": float(row.length_km) if row.mode == "road" else 0.0,
            "mode": row.mode,
            "tier": row.tier,
            "corridor": row.corridor,
            "country": row.country,
            "road": row.road,
        }
        graph.add_edge(row.u, row.v, **attrs, forward=True)
        if not row.oneway:
            if graph.has_edge(row.v, row.u):
                raise DataError(
                    f"{edges_where}: edges {row.u}–{row.v} and {row.v}–{row.u} overlap; keep one or mark both oneway."
                )
            graph.add_edge(row.v, row.u, **attrs, forward=False)

    used = set(edges["u"]) | set(edges["v"])
    graph.remove_nodes_from([n for n in list(graph.nodes) if n not in used])
    components = sorted(nx.weakly_connected_components(graph), key=lambda c: (-len(c), min(c)))
    if len(components) > 1:
        parts = "; ".join(f"{len(c)} node(s) incl. {', '.join(sorted(c)[:3])}" for c in components[:4])
        raise DataError(
            f"{source}: the network is not connected: {len(components)} components ({parts}); "
            "add the missing links or remove the stray nodes."
        )
    return Network(graph=graph, nodes=nodes.loc[sorted(used)], edges=edges, source=source,
                   off_tier_nodes=frozenset(all_ids - used))


def load_network(config: NetworkConfig) -> Network:
    """Load and validate the network named by a scenario.

    Parameters
    ----------
    config
        The scenario's ``[network]`` section (paths already absolute).
    """
    if config.gpkg is not None:
        nodes = _read_layer(config.gpkg, "nodes")
        edges = _read_layer(config.gpkg, "edges")
        source = str(config.gpkg)
    else:
        assert config.nodes is not None and config.edges is not None
        nodes = _read_csv(config.nodes, "nodes")
        edges = _read_csv(config.edges, "edges")
        source = f"{config.nodes.parent}/{{{config.nodes.name},{config.edges.name}}}"
        _require(nodes, ("id", "name", "lon", "lat"), str(config.nodes))
        _require(edges, ("u", "v", "length_km"), str(config.edges))
    assert nodes is not None and edges is not None
    return network_from_frames(
        nodes, edges, source=source, tiers=tuple(config.tiers), max_detour_ratio=config.max_detour_ratio
    )


def read_gpkg_sites(path: Path) -> pd.DataFrame | None:
    """Return the ``sites`` layer of a network GeoPackage as strings, or None if absent."""
    return _read_layer(path, "sites", required=False)


def edge_point(network: Network, u: str, v: str, offset_km: float) -> tuple[float, float]:
    """Lon/lat of the point ``offset_km`` along edge ``u–v`` from its ``u`` end.

    Placement interpolates linearly between the end nodes in proportion to ``length_km``
    (coordinates are for maps; the length is authoritative).
    """
    length = network.graph.edges[u, v]["length_km"]
    f = min(max(offset_km / length, 0.0), 1.0)
    gu, gv = network.graph.nodes[u], network.graph.nodes[v]
    return gu["lon"] + f * (gv["lon"] - gu["lon"]), gu["lat"] + f * (gv["lat"] - gu["lat"])
