"""Corridor networks: loading nodes/edges from CSV or GeoPackage, validation, the planning scope, the graph.

The graph is a :class:`networkx.DiGraph`. A two-way edge ``u–v`` becomes the arcs ``u→v``
and ``v→u`` sharing one ``edge_id``; a ``oneway`` edge (a carriageway) only ``u→v``.
``length_km`` from the file is authoritative; coordinates are for maps and for placing
points along edges. Each arc carries ``drive_km``: equal to ``length_km`` on roads and 0 on
ferry and rail-shuttle links (no battery energy, no driving time), and ``route_km``:
``length_km`` plus the optional ``route_penalty_km`` (a generalised cost used for route
choice only, never for energy, driving time or distance).

Data contract of the ``tier`` column: ``core``, ``comprehensive`` (the TEN-T tiers of
Regulation (EU) 2024/1679) or empty for a road outside the TEN-T (``non_ten_t`` is read as
empty). ``country`` lists the ISO2 codes an edge lies in, ``;``-joined. The planning scope
(``[network] tiers`` and ``countries``) selects the edges that are planned; AFIR is measured
elsewhere and independently of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from planner.errors import DataError
from planner.scenario import NetworkConfig
from planner.tables import decimal_comma_hint, read_csv_table

__all__ = [
    "NON_TEN_T",
    "SCOPE_TIERS",
    "TEN_T_TIERS",
    "Network",
    "edge_countries",
    "great_circle_km",
    "load_network",
    "network_from_frames",
]

_MODES = ("road", "ferry", "rail_shuttle")
#: The TEN-T tiers an edge can carry (an empty tier: the road is not part of the TEN-T).
TEN_T_TIERS = ("core", "comprehensive")
#: How ``[network] tiers`` (and input files, as a synonym of the empty tier) name a road outside the TEN-T.
NON_TEN_T = "non_ten_t"
#: The TEN-T statuses a planning scope can keep.
SCOPE_TIERS = (*TEN_T_TIERS, NON_TEN_T)
_EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Network:
    """A validated corridor network, cut to the scenario's planning scope.

    Attributes
    ----------
    graph
        Directed graph of the planned edges; nodes carry ``name, lon, lat, country``; arcs carry
        ``edge_id, length_km, drive_km, route_km, mode, tier, corridor, country, road``.
    nodes
        Node table of the planned nodes indexed by ``id`` (columns ``name, lon, lat`` and any extras).
    edges
        Edge table of the planned edges, one row per input edge, with ``edge_id, u, v, length_km,
        route_penalty_km, mode, tier, corridor, country, road, oneway``.
    source
        Where the network was read from (for messages and outputs).
    out_of_scope_nodes
        Node ids of the file that are not in the planned graph (zones there generate no planned trips).
    unscoped_graph
        The graph of every edge of the file, before the planning scope (the same object as ``graph``
        when the scope keeps everything); the gravity model is normalised over it.
    """

    graph: nx.DiGraph
    nodes: pd.DataFrame
    edges: pd.DataFrame
    source: str
    out_of_scope_nodes: frozenset[str] = frozenset()
    unscoped_graph: nx.DiGraph | None = None

    @property
    def whole_graph(self) -> nx.DiGraph:
        """The graph before the planning scope (``graph`` if none was recorded)."""
        return self.graph if self.unscoped_graph is None else self.unscoped_graph


def great_circle_km(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Haversine distance in km between WGS84 points (vectorised)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    return read_csv_table(path, what, setting=f"network.{what}")


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
            f"at {ids.iloc[i]}; give a number{decimal_comma_hint(frame[column].iloc[i])}."
        )
    return values


def _to_bool(values: pd.Series, where: str, column: str) -> np.ndarray:
    text = values.str.strip().str.lower()
    ok = text.isin(["", "true", "false", "1", "0", "yes", "no"])
    if not ok.all():
        bad = values[~ok].iloc[0]
        raise DataError(f"{where}: column '{column}' has {bad!r}; use true or false.")
    return text.isin(["true", "1", "yes"]).to_numpy()


def _nodes_table(nodes: pd.DataFrame, where: str) -> pd.DataFrame:
    """Validated node table indexed by ``id`` (``lon``/``lat`` as floats, ``country`` present)."""
    nodes = nodes.copy()
    nodes["id"] = nodes["id"].str.strip()
    if (nodes["id"] == "").any():
        raise DataError(f"{where}: a node has an empty id; give every node an id.")
    dup = nodes["id"][nodes["id"].duplicated()]
    if len(dup):
        raise DataError(f"{where}: node id {dup.iloc[0]!r} appears more than once; ids must be unique.")
    lon = _to_float(nodes, "lon", where, nodes["id"])
    lat = _to_float(nodes, "lat", where, nodes["id"])
    bad = (np.abs(lon) > 180) | (np.abs(lat) > 90)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{where}: node {nodes['id'].iloc[i]!r} has lon={lon[i]}, lat={lat[i]} outside "
            "WGS84 ranges; give degrees (lon in [-180, 180], lat in [-90, 90])."
        )
    nodes["lon"], nodes["lat"] = lon, lat
    if "country" not in nodes.columns:
        nodes["country"] = ""
    nodes["country"] = nodes["country"].str.strip()
    return nodes.set_index("id", drop=False)


def _normalise_tiers(edges: pd.DataFrame, labels: pd.Series, where: str) -> pd.Series:
    """The TEN-T tier of each edge: ``core``, ``comprehensive`` or ``""`` (not TEN-T).

    A file without a ``tier`` column is taken as all ``core`` (a network without TEN-T information,
    e.g. one built from OpenStreetMap); ``non_ten_t`` is a synonym of the empty tier.
    """
    if "tier" not in edges.columns:
        return pd.Series("core", index=edges.index)
    tier = edges["tier"].str.strip().replace(NON_TEN_T, "")
    bad = ~tier.isin([*TEN_T_TIERS, ""])
    if bad.any():
        raise DataError(
            f"{where}: edge {labels[bad].iloc[0]} has tier {edges['tier'][bad].iloc[0]!r}; use core, comprehensive, "
            f"or leave it empty (or {NON_TEN_T}) for a road outside the TEN-T."
        )
    return tier


def _edges_table(edges: pd.DataFrame, nodes: pd.DataFrame, where: str) -> pd.DataFrame:
    """Validated edge table: ids, lengths, modes, tiers, ``oneway`` and ``route_penalty_km``."""
    edges = edges.copy()
    for col in ("u", "v"):
        edges[col] = edges[col].str.strip()
    labels = edges["u"] + "–" + edges["v"]
    edges["tier"] = _normalise_tiers(edges, labels, where)
    defaults = {"corridor": "", "country": "", "road": "", "mode": "road", "oneway": "", "route_penalty_km": ""}
    for col, default in defaults.items():
        if col not in edges.columns:
            edges[col] = default
        edges[col] = edges[col].str.strip()
    edges.loc[edges["mode"] == "", "mode"] = "road"
    unknown = ~edges["u"].isin(nodes.index) | ~edges["v"].isin(nodes.index)
    if unknown.any():
        row = edges[unknown].iloc[0]
        name = row["u"] if row["u"] not in nodes.index else row["v"]
        raise DataError(
            f"{where}: edge {row['u']}–{row['v']} names unknown node {name!r}; add it to the nodes or fix the id."
        )
    loops = edges["u"] == edges["v"]
    if loops.any():
        raise DataError(f"{where}: edge {labels[loops].iloc[0]} is a self-loop; remove it.")
    length = _to_float(edges, "length_km", where, labels)
    if (length <= 0).any():
        i = int(np.flatnonzero(length <= 0)[0])
        raise DataError(f"{where}: edge {labels.iloc[i]} has length_km={length[i]}; lengths must be positive km.")
    edges["length_km"] = length
    penalty = _to_float(
        edges.assign(route_penalty_km=edges["route_penalty_km"].replace("", "0")), "route_penalty_km", where, labels
    )
    if (penalty < 0).any():
        i = int(np.flatnonzero(penalty < 0)[0])
        raise DataError(
            f"{where}: edge {labels.iloc[i]} has route_penalty_km={penalty[i]:g}; give a generalised cost >= 0 km."
        )
    edges["route_penalty_km"] = penalty
    bad_mode = ~edges["mode"].isin(_MODES)
    if bad_mode.any():
        raise DataError(
            f"{where}: edge {labels[bad_mode].iloc[0]} has mode {edges['mode'][bad_mode].iloc[0]!r}; "
            f"use one of {', '.join(_MODES)}."
        )
    edges["oneway"] = _to_bool(edges["oneway"], where, "oneway")
    edges["edge_id"] = edges["u"] + "~" + edges["v"]
    dup = edges["edge_id"][edges["edge_id"].duplicated()]
    if len(dup):
        raise DataError(
            f"{where}: edge {dup.iloc[0].replace('~', '–')} appears twice; keep one (parallel edges are not supported)."
        )
    return edges


def _check_lengths(edges: pd.DataFrame, nodes: pd.DataFrame, where: str, max_detour_ratio: float) -> None:
    """Plausibility of road lengths against coordinates (catches swapped lon/lat or wrong units)."""
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
                f"{where}: edge {edges['edge_id'].iloc[i].replace('~', '–')} has length_km="
                f"{edges['length_km'].iloc[i]:g} but its nodes are {gc[i]:.1f} km apart ({what}); "
                "check the coordinates (lon/lat order) or the length (km)."
            )


def edge_countries(edges: pd.DataFrame, nodes: pd.DataFrame) -> list[frozenset[str]]:
    """Countries each edge lies in: its ``country`` column (``;``-joined) or else its end nodes' countries."""
    node_country = nodes["country"].to_dict()
    out = []
    for u, v, text in zip(edges["u"], edges["v"], edges["country"], strict=True):
        codes = {c.strip() for c in text.split(";") if c.strip()}
        out.append(frozenset(codes or {c for c in (node_country[u], node_country[v]) if c}))
    return out


