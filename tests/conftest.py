"""Shared fixtures: small networks and scenarios written to a temporary folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from planner.plan import FLOW_COLUMNS

ROOT = Path(__file__).resolve().parents[1]


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\") + '"'
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):  # inline table, e.g. [chargers] mcs = {power_kw = 1000.0}
        return "{" + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items() if x is not None) + "}"
    return repr(v)


def write_scenario(path: Path, data: dict[str, Any]) -> Path:
    """Write a (two-level) scenario dict as TOML."""
    lines = [f"{k} = {toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for k, v in data.items():
        if isinstance(v, dict):
            lines.append(f"\n[{k}]")
            lines += [f"{kk} = {toml_value(vv)}" for kk, vv in v.items() if vv is not None]
    path.write_text("\n".join(lines) + "\n")
    return path


def line_network(folder: Path, n: int = 5, step_km: float = 100.0) -> tuple[Path, Path]:
    """Nodes N0..N{n-1} on a west-east line, ``step_km`` apart (coordinates ~consistent)."""
    deg = step_km / 111.0 / 0.7  # longitude degrees at ~45.6° N for step_km (roads 10 % longer)
    nodes = [f"N{i},Node {i},{i * deg * 0.9:.6f},45.6" for i in range(n)]
    edges = [f"N{i},N{i + 1},{step_km}" for i in range(n - 1)]
    return (
        write_csv(folder / "nodes.csv", "id,name,lon,lat", nodes),
        write_csv(folder / "edges.csv", "u,v,length_km", edges),
    )


def base_scenario(folder: Path, *, flows: list[str], **sections: dict[str, Any]) -> dict[str, Any]:
    """A scenario dict on the line network in ``folder`` with vehicle range 150 km."""
    write_csv(folder / "flows.csv", "id,origin,destination,volume", flows)
    data: dict[str, Any] = {
        "name": "test",
        "network": {"nodes": "nodes.csv", "edges": "edges.csv"},
        "candidates": {"include_nodes": True},
        "demand": {"flows": "flows.csv"},
        # 0.75 × 200 kWh / 1.0 kWh/km = 150 km between hubs and from the origin.
        "vehicle": {
            "battery_kwh": 200.0,
            "consumption_kwh_per_km": 1.0,
            "soc_min": 0.05,
            "soc_max": 0.80,
            "soc_start": 0.80,
            "soc_arrival_min": 0.05,
        },
        "breaks": {"enabled": False},
        "costs": {"site_fixed_eur": 1000.0},
        "chargers": {"mcs": {"capex_eur": 0.0, "min_per_hub": 1}},
        "objective": {"type": "max_coverage", "max_hubs": 1},
        "solver": {"name": "highs", "mip_gap": 0.0, "time_limit_s": 60.0},
        "output": {"maps": False},
    }
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value}
    return data


def random_line_flows(seed: int, n_nodes: int, n_flows: int, max_volume: int) -> list[str]:
    """``n_flows`` distinct flows CSV rows between nodes at least three steps apart on a line of ``n_nodes``
    (with 50 km steps and a 150 km range every one needs a hub), volumes 1 to ``max_volume`` - 1."""
    import numpy as np

    rng = np.random.default_rng(seed)
    rows, seen = [], set()
    while len(rows) < n_flows:
        a, b = sorted(int(x) for x in rng.choice(n_nodes, size=2, replace=False))
        if b - a < 3 or (a, b) in seen:
            continue
        seen.add((a, b))
        rows.append(f"F{len(rows)},N{a},N{b},{int(rng.integers(1, max_volume))}")
    return rows


@pytest.fixture
def line5(tmp_path: Path) -> Path:
    line_network(tmp_path, 5)
    return tmp_path


def listing(folder: Path) -> dict[str, bytes | None]:
    """Every entry below ``folder``: a file's bytes, ``None`` for a folder (to show a folder is unchanged)."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def prepared(path: Path):
    """The run context of the scenario at ``path`` up to the model: inputs loaded, the plain-array
    instance made and every enabled feature prepared (its model part in ``ctx.parts``)."""
    from planner.context import RunContext
    from planner.features import enabled_features
    from planner.scenario import load_scenario
    from planner.stages import load_inputs, make_instance

    sc = load_scenario(path)
    ctx = RunContext(sc, lambda _m: None, features=enabled_features(sc))
    load_inputs(ctx)
    make_instance(ctx)
    for feature in ctx.features:
        feature.prepare(ctx)
    return ctx


def best_sites(instance, weight, hubs: int) -> float:
    """The most ``weight`` (per flow) that any ``hubs`` candidate sites serve, existing hubs open: every
    set of sites tried (small instances only)."""
    import itertools

    import numpy as np

    best = 0.0
    for sites in itertools.combinations(range(len(instance.site_cost)), hubs):
        is_open = np.asarray(instance.site_locked).copy()
        is_open[list(sites)] = True
        best = max(best, float(weight[instance.cover.served(is_open)].sum()))
    return best


def two_flows() -> pd.DataFrame:
    """Two flows as a plan holds them (:data:`planner.plan.FLOW_COLUMNS`, a list per flow for routes and
    stops): F1 served, charging at two sites, F2 unservable."""
    return pd.DataFrame(
        {
            "flow_id": ["F1", "F2"],
            "origin": ["A", "B"],
            "destination": ["C", "D"],
            "volume": [1.5, 2.0],
            "length_km": [400.0, 0.0],
            "drive_km": [400.0, 0.0],
            "served": [True, False],
            "status": ["served", "unservable"],
            "route_nodes": [["A", "B", "C"], ["B", "D"]],
            "stops": [["s1", "s2"], []],
            "stops_km": [[0.25, 288.75], []],
            "stops_share": [[1.0, 0.25], []],
        }
    )[FLOW_COLUMNS]


def first_goal_value(model, relaxed: bool = False) -> float:
    """Solve a built model's first goal (:meth:`goals`) with HiGHS to optimality, integrality relaxed when
    ``relaxed``; its optimal value."""
    import pulp

    first, _ = model.goals()
    model.problem.sense = first.sense
    model.problem.setObjective(first.expression)
    if relaxed:
        for v in model.problem.variables():
            v.cat = pulp.LpContinuous
    model.problem.solve(pulp.HiGHS(msg=False, gapRel=0.0))
    assert pulp.LpStatus[model.problem.status] == "Optimal"
    return float(pulp.value(model.problem.objective))
