"""Helpers shared by the benchmark scripts (not part of the package)."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.arrays import offsets
from planner.candidates import build_candidates
from planner.context import RunContext
from planner.demand import route_flows
from planner.features import enabled_features
from planner.features.coverage.model import ModelSpec, build_model
from planner.instance import build_instance
from planner.network import Network
from planner.ranges import Ranges
from planner.scenario import CandidatesConfig, NetworkConfig, Scenario, SolverConfig, load_scenario
from planner.solve import solve_problem
from planner.stages import load_inputs, make_instance


@dataclass
class Row:
    """One benchmark measurement."""

    label: str
    solver: str
    candidates: int
    flows: int
    rows: int
    columns: int
    nonzeros: int
    binaries: int
    build_s: float
    solve_s: float
    status: str
    gap: float | None
    objective: float | None


def solve_instance(
    network: Network,
    flows: pd.DataFrame,
    ranges: Ranges,
    spec: ModelSpec,
    *,
    spacing_km: float | None,
    solver: str,
    time_limit_s: float,
    mip_gap: float,
    label: str,
    round_trip: bool = False,
    threads: int | None = None,
) -> Row:
    """Build and solve one instance, timing build (candidates → model) and solve separately."""
    t0 = time.perf_counter()
    sites = build_candidates(network, CandidatesConfig(spacing_km=spacing_km), NetworkConfig(nodes="n", edges="e"))
    routed = route_flows(flows, network, round_trip=round_trip)
    instance = build_instance(network, sites, routed, ranges, site_cost=np.full(len(sites), 1.0))
    model = build_model(instance, spec)
    build_s = time.perf_counter() - t0
    size = model.size()
    res = solve_problem(
        model.problem,
        SolverConfig(name=solver, time_limit_s=time_limit_s, mip_gap=mip_gap, fallback=False, threads=threads),
    )
    return Row(
        label,
        solver,
        len(sites),
        len(flows),
        size["rows"],
        size["columns"],
        size["nonzeros"],
        size["binaries"],
        build_s,
        res.seconds,
        res.status,
        res.mip_gap,
        res.objective,
    )


def print_header() -> None:
    """Markdown table header for :func:`print_row`."""
    print(
        "| instance | solver | candidates | flows | rows | columns | nonzeros | binaries | build s | solve s "
        "| status | gap |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|", flush=True)


def print_row(r: Row) -> None:
    """One markdown table row."""
    gap = "n/a" if r.gap is None else f"{r.gap:.2%}"
    print(
        f"| {r.label} | {r.solver} | {r.candidates:,} | {r.flows:,} | {r.rows:,} | {r.columns:,} | "
        f"{r.nonzeros:,} | {r.binaries:,} | {r.build_s:.1f} | {r.solve_s:.1f} | {r.status} | {gap} |",
        flush=True,
    )


def scenario_instance(scenario: str | Path, max_flows: str) -> tuple[Scenario, object]:
    """A scenario with ``demand.max_flows`` replaced (``all``: every flow) and its plain-array instance."""
    with tempfile.TemporaryDirectory() as tmp:
        flows = 'max_flows = "all"' if max_flows == "all" else f"max_flows = {int(max_flows)}"
        path = Path(tmp) / "case.toml"
        path.write_text(f'extends = "{Path(scenario).resolve()}"\nname = "benchmark"\n[demand]\n{flows}\n')
        sc = load_scenario(path)
    ctx = RunContext(sc, lambda _m: None, features=enabled_features(sc))
    load_inputs(ctx)
    make_instance(ctx)
    return sc, ctx.instance


def plan_hubs(folder: str | Path, site_ids: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """A run folder's ``hubs.csv`` and each hub's instance site index (``site_ids``: the instance's)."""
    hubs = pd.read_csv(Path(folder) / "hubs.csv", dtype={"site_id": str})
    where = {s: i for i, s in enumerate(site_ids)}
    return np.array([where[s] for s in hubs["site_id"]], dtype=np.int64), hubs


class Csr:
    """A row-wise sparse matrix (what HiGHS takes), from (row, column, value) triples."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, shape: tuple[int, int]) -> None:
        self.indptr, self.indices, self.data, self.shape = indptr, indices, data, shape
        self.nnz = len(data)

    @classmethod
    def from_triples(cls, i: np.ndarray, j: np.ndarray, v: np.ndarray, n_rows: int, n_cols: int) -> Csr:
        order = np.lexsort((j, i))
        indptr = offsets(np.bincount(i, minlength=n_rows))
        return cls(indptr, j[order], v[order].astype(float), (n_rows, n_cols))


def max_lp(a: Csr, cost: np.ndarray, upper: np.ndarray, n_int: int):
    """``max cost·x`` s.t. ``a x ≤ upper``, ``0 ≤ x ≤ 1``, the first ``n_int`` columns integer (a
    ``highspy.HighsLp`` for ``passModel``)."""
    import highspy

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, np.zeros(a.shape[1]), np.ones(a.shape[1])
    lp.row_lower_, lp.row_upper_ = np.full(a.shape[0], -np.inf), upper
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_, lp.a_matrix_.index_ = a.indptr.astype(np.int32), a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    kinds = highspy.HighsVarType
    lp.integrality_ = [kinds.kInteger] * n_int + [kinds.kContinuous] * (a.shape[1] - n_int)
    return lp