def _select_scope(
    edges: pd.DataFrame, nodes: pd.DataFrame, where: str, *, tiers: tuple[str, ...], countries: tuple[str, ...] | None
) -> pd.DataFrame:
    """The edges of the planning scope: TEN-T statuses in ``tiers``, every country in ``countries``."""
    bad = [t for t in tiers if t not in SCOPE_TIERS]
    if bad:
        raise DataError(f"{where}: unknown tier {bad[0]!r} in network.tiers; use {', '.join(SCOPE_TIERS)}.")
    status = edges["tier"].replace("", NON_TEN_T)
    keep = np.array(status.isin(tiers), dtype=bool)
    if countries is not None:
        lies_in = edge_countries(edges, nodes)
        missing = [i for i, c in enumerate(lies_in) if not c]
        if missing:
            raise DataError(
                f"{where}: edge {edges['edge_id'].iloc[missing[0]].replace('~', '–')} has no country (edge 'country' "
                "and its nodes' 'country' are empty); fill them to use network.countries."
            )
        known = set().union(*lies_in)
        unknown = sorted(set(countries) - known)
        if unknown:
            raise DataError(
                f"{where}: network.countries lists {', '.join(unknown)}, which no edge lies in; "
                f"use codes of this network ({', '.join(sorted(known))})."
            )
        keep &= np.array([c <= set(countries) for c in lies_in], dtype=bool)
    scope = _scope_text(tiers, countries)
    if not keep.any():
        raise DataError(f"{where}: no edges left in the planning scope ({scope}); check network.tiers/countries.")
    return edges[keep].reset_index(drop=True)


