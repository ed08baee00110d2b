"""Classic flow-refuelling networks (25NODE, TEXAS, CA339): served share at the optimum.

Usage: ``python benchmarks/frlm_classic.py [FOLDER] [--ranges 8,12] [--p 1,2,3,4,5]``

FOLDER holds one sub-folder per network with NODES.txt/ARCS.txt (default:
``../shared/benchmarks/frlm-networks`` beside the repository). Flows: every unordered node
pair, volume ``w_i w_j / d^1.5``, as round trips with the classic rule (half a tank out and back,
or a full tank out and any fuel back with a station at the origin; see planner.frlm).
Prints, per network, range and number of stations p: served share of flow volume, model
size and solve time (HiGHS, gap 0).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from planner.candidates import build_candidates
from planner.demand import route_flows
from planner.features.coverage.model import ModelSpec, build_model
from planner.frlm import frlm_flows, frlm_vehicle, read_frlm_network
from planner.instance import build_instance
from planner.ranges import vehicle_ranges
from planner.scenario import CandidatesConfig, NetworkConfig, SolverConfig
from planner.solve import solve_problem


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "folder",
        nargs="?",
        default=str(Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "frlm-networks"),
    )
    ap.add_argument("--networks", default="25NODE,TEXAS,CA339")
    ap.add_argument("--ranges", default="")
    ap.add_argument("--p", default="1,2,3,4,5,10")
    args = ap.parse_args()
    print("| network | range | p | flows | served share | rows | columns | build s | solve s | status |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|", flush=True)
    for name in args.networks.split(","):
        t0 = time.perf_counter()
        net, weights = read_frlm_network(Path(args.folder) / name)
        flows = route_flows(frlm_flows(net, weights), net, round_trip=True)
        sites = build_candidates(net, CandidatesConfig(), NetworkConfig(nodes="n", edges="e"))
        load_s = time.perf_counter() - t0
        lengths = net.edges["length_km"]
        ranges = (
            [float(r) for r in args.ranges.split(",")]
            if args.ranges
            else [round(float(lengths.max()) * k, 1) for k in (1.0, 1.5, 2.0)]
        )
        for rng in ranges:
            vehicle, breaks = frlm_vehicle(rng)
            t1 = time.perf_counter()
            inst = build_instance(
                net, sites, flows, vehicle_ranges(vehicle, breaks), site_cost=np.ones(len(sites)), refuel_at_origin=True
            )
            inst_s = time.perf_counter() - t1
            for p in (int(x) for x in args.p.split(",")):
                t2 = time.perf_counter()
                model = build_model(inst, ModelSpec("max_coverage", max_hubs=p))
                size = model.size()
                build_s = load_s + inst_s + time.perf_counter() - t2
                res = solve_problem(model.problem, SolverConfig(mip_gap=0.0, time_limit_s=600))
                served = float(inst.volume[_served(model, inst)].sum() / inst.volume.sum())
                print(
                    f"| {name} | {rng:g} | {p} | {len(flows):,} | {served:.4f} | {size['rows']:,} | "
                    f"{size['columns']:,} | {build_s:.1f} | {res.seconds:.1f} | {res.status} |",
                    flush=True,
                )


def _served(model, inst) -> np.ndarray:
    served = model.free.copy()
    for g, y in model.variables.served.items():
        if (y.value() or 0) > 0.5:
            served[model.variables.groups[g]] = True
    return served


if __name__ == "__main__":
    main()
