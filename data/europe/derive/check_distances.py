"""Compare road-only network shortest-path distances with published road distances.

Reads ``nodes.csv``, ``edges.csv``, ``distance_checks.csv`` and ``derive/circuity_factors.csv``
and prints a Markdown table: network distance with the shipped lengths, the share of that path
whose length is ``known`` (taken from a published distance) and, as an independent test of the
circuity model, the network distance when *every* road edge gets great-circle x calibrated factor.

Usage: python data/europe/derive/check_distances.py
"""

from __future__ import annotations

import csv
import math
import statistics

import networkx as nx
from common import EUROPE, HERE, haversine_km


def load() -> tuple[nx.Graph, nx.Graph, list[dict]]:
    with open(EUROPE / "nodes.csv", encoding="utf-8") as fh:
        nodes = {r["id"]: (float(r["lon"]), float(r["lat"])) for r in csv.DictReader(fh)}
    with open(HERE / "circuity_factors.csv", encoding="utf-8") as fh:
        factors = {r["terrain"]: float(r["factor"]) for r in csv.DictReader(fh)}
    g, g_circ = nx.Graph(), nx.Graph()
    with open(EUROPE / "edges.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            length = float(r["length_km"])
            known = length if r["length_source"] == "known" else 0.0
            if r["mode"] != "road":  # reference figures are road distances: no ferry/shuttle
                continue
            g.add_edge(r["u"], r["v"], length=length, known=known)
            gc = haversine_km(*nodes[r["u"]], *nodes[r["v"]])
            g_circ.add_edge(r["u"], r["v"], length=gc * factors[r["terrain"]])
    with open(EUROPE / "distance_checks.csv", encoding="utf-8") as fh:
        checks = list(csv.DictReader(fh))
    return g, g_circ, checks


def main() -> int:
    g, g_circ, checks = load()
    print(
        "| from | to | reference km | network km | error % | known share % | "
        "circuity-only km | circuity-only error % |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    errs, errs_c = [], []
    for c in checks:
        ref = float(c["reference_km"])
        path = nx.shortest_path(g, c["from"], c["to"], weight="length")
        edges = [g.edges[u, v] for u, v in zip(path, path[1:], strict=False)]
        d = sum(e["length"] for e in edges)
        known = sum(e["known"] for e in edges)
        dc = nx.shortest_path_length(g_circ, c["from"], c["to"], weight="length")
        err, err_c = 100 * (d - ref) / ref, 100 * (dc - ref) / ref
        errs.append(err)
        errs_c.append(err_c)
        print(
            f"| {c['from']} | {c['to']} | {ref:.0f} | {d:.0f} | {err:+.1f} | "
            f"{100 * known / d:.0f} | {dc:.0f} | {err_c:+.1f} |"
        )
    print()
    for label, e in (("shipped lengths", errs), ("circuity-only", errs_c)):
        a = [abs(x) for x in e]
        print(
            f"{label}: n={len(e)}, mean |error| {statistics.fmean(a):.1f} %, "
            f"max |error| {max(a):.1f} %, mean signed {statistics.fmean(e):+.1f} %, "
            f"RMS {math.sqrt(statistics.fmean([x * x for x in e])):.1f} %"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
