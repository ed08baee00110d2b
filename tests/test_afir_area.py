"""AFIR is measured where it applies: EU TEN-T roads (EEA optionally), never Great Britain or
Switzerland, and never roads without a TEN-T tier — which are still planned for demand."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.api import solve_scenario
from planner.scenario import load_scenario
from tests.conftest import base_scenario, line_network, write_csv, write_scenario

# N0–N1 in Germany (core), N1–N2 German–Swiss border road (core), N2–N3 in Norway (core),
# N3–N4 in Germany but not TEN-T: 100 km each, both directions.
EDGES = [
    "N0,N1,100,core,DE",
    "N1,N2,100,core,DE;CH",
    "N2,N3,100,core,NO",
    "N3,N4,100,,DE",
]


def plan(folder: Path, **afir):
    line_network(folder, 5)
    write_csv(folder / "edges.csv", "u,v,length_km,tier,country", EDGES)
    data = base_scenario(
        folder,
        flows=["A,N0,N4,10"],
        afir={"mode": "report", **afir},
        objective={"type": "min_cost", "max_hubs": None},
        network={"nodes": "nodes.csv", "edges": "edges.csv", "tiers": ["core", "comprehensive", "non_ten_t"]},
    )
    return solve_scenario(load_scenario(write_scenario(folder / "s.toml", data)))


def test_only_eu_ten_t_roads_are_measured(tmp_path: Path) -> None:
    p = plan(tmp_path)
    afir = p.summary["afir"]
    assert afir["overall"]["total_km"] == pytest.approx(200.0)  # N0–N1 in both directions only
    roads = afir["measured_roads"]
    assert roads["counted_km"] == pytest.approx(100.0)
    assert roads["not_counted_km_outside_area"] == pytest.approx(200.0)  # DE;CH and NO edges
    assert roads["not_counted_km_not_ten_t"] == pytest.approx(100.0)
    assert roads["countries_outside_area"] == ["CH", "NO"]
    assert "EU-27" in roads["counted"]
    assert p.summary["covered_share"] == 1.0  # the whole route is planned for demand


def test_eea_option_adds_norway(tmp_path: Path) -> None:
    afir = plan(tmp_path, area="eu_eea").summary["afir"]
    assert afir["overall"]["total_km"] == pytest.approx(400.0)  # + N2–N3 (NO) both ways
    assert afir["measured_roads"]["countries_outside_area"] == ["CH"]


def test_european_default_counts_no_british_or_swiss_road() -> None:
    from planner.features.afir.report import measured_roads
    from planner.network import load_network

    sc = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "europe-2030.toml")
    roads = measured_roads(sc.afir, load_network(sc.network))
    assert {"GB", "CH"} <= set(roads["countries_outside_area"])
    assert roads["not_counted_km_outside_area"] > 5000 and roads["counted_km"] > 40_000
