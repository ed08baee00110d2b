"""The arc graph of one AFIR tier's scope, and where the candidate sites lie on it.

*Scope.* Tier ``T`` is measured on its own directed road arcs (a two-way edge gives two directions,
a oneway edge one). Distances for ``T`` run on the scope graph ``H_T``: the core arcs for ``core``;
the core and comprehensive arcs for ``comprehensive`` (the TEN-T comprehensive network contains the
core network). Ferry and rail-shuttle links are never part of ``H_T``: they carry no length and no
pool, and the road chain ends at the terminal.

*Area.* AFIR binds the EU member states (``EU27``; with ``afir.area = "eu_eea"`` also the EEA states
that apply it): only road arcs lying entirely in the area are measured, so non-EU roads (Great
Britain, Switzerland, the Western Balkans) are planned for demand but never part of the shares or
gaps, and an arc's TEN-T tier says which rule applies (empty tier: not TEN-T, never measured).

*Routes.* A route is a directed walk on ``H_T`` that never makes a U-turn (arc ``u→v`` is never
followed by ``v→u``), so a pool on the other carriageway does not serve this direction.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from planner.network import Network

_SCOPE = {"core": frozenset({"core"}), "comprehensive": frozenset({"core", "comprehensive"})}
_TOL = 1e-9


@dataclass(frozen=True)
class _System:
    """Road arcs of one scope, with U-turn-free predecessor and successor lists."""

    arcs: tuple[tuple[str, str], ...]
    index: Mapping[tuple[str, str], int]
    length: tuple[float, ...]
    edge_id: tuple[str, ...]
    forward: tuple[bool, ...]
    tier: tuple[str, ...]
    corridor: tuple[str, ...]
    country: tuple[str, ...]
    preds: tuple[tuple[int, ...], ...]
    succs: tuple[tuple[int, ...], ...]
    nodes: frozenset[str]


def in_area(countries: str, area: frozenset[str] | None) -> bool:
    """Whether an edge lying in ``countries`` (``;``-joined ISO2, empty: unknown) is in the AFIR area
    (every country it lies in; ``area`` None: everywhere; an edge without country counts)."""
    if area is None or not countries:
        return True
    return all(c.strip() in area for c in countries.split(";") if c.strip())


def _system(network: Network, scope: frozenset[str], area: frozenset[str] | None = None) -> _System:
    graph = network.graph
    arcs = sorted(
        (u, v)
        for u, v, d in graph.edges(data=True)
        if d["mode"] == "road" and d["tier"] in scope and in_area(d.get("country", "") or "", area)
    )
    index = {arc: i for i, arc in enumerate(arcs)}
    into: dict[str, list[int]] = defaultdict(list)
    out: dict[str, list[int]] = defaultdict(list)
    for i, (u, v) in enumerate(arcs):
        out[u].append(i)
        into[v].append(i)
    rev = [index.get((v, u), -1) for u, v in arcs]
    data = [graph.edges[a] for a in arcs]
    return _System(
        arcs=tuple(arcs),
        index=index,
        length=tuple(float(d["length_km"]) for d in data),
        edge_id=tuple(d["edge_id"] for d in data),
        forward=tuple(bool(d.get("forward", True)) for d in data),
        tier=tuple(d["tier"] for d in data),
        corridor=tuple(d.get("corridor", "") or "" for d in data),
        country=tuple(d.get("country", "") or "" for d in data),
        preds=tuple(tuple(j for j in into[u] if j != rev[i]) for i, (u, _v) in enumerate(arcs)),
        succs=tuple(tuple(j for j in out[v] if j != rev[i]) for i, (_u, v) in enumerate(arcs)),
        nodes=frozenset(n for arc in arcs for n in arc),
    )


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _place_sites(
    network: Network, sites: pd.DataFrame, system: _System
) -> tuple[list[list[tuple[float, str]]], dict[str, list[str]], set[str]]:
    """Positions of the sites on the scope's arcs.

    Returns per arc the sorted ``(position from the arc's tail, site_id)`` of its edge sites, the
    node sites by node, and the ids of all sites inside the scope.
    """
    missing = [c for c in ("site_id", "node", "u", "v", "offset_km") if c not in sites.columns]
    if missing:
        raise ValueError(f"site table lacks column(s) {', '.join(missing)}; build it with build_candidates.")
    graph = network.graph
    arc_sites: list[list[tuple[float, str]]] = [[] for _ in system.arcs]
    node_sites: dict[str, list[str]] = defaultdict(list)
    placed: set[str] = set()
    seen: set[str] = set()
    for row in sites[["site_id", "node", "u", "v", "offset_km"]].itertuples(index=False):
        sid = _text(row.site_id)
        if not sid:
            raise ValueError("a site has an empty site_id; give every site an id.")
        if sid in seen:
            raise ValueError(f"site id {sid!r} appears more than once in the site table.")
        seen.add(sid)
        node = _text(row.node)
        if node:
            if node not in graph:
                raise ValueError(f"site {sid!r} names node {node!r}, which is not in the network.")
            if node in system.nodes:
                node_sites[node].append(sid)
                placed.add(sid)
            continue
        u, v = _text(row.u), _text(row.v)
        if not graph.has_edge(u, v):
            raise ValueError(f"site {sid!r} lies on edge {u}–{v}, which is not in the network.")
        data = graph.edges[u, v]
        length = float(data["length_km"])
        try:
            offset = float(row.offset_km)
        except (TypeError, ValueError):
            raise ValueError(f"site {sid!r} needs a numeric offset_km, got {row.offset_km!r}.") from None
        if not -1e-6 <= offset <= length + 1e-6:
            raise ValueError(f"site {sid!r} has offset_km={offset} outside edge {u}–{v} (0–{length:g} km).")
        offset = min(max(offset, 0.0), length)
        for a, b, pos in ((u, v, offset), (v, u, length - offset)):
            i = system.index.get((a, b))
            if i is not None and system.edge_id[i] == data["edge_id"]:
                arc_sites[i].append((pos, sid))
                placed.add(sid)
    for lst in arc_sites:
        lst.sort()
    return arc_sites, dict(node_sites), placed
