"""Build ``data/europe/nodes.csv`` and ``edges.csv`` from the hand-curated specs.

Inputs (all in this folder): ``nodes_spec.txt`` (ids, names, kinds), ``node_coords.csv``
(coordinates, resolved once by ``resolve_coords.py``) and ``routes_spec.txt`` (road chains,
ferry/shuttle links and known road distances).

Road edge lengths:
  * ``known``    -- the edge lies on a KNOWN chain: the chain's published road distance is split
                    over its edges in proportion to great-circle length;
  * ``circuity`` -- otherwise: great-circle length x the circuity factor of the edge's terrain
                    class, calibrated here on the KNOWN chains (sum known km / sum great-circle km).

Runs offline, stdlib only.  Usage: python data/europe/derive/build_network.py
"""

from __future__ import annotations

import csv
import statistics
import sys
from collections import defaultdict

from common import (
    CORRIDOR_ORDER,
    EUROPE,
    HERE,
    TIER_RANK,
    haversine_km,
    read_node_spec,
    read_route_spec,
)

MAX_ROAD_EDGE_KM = 165.0  # hard limit enforced here; the target is <= ~150 km


def load_coords() -> dict[str, tuple[float, float, str]]:
    with open(HERE / "node_coords.csv", encoding="utf-8") as fh:
        return {r["id"]: (float(r["lon"]), float(r["lat"]), r["coord_source"]) for r in csv.DictReader(fh)}


def edge_country(a: set[str], b: set[str]) -> str:
    common = a & b
    if len(common) == 1:
        return next(iter(common))
    return ";".join(sorted(common if common else a | b))


def calibrate(known_rows: list[dict]) -> dict[str, float]:
    """Length-weighted circuity factor per terrain class from the known chains."""
    factors = {}
    for terrain in ("lowland", "mountain"):
        rows = [r for r in known_rows if r["terrain"] == terrain]
        if rows:
            factors[terrain] = sum(r["known_km"] for r in rows) / sum(r["gc_km"] for r in rows)
    return factors


