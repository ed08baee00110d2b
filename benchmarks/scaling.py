"""Growing random corridor instances: model size, build and solve time, gap, HiGHS vs CBC.

Usage: ``python benchmarks/scaling.py [--sizes S,M,L,XL] [--solvers highs,cbc] [--time-limit 120]``

Each instance is a random planar corridor graph (Delaunay-like: nearest-neighbour links) of
``n`` nodes with 60–160 km edges, candidate points every ``spacing`` km, and ``f`` random OD
flows with gravity-like volumes; the vehicle has 350 km between hubs (600 kWh, 1.2 kWh/km,
10–80 %) and breaks every 360 km. Objective: max coverage with a hub budget of 5 % of the
candidates. Both solvers run the same model in the same process, one after the other.
"""

from __future__ import annotations

import argparse

import networkx as nx
import numpy as np
import pandas as pd
from _common import print_header, print_row, solve_instance  # noqa: I001

from planner.features.coverage.model import ModelSpec
from planner.network import great_circle_km, network_from_frames
from planner.ranges import Ranges


def random_corridors(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes spread over a Europe-sized box linked to their 3 nearest neighbours."""
    rng = np.random.default_rng(seed)
    side_deg = np.sqrt(n) * 1.0  # ~1 degree per node spacing → ~80–110 km edges
    lon = 0 + rng.uniform(0, side_deg * 1.4, n)
    lat = 42 + rng.uniform(0, side_deg, n)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for i in range(n):
        d = great_circle_km(np.full(n, lon[i]), np.full(n, lat[i]), lon, lat)
        for j in np.argsort(d)[1:4]:
            g.add_edge(i, int(j))
    comps = sorted(nx.connected_components(g), key=len, reverse=True)
    for c in comps[1:]:  # link stray components to the main one
        a = min(c)
        d = great_circle_km(np.full(n, lon[a]), np.full(n, lat[a]), lon, lat)
        d[list(c)] = np.inf
        g.add_edge(a, int(np.argmin(d)))
    nodes = pd.DataFrame(
        {
            "id": [f"N{i}" for i in range(n)],
            "name": [f"n{i}" for i in range(n)],
            "lon": [f"{x:.5f}" for x in lon],
            "lat": [f"{y:.5f}" for y in lat],
        }
    )
    us, vs, ls = [], [], []
    for a, b in sorted(g.edges):
        us.append(f"N{a}")
        vs.append(f"N{b}")
        ls.append(f"{float(great_circle_km(lon[a], lat[a], lon[b], lat[b])) * 1.2 + 1:.1f}")
    return nodes, pd.DataFrame({"u": us, "v": vs, "length_km": ls})


def random_flows(n: int, f: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 1)
    pairs = set()
    while len(pairs) < f:
        a, b = rng.integers(0, n, 2)
        if a != b:
            pairs.add((int(a), int(b)))
    pairs = sorted(pairs)
    return pd.DataFrame(
        {
            "flow_id": [f"F{i}" for i in range(f)],
            "origin": [f"N{a}" for a, _ in pairs],
            "destination": [f"N{b}" for _, b in pairs],
            "volume": rng.lognormal(3, 1, f).round(2),
        }
    )


SIZES = {  # label: (nodes, spacing km, flows)
    "S": (30, 50.0, 1_000),
    "M": (80, 40.0, 5_000),
    "L": (150, 30.0, 10_000),
    "XL": (250, 25.0, 20_000),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="S,M,L,XL")
    ap.add_argument("--solvers", default="highs,cbc")
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--mip-gap", type=float, default=0.001)
    args = ap.parse_args()
    ranges = Ranges(start_km=400, between_km=350, last_km=350, direct_km=400, break_km=360)
    print_header()
    for label in args.sizes.split(","):
        n, spacing, f = SIZES[label]
        nodes, edges = random_corridors(n, seed=n)
        net = network_from_frames(nodes, edges, source=f"random-{label}")
        flows = random_flows(n, min(f, n * (n - 1)), seed=n)
        n_sites_est = n + int(edges["length_km"].astype(float).sum() / spacing)
        spec = ModelSpec("max_coverage", max_hubs=max(1, int(0.05 * n_sites_est)))
        for solver in args.solvers.split(","):
            print_row(
                solve_instance(
                    net,
                    flows,
                    ranges,
                    spec,
                    spacing_km=spacing,
                    solver=solver,
                    time_limit_s=args.time_limit,
                    mip_gap=args.mip_gap,
                    label=label,
                )
            )


if __name__ == "__main__":
    main()
