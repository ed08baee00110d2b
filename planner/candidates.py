"""Candidate hub sites: network nodes, points along edges, user-listed and existing hubs.

A site sits either at a node (``node``) or on an edge (``u, v, offset_km`` from ``u``). A site
on a two-way edge serves both directions; on a oneway edge (a carriageway) only ``u→v``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import DataError
from planner.network import Network, edge_point, read_gpkg_sites
from planner.scenario import CandidatesConfig, NetworkConfig
from planner.tables import read_csv_table

__all__ = ["EXISTING_COLUMNS", "SITE_COLUMNS", "build_candidates"]

SITE_COLUMNS = [
    "site_id",
    "name",
    "kind",
    "node",
    "u",
    "v",
    "offset_km",
    "lon",
    "lat",
    "country",
    "tier",
    "locked",
    "existing_points",
    "existing_power_kw",
    "existing_mcs",
    "existing_ccs",
]

#: Columns of a listed existing charger: its points, the power per point (kW), or its points per type.
#: Empty (NaN) where not given; :func:`planner.chargers.existing_by_type` reads them.
EXISTING_COLUMNS = ("existing_points", "existing_power_kw", "existing_mcs", "existing_ccs")

#: A node's tier is the highest TEN-T tier of its edges ("" = none of them is TEN-T).
_TIER_RANK = {"core": 0, "comprehensive": 1, "": 2}


def _node_tier(network: Network, node: str) -> str:
    tiers = [d["tier"] for _, _, d in network.graph.out_edges(node, data=True)]
    tiers += [d["tier"] for _, _, d in network.graph.in_edges(node, data=True)]
    return min(tiers, key=_TIER_RANK.__getitem__) if tiers else ""


def _edge_country(countries: str) -> str:
    return countries.split(";")[0] if countries else ""


def _node_sites(network: Network) -> list[dict]:
    return [
        _node_row(network, node_id, node_id, name="", kind="node", locked=False)
        for node_id in sorted(network.graph.nodes)
    ]


def _node_row(network: Network, site_id: str, node: str, *, name: str, kind: str, locked: bool) -> dict:
    """A site at a network node (name defaults to the node's)."""
    d = network.graph.nodes[node]
    return {
        "site_id": site_id,
        "name": name or d["name"],
        "kind": kind,
        "node": node,
        "u": "",
        "v": "",
        "offset_km": 0.0,
        "lon": d["lon"],
        "lat": d["lat"],
        "country": d["country"],
        "tier": _node_tier(network, node),
        "locked": locked,
    }


#: Most candidate points a spacing may create (beyond this a run would take hours or never end).
MAX_SPACING_SITES = 200_000


def _offset_label(length_km: float, n: int) -> str:
    """Format for the offsets of ``n - 1`` evenly spaced points on an edge: 0.1 km unless that
    rounds two points (or a point and an end) to the same label, then as many decimals as needed."""
    for digits in range(1, 10):
        labels = [f"{length_km * k / n:.{digits}f}" for k in range(n + 1)]
        if len(set(labels)) == len(labels):
            return f".{digits}f"
    return ".9f"


def _spacing_sites(network: Network, spacing_km: float) -> list[dict]:
    roads = network.edges[network.edges["mode"] == "road"]
    count = int(sum(max(math.ceil(length / spacing_km - 1e-9) - 1, 0) for length in roads["length_km"]))
    if count > MAX_SPACING_SITES:
        km = float(roads["length_km"].sum())
        suggest = math.ceil(km / MAX_SPACING_SITES * 10) / 10
        raise DataError(
            f"candidates.spacing_km = {spacing_km:g} would create {count:,} candidate points on {km:,.0f} km of "
            f"road (limit {MAX_SPACING_SITES:,}); use spacing_km >= {suggest:g}."
        )
    rows = []
    for e in network.edges.sort_values("edge_id").itertuples(index=False):
        if e.mode != "road" or e.length_km <= spacing_km:
            continue
        n = math.ceil(e.length_km / spacing_km - 1e-9)
        fmt = _offset_label(e.length_km, n)
        for k in range(1, n):
            offset = e.length_km * k / n
            lon, lat = edge_point(network, e.u, e.v, offset)
            rows.append(
                {
                    "site_id": f"{e.u}~{e.v}@{offset:{fmt}}",
                    "name": f"{e.road or e.u + '–' + e.v} km {offset:{fmt}}",
                    "kind": "edge",
                    "node": "",
                    "u": e.u,
                    "v": e.v,
                    "offset_km": offset,
                    "lon": lon,
                    "lat": lat,
                    "country": _edge_country(e.country),
                    "tier": e.tier,
                    "locked": False,
                }
            )
    return rows


class _Snapper:
    """Nearest road edge to a point, with the edges projected (EPSG:3035) once."""

    def __init__(self, network: Network) -> None:
        from pyproj import Transformer

        self._tr = Transformer.from_crs("EPSG:4326", "EPSG:3035", always_xy=True)
        self._edges = network.edges[network.edges["mode"] == "road"]
        nodes, edges = network.nodes, self._edges
        self._ux, self._uy = self._tr.transform(
            nodes.loc[edges["u"], "lon"].to_numpy(), nodes.loc[edges["u"], "lat"].to_numpy()
        )
        vx, vy = self._tr.transform(nodes.loc[edges["v"], "lon"].to_numpy(), nodes.loc[edges["v"], "lat"].to_numpy())
        self._dx, self._dy = vx - self._ux, vy - self._uy
        self._seg2 = np.maximum(self._dx * self._dx + self._dy * self._dy, 1e-9)

    def snap(self, lon: float, lat: float) -> tuple[str, str, float, float]:
        """(u, v, offset_km from u, distance_km) of the nearest road edge."""
        px, py = self._tr.transform(lon, lat)
        f = np.clip(((px - self._ux) * self._dx + (py - self._uy) * self._dy) / self._seg2, 0.0, 1.0)
        dist = np.hypot(self._ux + f * self._dx - px, self._uy + f * self._dy - py) / 1000.0
        i = int(np.lexsort((self._edges["edge_id"].to_numpy(), np.round(dist, 6)))[0])
        row = self._edges.iloc[i]
        return row["u"], row["v"], float(f[i] * row["length_km"]), float(dist[i])


def _existing(r: object, sid: str, locked: bool, where: str) -> dict[str, float]:
    """A listed site's existing-charger columns as numbers (NaN where empty), checked."""
    out: dict[str, float] = {}
    for col in EXISTING_COLUMNS:
        text = str(getattr(r, col)).strip()
        if text.lower() in ("", "nan", "none", "<na>"):
            out[col] = math.nan
            continue
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        whole = col != "existing_power_kw"
        if not math.isfinite(value) or value < 0 or (whole and value != int(value)):
            need = "a whole number of points ≥ 0" if whole else "the power of one point in kW, ≥ 0"
            raise DataError(f"{where}: site {sid!r} has {col}={text!r}; give {need} or leave it empty.")
        out[col] = value
    given = [c for c in ("existing_mcs", "existing_ccs") if not math.isnan(out[c])]
    if given and not locked:
        raise DataError(
            f"{where}: site {sid!r} lists {' and '.join(given)} but is not locked; existing charging points count "
            "only at an existing hub: set locked = true, or clear the column."
        )
    return out


def _user_sites(network: Network, frame: pd.DataFrame, where: str, snap_radius_km: float) -> list[dict]:
    if "site_id" not in frame.columns:
        raise DataError(f"{where}: missing column 'site_id'.")
    for col in ("name", "node", "u", "v", "offset_km", "lon", "lat", "locked", "kind", *EXISTING_COLUMNS):
        if col not in frame.columns:
            frame[col] = ""
    rows = []
    snapper: _Snapper | None = None  # built on the first lon/lat site
    for r in frame.itertuples(index=False):
        sid = str(r.site_id).strip()
        if not sid:
            raise DataError(f"{where}: a site has an empty site_id; give every site an id.")
        locked_txt = str(r.locked).strip().lower()
        if locked_txt not in ("", "true", "false", "1", "0", "yes", "no"):
            raise DataError(f"{where}: site {sid!r} has locked={r.locked!r}; use true or false.")
        locked = locked_txt in ("true", "1", "yes")
        kind = str(r.kind).strip() or ("existing" if locked else "user")
        existing = _existing(r, sid, locked, where)
        node, u, v, offset = str(r.node).strip(), str(r.u).strip(), str(r.v).strip(), str(r.offset_km).strip()
        if node:
            if node not in network.graph:
                raise DataError(f"{where}: site {sid!r} names unknown node {node!r}; use a node id from the network.")
            rows.append(_node_row(network, sid, node, name=r.name, kind=kind, locked=locked) | existing)
            continue
        if u or v:
            if not network.graph.has_edge(u, v) or not network.graph.edges[u, v]["forward"]:
                raise DataError(
                    f"{where}: site {sid!r} names edge {u}–{v}, which is not in the network (as listed, u→v)."
                )
            try:
                off = float(offset)
            except ValueError:
                off = math.nan
            if not math.isfinite(off):
                raise DataError(f"{where}: site {sid!r} needs a numeric offset_km along {u}–{v}, got {offset!r}.")
            length = network.graph.edges[u, v]["length_km"]
            if not 0 <= off <= length:
                raise DataError(f"{where}: site {sid!r} offset_km={off} is outside edge {u}–{v} (0–{length:g} km).")
        else:
            try:
                lon, lat = float(r.lon), float(r.lat)
            except ValueError:
                raise DataError(f"{where}: site {sid!r} needs 'node', 'u,v,offset_km' or numeric 'lon,lat'.") from None
            if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
                raise DataError(
                    f"{where}: site {sid!r} has lon, lat = {r.lon}, {r.lat}: not a WGS84 position; give degrees "
                    "within ±180 / ±90."
                )
            snapper = snapper or _Snapper(network)
            u, v, off, dist = snapper.snap(lon, lat)
            if dist > snap_radius_km:
                raise DataError(
                    f"{where}: site {sid!r} at ({lon}, {lat}) is {dist:.1f} km from the nearest road edge, beyond "
                    f"candidates.snap_radius_km={snap_radius_km}; move it or raise the radius."
                )
        e = network.graph.edges[u, v]
        lon, lat = edge_point(network, u, v, off)
        rows.append(
            {
                "site_id": sid,
                "name": r.name or sid,
                "kind": kind,
                "node": "",
                "u": u,
                "v": v,
                "offset_km": off,
                "lon": lon,
                "lat": lat,
                "country": _edge_country(e["country"]),
                "tier": e["tier"],
                "locked": locked,
            }
            | existing
        )
    return rows


def build_candidates(network: Network, config: CandidatesConfig, network_config: NetworkConfig) -> pd.DataFrame:
    """Build the candidate site table.

    Parameters
    ----------
    network
        The validated network.
    config
        The scenario's ``[candidates]`` section.
    network_config
        The ``[network]`` section (for a GeoPackage ``sites`` layer).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SITE_COLUMNS`, sorted by ``site_id``; ids are unique.
    """
    rows: list[dict] = []
    where: list[str] = []  # per row, where it came from (for a clash of ids)

    def add(new: list[dict], source: str) -> None:
        rows.extend(new)
        where.extend([source] * len(new))

    if config.include_nodes:
        add(_node_sites(network), "the network's nodes (candidates.include_nodes)")
    if config.spacing_km is not None:
        add(_spacing_sites(network, config.spacing_km), "the points along edges (candidates.spacing_km)")
    if network_config.gpkg is not None and config.use_gpkg_sites:
        layer = read_gpkg_sites(network_config.gpkg)
        if layer is not None:
            source = f"{network_config.gpkg} (sites)"
            add(_user_sites(network, layer, source, config.snap_radius_km), source)
    if config.sites is not None:
        path: Path = config.sites
        frame = read_csv_table(path, "sites", setting="candidates.sites")
        add(_user_sites(network, frame, str(path), config.snap_radius_km), str(path))
    if not rows:
        raise DataError("no candidate sites: enable candidates.include_nodes, set spacing_km or list sites.")
    sites = pd.DataFrame(rows, columns=SITE_COLUMNS)
    sites[list(EXISTING_COLUMNS)] = sites[list(EXISTING_COLUMNS)].astype(float)
    dup = np.flatnonzero(sites["site_id"].duplicated().to_numpy())
    if len(dup):
        i = int(dup[0])
        first = int(np.flatnonzero((sites["site_id"] == sites["site_id"].iloc[i]).to_numpy())[0])
        name = sites["site_id"].iloc[i]
        clash = "is listed twice" if where[first] == where[i] else f"is also the id of a site from {where[first]}"
        raise DataError(f"{where[i]}: site id {name!r} {clash}; rename one.")
    return sites.sort_values("site_id", kind="stable").reset_index(drop=True)