def _scope_text(tiers: tuple[str, ...], countries: tuple[str, ...] | None) -> str:
    where = "all countries" if countries is None else "countries " + ", ".join(countries)
    return f"tiers {', '.join(tiers)}; {where}"


def _build_graph(nodes: pd.DataFrame, edges: pd.DataFrame, where: str) -> nx.DiGraph:
    """Directed graph of the edges (two arcs per two-way edge) on the nodes they use."""
    graph = nx.DiGraph()
    used = set(edges["u"]) | set(edges["v"])
    for node_id in sorted(used):
        row = nodes.loc[node_id]
        graph.add_node(node_id, name=row["name"], lon=float(row["lon"]), lat=float(row["lat"]), country=row["country"])
    for row in edges.itertuples(index=False):
        attrs = {
            "edge_id": row.edge_id,
            "length_km": float(row.length_km),
            "drive_km": float(row.length_km) if row.mode == "road" else 0.0,
            "route_km": float(row.length_km) + float(row.route_penalty_km),
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
                    f"{where}: edges {row.u}–{row.v} and {row.v}–{row.u} overlap; keep one or mark both oneway."
                )
            graph.add_edge(row.v, row.u, **attrs, forward=False)
    return graph


def _check_connected(graph: nx.DiGraph, source: str, scope: str | None) -> None:
    components = sorted(nx.weakly_connected_components(graph), key=lambda c: (-len(c), min(c)))
    if len(components) > 1:
        parts = "; ".join(f"{len(c)} node(s) incl. {', '.join(sorted(c)[:3])}" for c in components[:4])
        fix = (
            f"plan connected countries or add the linking ones to network.countries (scope: {scope})"
            if scope
            else "add the missing links or remove the stray nodes"
        )
        raise DataError(f"{source}: the network is not connected: {len(components)} components ({parts}); {fix}.")


