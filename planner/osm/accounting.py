"""Way and site accounting for the build report: what was kept, absorbed or dropped, and why."""

from __future__ import annotations

import math

import numpy as np

from planner.osm.extract import OSMExtract
from planner.osm.network import NetworkResult, main_road_metres
from planner.osm.report import BuildReport
from planner.osm.sites import SiteResult

__all__ = ["account_build"]


def _drop_reasons(
    extract: OSMExtract, result: NetworkResult, pieces_of_way: dict[int, set[int]]
) -> tuple[dict[str, int], dict[str, float]]:
    """Ways and km dropped as dangling spurs, unconnected ferries or fragments."""
    pieces, spur = result.pieces, result.spur_pieces
    gone = spur | result.fragments.pieces

    def spur_reason(wi: int) -> str:
        return "ferry_not_connected" if extract.ways[wi].kind == "ferry" else "dangling_link_spur"

    dropped: dict[str, int] = {}
    for wi, ids in sorted(pieces_of_way.items()):
        if ids <= spur:
            why = spur_reason(wi)
        elif ids <= gone:
            why = "disconnected_fragment"
        else:
            continue
        dropped[why] = dropped.get(why, 0) + 1
    reason_km: dict[str, float] = {}
    for i in sorted(gone):
        wi = int(pieces.way_index[i])
        why = spur_reason(wi) if i in spur else "disconnected_fragment"
        reason_km[why] = reason_km.get(why, 0.0) + float(pieces.length_m[i]) / 1000.0
    return dropped, reason_km


def _account_km(report: BuildReport, extract: OSMExtract, result: NetworkResult, join_ways: set[int]) -> None:
    """Raw km of the selected ways, km joined, absorbed in junctions and added as connectors."""
    pieces = result.pieces
    metres = pieces.length_m
    main = main_road_metres(extract, pieces) > 0
    is_join = np.isin(pieces.way_index, sorted(join_ways))
    joined = np.zeros(len(pieces), dtype=bool)
    joined[sorted(result.joined_pieces)] = True
    gone = np.zeros(len(pieces), dtype=bool)
    gone[sorted(result.spur_pieces | result.fragments.pieces)] = True
    used = np.zeros(len(pieces), dtype=bool)
    used[sorted(result.tables.used_pieces)] = True
    live = (~is_join | joined) & ~gone
    absorbed = live & ~used
    report.raw_km = round(float(metres[~is_join].sum()) / 1000.0, 3)
    report.join_km = round(float(metres[is_join & joined].sum()) / 1000.0, 3)
    report.absorbed_km = {
        "main": round(float(metres[absorbed & main].sum()) / 1000.0, 3),
        "ramps": round(float(metres[absorbed & ~main].sum()) / 1000.0, 3),
    }
    report.connector_km = round(math.fsum(rec["connector_km"] for rec in result.tables.edges), 3)


def account_build(report: BuildReport, extract: OSMExtract, result: NetworkResult, sites: SiteResult) -> None:
    """Fill the report's way, drop and site counts."""
    report.ways_read = extract.ways_read
    report.missing_node_refs = extract.missing_refs
    report.missing_example = list(extract.missing_example) if extract.missing_example else None
    pieces_of_way: dict[int, set[int]] = {}
    for i, wi in enumerate(result.pieces.way_index.tolist()):
        pieces_of_way.setdefault(wi, set()).add(i)
    join_ways = {wi for wi, w in enumerate(extract.ways) if w.kind == "join"}
    used_join = {int(result.pieces.way_index[i]) for i in result.joined_pieces} & join_ways
    for wi in join_ways - used_join:  # read only to join components, not used: not counted
        pieces_of_way.pop(wi, None)
    _account_km(report, extract, result, join_ways)
    report.join_ways = len(used_join)
    report.via_nodes = result.tables.via_nodes
    report.fragments_dropped = len(result.fragments.km)
    report.fragment_km = list(result.fragments.km)
    dropped: dict[str, int] = dict(extract.dropped)
    reasons, reason_km = _drop_reasons(extract, result, pieces_of_way)
    for why, count in reasons.items():
        dropped[why] = dropped.get(why, 0) + count
    ways_without_pieces = sum(1 for wi in range(len(extract.ways)) if wi not in pieces_of_way and wi not in join_ways)
    if ways_without_pieces:
        dropped["way_without_nodes"] = ways_without_pieces
    gone = result.spur_pieces | result.fragments.pieces
    used = result.tables.used_way_ids
    report.ways_kept = len(used)
    report.ferries_kept = sum(1 for w in extract.ways if w.kind == "ferry" and w.id in used)
    report.ways_absorbed = sum(
        1 for wi, ids in pieces_of_way.items() if extract.ways[wi].id not in used and not ids <= gone
    )
    if result.self_loops:
        dropped["self_loop_edge"] = result.self_loops
    if result.tables.parallel_dropped:
        dropped["parallel_edge"] = result.tables.parallel_dropped
    if sites.beyond_radius:
        dropped["site_beyond_snap_radius"] = len(sites.beyond_radius)
    if sites.not_public:
        dropped["site_not_public"] = len(sites.not_public)
    report.sites_read = len(extract.features) + extract.dropped.get("site_without_location", 0)
    report.sites_side_fallback = len(sites.side_fallback)
    report.dropped_site_ids = list(sites.beyond_radius)
    report.dropped = {k: int(v) for k, v in sorted(dropped.items()) if v}
    report.dropped_km = {k: round(v, 3) for k, v in sorted(reason_km.items()) if v}