def main() -> int:
    specs = read_node_spec()
    coords = load_coords()
    nodes = {n.id: n for n in specs}
    if len(nodes) != len(specs):
        raise SystemExit("duplicate node ids in nodes_spec.txt")
    rs = read_route_spec()

    def gc(u: str, v: str) -> float:
        return haversine_km(coords[u][0], coords[u][1], coords[v][0], coords[v][1])

    # ---- collect road edges -------------------------------------------------------------
    edges: dict[frozenset, dict] = {}
    for r in rs.routes:
        for nid in r.chain:
            if nid not in nodes:
                raise SystemExit(f"route {r.road}: unknown node {nid}")
        for u, v in zip(r.chain, r.chain[1:], strict=False):
            key = frozenset((u, v))
            if len(key) != 2:
                raise SystemExit(f"self-loop {u}")
            e = edges.setdefault(
                key,
                {
                    "u": min(u, v),
                    "v": max(u, v),
                    "roads": [],
                    "corridors": set(),
                    "tier": r.tier,
                    "terrain": "lowland",
                    "mode": "road",
                },
            )
            for road in r.road.split(";") if r.road else []:
                if road not in e["roads"]:
                    e["roads"].append(road)
            e["corridors"].update(r.corridors)
            e["tier"] = min(e["tier"], r.tier, key=TIER_RANK.__getitem__)
            if r.terrain == "mountain":
                e["terrain"] = "mountain"
    for lk in rs.links:
        key = frozenset((lk.u, lk.v))
        if key in edges:
            raise SystemExit(f"link {lk.u}-{lk.v} duplicates a road edge")
        for nid in (lk.u, lk.v):
            if nid not in nodes:
                raise SystemExit(f"link: unknown node {nid}")
        edges[key] = {
            "u": min(lk.u, lk.v),
            "v": max(lk.u, lk.v),
            "roads": [],
            "corridors": set(lk.corridors),
            "tier": lk.tier,
            "terrain": "sea",
            "mode": lk.mode,
            "length_km": lk.km,
            "length_source": "known",
            "note": lk.note,
        }

    # ---- known chains -> apportioned lengths + calibration rows -----------------------------
    assigned: dict[frozenset, list[float]] = defaultdict(list)
    known_rows = []
    for k in rs.known:
        pairs = list(zip(k.chain, k.chain[1:], strict=False))
        gcs = []
        terr = defaultdict(float)
        for u, v in pairs:
            key = frozenset((u, v))
            if key not in edges or edges[key]["mode"] != "road":
                raise SystemExit(f"KNOWN chain {k.chain[0]}..{k.chain[-1]}: {u}-{v} is not a road edge")
            d = gc(u, v)
            gcs.append(d)
            terr[edges[key]["terrain"]] += d
        total_gc = sum(gcs)
        for (u, v), d in zip(pairs, gcs, strict=True):
            assigned[frozenset((u, v))].append(k.km * d / total_gc)
        known_rows.append(
            {
                "from": k.chain[0],
                "to": k.chain[-1],
                "known_km": k.km,
                "gc_km": total_gc,
                "ratio": k.km / total_gc,
                "terrain": max(terr, key=terr.get),
                "source": k.source,
                "edges": len(pairs),
            }
        )
    factors = calibrate(known_rows)

    # ---- lengths ------------------------------------------------------------------------------
    for key, e in edges.items():
        if e["mode"] != "road":
            continue
        d = gc(e["u"], e["v"])
        e["gc_km"] = d
        if key in assigned:
            e["length_km"] = statistics.fmean(assigned[key])
            e["length_source"] = "known"
        else:
            e["length_km"] = d * factors[e["terrain"]]
            e["length_source"] = "circuity"

    # ---- generalised-cost penalties (route choice only) -------------------------------------------
    for p in rs.penalties:
        key = frozenset((p.u, p.v))
        if key not in edges:
            raise SystemExit(f"PENALTY {p.u}-{p.v}: no such edge")
        edges[key]["penalty"] = p.km

    # ---- checks ---------------------------------------------------------------------------------
    used = {nid for e in edges.values() for nid in (e["u"], e["v"])}
    unused = sorted(set(nodes) - used)
    long_edges = sorted(
        ((e["length_km"], e["u"], e["v"]) for e in edges.values() if e["mode"] == "road" and e["length_km"] > 150.0),
        reverse=True,
    )
    # connectivity (union-find)
    parent = {n: n for n in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for e in edges.values():
        parent[find(e["u"])] = find(e["v"])
    comps = defaultdict(list)
    for n in used:
        comps[find(n)].append(n)

    # ---- write ----------------------------------------------------------------------------------
    with open(EUROPE / "nodes.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["id", "name", "lon", "lat", "country", "kind", "coord_source", "region"])
        for nid in sorted(used):
            n = nodes[nid]
            lon, lat, src = coords[nid]
            w.writerow([nid, n.name, f"{lon:.4f}", f"{lat:.4f}", n.country, n.kind, src, n.region])
    with open(EUROPE / "edges.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(
            [
                "u",
                "v",
                "length_km",
                "corridor",
                "tier",
                "country",
                "road",
                "mode",
                "length_source",
                "terrain",
                "route_penalty_km",
            ]
        )
        for e in sorted(edges.values(), key=lambda e: (e["u"], e["v"])):
            corr = ";".join(c for c in CORRIDOR_ORDER if c in e["corridors"])
            w.writerow(
                [
                    e["u"],
                    e["v"],
                    f"{e['length_km']:.1f}",
                    corr,
                    e["tier"],
                    edge_country(nodes[e["u"]].countries, nodes[e["v"]].countries),
                    ";".join(e["roads"]),
                    e["mode"],
                    e["length_source"],
                    e["terrain"],
                    f"{e['penalty']:g}" if e.get("penalty") else "",
                ]
            )
    with open(HERE / "circuity_factors.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["terrain", "factor", "chains", "known_km", "gc_km", "min_ratio", "max_ratio"])
        for terrain, f in factors.items():
            rows = [r for r in known_rows if r["terrain"] == terrain]
            w.writerow(
                [
                    terrain,
                    f"{f:.4f}",
                    len(rows),
                    f"{sum(r['known_km'] for r in rows):.0f}",
                    f"{sum(r['gc_km'] for r in rows):.1f}",
                    f"{min(r['ratio'] for r in rows):.3f}",
                    f"{max(r['ratio'] for r in rows):.3f}",
                ]
            )
    with open(HERE / "circuity_calibration.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["from", "to", "known_km", "gc_km", "ratio", "terrain", "edges", "source"])
        for r in known_rows:
            w.writerow(
                [
                    r["from"],
                    r["to"],
                    f"{r['known_km']:.0f}",
                    f"{r['gc_km']:.1f}",
                    f"{r['ratio']:.3f}",
                    r["terrain"],
                    r["edges"],
                    r["source"],
                ]
            )

    # ---- report ---------------------------------------------------------------------------------
    n_road = sum(e["mode"] == "road" for e in edges.values())
    print(f"nodes: {len(used)}  edges: {len(edges)} (road {n_road}, links {len(edges) - n_road})")
    print(f"road km: {sum(e['length_km'] for e in edges.values() if e['mode'] == 'road'):.0f}")
    for terrain, f in factors.items():
        ratios = [r["ratio"] for r in known_rows if r["terrain"] == terrain]
        print(
            f"circuity[{terrain}] = {f:.3f}  (n={len(ratios)} chains, "
            f"median {statistics.median(ratios):.3f}, min {min(ratios):.3f}, max {max(ratios):.3f})"
        )
    n_known = sum(e["mode"] == "road" and e["length_source"] == "known" for e in edges.values())
    print(f"road edges with known length: {n_known}/{n_road}")
    if unused:
        print(f"UNUSED nodes ({len(unused)}): {' '.join(unused)}")
    if long_edges:
        print("road edges > 150 km: " + ", ".join(f"{u}-{v} {km:.0f}" for km, u, v in long_edges))
    if len(comps) != 1:
        print(f"NOT CONNECTED: {len(comps)} components", file=sys.stderr)
        for c in comps.values():
            if len(c) < 30:
                print("  ", sorted(c), file=sys.stderr)
        return 1
    if long_edges and long_edges[0][0] > MAX_ROAD_EDGE_KM:
        print(f"road edge longer than {MAX_ROAD_EDGE_KM} km", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