def network_from_frames(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    source: str,
    parts: tuple[str, str] | None = None,
    tiers: tuple[str, ...] = SCOPE_TIERS,
    countries: tuple[str, ...] | None = None,
    route_penalties: bool = True,
    max_detour_ratio: float = 3.0,
) -> Network:
    """Validate node and edge tables (all columns as strings), select the planning scope, build the graph.

    Parameters
    ----------
    nodes, edges
        Tables as read from CSV/GeoPackage (string columns).
    source
        Name used in error messages.
    parts
        Names of the node and the edge table in error messages (their files); default
        ``"<source> (nodes)"`` and ``"<source> (edges)"``.
    tiers
        TEN-T statuses kept: ``core``, ``comprehensive``, ``non_ten_t`` (empty tier in the file).
    countries
        ISO2 codes planned (None: all); an edge is kept when every country it lies in is listed.
    route_penalties
        Whether ``route_penalty_km`` enters the arcs' ``route_km`` (else ``route_km = length_km``).
    max_detour_ratio
        Largest plausible ``length_km`` / great-circle ratio for road edges.

    Raises
    ------
    DataError
        On duplicate ids, unknown node references, non-positive lengths, implausible
        coordinates, an empty scope or a disconnected planned network.
    """
    nodes_where, edges_where = parts or (f"{source} (nodes)", f"{source} (edges)")
    _require(nodes, ("id", "name", "lon", "lat"), nodes_where)
    _require(edges, ("u", "v", "length_km"), edges_where)
    nodes = _nodes_table(nodes, nodes_where)
    edges = _edges_table(edges, nodes, edges_where)
    if not route_penalties:
        edges["route_penalty_km"] = 0.0
    _check_lengths(edges, nodes, edges_where, max_detour_ratio)
    scoped = _select_scope(edges, nodes, edges_where, tiers=tuple(tiers), countries=countries)
    whole = len(scoped) == len(edges)
    graph = _build_graph(nodes, scoped, edges_where)
    _check_connected(graph, source, None if whole else _scope_text(tuple(tiers), countries))
    unscoped = graph if whole else _build_graph(nodes, edges, edges_where)
    return Network(
        graph=graph,
        nodes=nodes.loc[sorted(graph.nodes)],
        edges=scoped,
        source=source,
        out_of_scope_nodes=frozenset(set(nodes.index) - set(graph.nodes)),
        unscoped_graph=unscoped,
    )


def load_network(config: NetworkConfig) -> Network:
    """Load and validate the network named by a scenario and keep its planning scope.

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
        nodes,
        edges,
        source=source,
        parts=None if config.gpkg is not None else (str(config.nodes), str(config.edges)),
        tiers=tuple(config.tiers),
        countries=None if config.countries is None else tuple(config.countries),
        route_penalties=config.route_penalties,
        max_detour_ratio=config.max_detour_ratio,
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
