"""Tests of the OpenStreetMap network builder (planner.osm) on hand-written fixtures.

All offline: the online (osmnx/Overpass) path is exercised through osmnx's offline XML
readers, which produce the same data structures as a download.
"""

from __future__ import annotations

import bz2
import gzip
import json
import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Geod

from planner.osm import BuildReport, OSMBuildError, build_network
from planner.osm.tags import (
    classify_poi,
    parse_points,
    parse_power_kw,
    parse_speed_kmh,
    way_direction,
)

FIXTURES = Path(__file__).parent / "fixtures" / "osm"
DUAL = FIXTURES / "dual_carriageway.osm"
CLOVER = FIXTURES / "cloverleaf.osm"
FERRY = FIXTURES / "ferry.osm"
LAYERS = ("nodes", "edges", "sites")
GEOD = Geod(ellps="WGS84")


def read_layers(path: Path) -> dict[str, gpd.GeoDataFrame]:
    return {layer: gpd.read_file(path, layer=layer) for layer in LAYERS}


def assert_same_layers(a: Path, b: Path) -> None:
    la, lb = read_layers(a), read_layers(b)
    for layer in LAYERS:
        pd.testing.assert_frame_equal(la[layer], lb[layer], check_exact=True)


def way_lengths_m(fixture: Path) -> dict[int, float]:
    """Independent geodesic length of every way of a fixture (sum over its segments)."""
    root = ET.parse(fixture).getroot()
    coords = {int(n.get("id")): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}
    lengths = {}
    for way in root.iter("way"):
        refs = [int(nd.get("ref")) for nd in way.iter("nd")]
        total = 0.0
        for a, b in zip(refs, refs[1:], strict=False):
            total += GEOD.inv(*coords[a], *coords[b])[2]
        lengths[int(way.get("id"))] = total
    return lengths


def edge(edges: gpd.GeoDataFrame, u: str, v: str) -> pd.Series:
    rows = edges[(edges["u"] == u) & (edges["v"] == v)]
    assert len(rows) == 1, f"expected one edge {u}->{v}, found {len(rows)}"
    return rows.iloc[0]


@pytest.fixture(scope="module")
def dual(tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildReport, dict]:
    out = tmp_path_factory.mktemp("dual") / "net.gpkg"
    report = build_network(DUAL, out)
    return report, read_layers(out)


@pytest.fixture(scope="module")
def clover(tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildReport, dict]:
    out = tmp_path_factory.mktemp("clover") / "net.gpkg"
    report = build_network(CLOVER, out)
    return report, read_layers(out)


# --- dual carriageway, direction, sites -------------------------------------------------


def test_dual_carriageway_keeps_direction(dual: tuple[BuildReport, dict]) -> None:
    _, layers = dual
    nodes, edges = layers["nodes"], layers["edges"]
    assert list(nodes["id"]) == ["n1", "n2", "n3", "n4"]
    assert nodes.crs.to_epsg() == 4326 and edges.crs.to_epsg() == 4326
    east, west = edge(edges, "n2", "n3"), edge(edges, "n3", "n2")
    assert east["oneway"] and west["oneway"]
    assert east["osm_way_ids"] == "100;101" and west["osm_way_ids"] == "102;103"
    # eastbound geometry runs west -> east on the southern carriageway
    xs = [x for x, _ in east.geometry.coords]
    assert xs == sorted(xs)
    assert max(y for _, y in east.geometry.coords[1:-1]) < 50.0
    # two-way trunk roads are a single edge each
    for u, v in (("n1", "n2"), ("n3", "n4")):
        trunk = edge(edges, u, v)
        assert not trunk["oneway"] and trunk["road"] == "B 5" and trunk["highway"] == "trunk"
    assert len(edges) == 4
    assert nodes.set_index("id").loc["n2", "name"] == "Dreieck West"
    assert nodes.set_index("id").loc["n1", "kind"] == "dead_end"


def test_edge_geometry_matches_nodes(dual: tuple[BuildReport, dict]) -> None:
    _, layers = dual
    xy = layers["nodes"].set_index("id")[["lon", "lat"]]
    for _, row in layers["edges"].iterrows():
        coords = list(row.geometry.coords)
        assert coords[0] == tuple(xy.loc[row["u"]])
        assert coords[-1] == tuple(xy.loc[row["v"]])


def test_services_snap_to_their_own_carriageway(dual: tuple[BuildReport, dict]) -> None:
    _, layers = dual
    sites = layers["sites"].set_index("site_id")
    south, north = sites.loc["osm-n200"], sites.loc["osm-w210"]
    assert south["kind"] == "services" and south["name"] == "Raststaette Sued"
    assert (south["u"], south["v"]) == ("n2", "n3")  # right-hand side of the eastbound
    assert (north["u"], north["v"]) == ("n3", "n2")  # right-hand side of the westbound
    # services at lon 10.05: ~3.59 km from either end
    assert south["offset_km"] == pytest.approx(3.5856, abs=0.01)
    assert north["offset_km"] == pytest.approx(3.5856, abs=0.01)
    assert south["snap_m"] < 60 and north["snap_m"] < 60
    truck_stop = sites.loc["osm-n231"]
    assert truck_stop["kind"] == "truck_stop" and (truck_stop["u"], truck_stop["v"]) == ("n1", "n2")
    lengths = layers["edges"].set_index(["u", "v"])["length_km"]
    for _, site in sites.iterrows():
        assert 0 <= site["offset_km"] <= lengths.loc[(site["u"], site["v"])]


def test_drive_side_left_swaps_carriageways(tmp_path: Path) -> None:
    out = tmp_path / "left.gpkg"
    report = build_network(DUAL, out, drive_side="left")
    sites = gpd.read_file(out, layer="sites").set_index("site_id")
    assert (sites.loc["osm-n200", "u"], sites.loc["osm-n200", "v"]) == ("n3", "n2")
    assert (sites.loc["osm-w210", "u"], sites.loc["osm-w210", "v"]) == ("n2", "n3")
    assert report.parameters["drive_side"] == "left"


def test_site_in_the_median_falls_back_to_nearest_carriageway() -> None:
    from planner.osm.read import OSMFeature
    from planner.osm.sites import snap_sites

    east = {
        "u": "a",
        "v": "b",
        "oneway": True,
        "mode": "road",
        "length_km": 7.0,
        "coords": [(10.0, 49.999865), (10.1, 49.999865)],
    }
    west = {
        "u": "b",
        "v": "a",
        "oneway": True,
        "mode": "road",
        "length_km": 7.0,
        "coords": [(10.1, 50.000135), (10.0, 50.000135)],
    }
    median = OSMFeature("n", 1, {"highway": "services"}, 10.05, 49.99999)  # nearer eastbound
    south = OSMFeature("n", 2, {"highway": "rest_area"}, 10.05, 49.9996)
    result = snap_sites([median, south], [east, west], drive_side="right", snap_radius_m=500)
    by_id = {s["site_id"]: s for s in result.sites}
    assert result.side_fallback == ["osm-n1"]
    assert (by_id["osm-n1"]["u"], by_id["osm-n1"]["v"]) == ("a", "b")
    assert (by_id["osm-n2"]["u"], by_id["osm-n2"]["v"]) == ("a", "b")
    assert by_id["osm-n2"]["kind"] == "rest_area"


def test_existing_hgv_charger_is_locked_with_power(dual: tuple[BuildReport, dict]) -> None:
    report, layers = dual
    sites = layers["sites"].set_index("site_id")
    charger = sites.loc["osm-n220"]
    assert charger["kind"] == "existing_charger" and bool(charger["locked"])
    assert charger["existing_power_kw"] == 1000.0 and charger["existing_points"] == 6
    assert (charger["u"], charger["v"]) == ("n2", "n3")
    assert not sites.drop(index="osm-n220")["locked"].any()
    assert "osm-n221" not in sites.index  # car charger
    assert "osm-n222" not in sites.index  # private depot
    assert "osm-n230" not in sites.index  # 2 km away
    assert report.dropped["site_beyond_snap_radius"] == 1
    assert report.dropped_site_ids == ["osm-n230"]
    assert report.dropped["site_not_public"] == 1
    assert sorted(sites.index) == ["osm-n200", "osm-n220", "osm-n231", "osm-w210"]


def test_non_road_ways_are_dropped_and_reported(dual: tuple[BuildReport, dict]) -> None:
    report, layers = dual
    assert report.ways_read == 16
    assert report.dropped["non_highway_way"] == 2  # railway, building
    assert report.dropped["highway_not_selected"] == 4  # footway, residential, service, area
    assert report.dropped["hgv_forbidden"] == 1
    assert report.dropped["dangling_link_spur"] == 2  # slip roads into the services
    assert report.dropped["disconnected_fragment"] == 1
    assert report.ways_kept == 6
    used = {int(w) for ids in layers["edges"]["osm_way_ids"] for w in ids.split(";")}
    assert used == {100, 101, 102, 103, 104, 105}
    assert (report.node_count, report.edge_count, report.site_count) == (4, 4, 4)
    assert report.total_km == pytest.approx(layers["edges"]["length_km"].sum())
    text = str(report)
    assert "non_highway_way: 2" in text and "4 nodes, 4 edges" in text


def test_maxspeed_hgv_and_refs_carried_through(dual: tuple[BuildReport, dict]) -> None:
    _, layers = dual
    edges, lengths = layers["edges"], way_lengths_m(DUAL)
    east, west = edge(edges, "n2", "n3"), edge(edges, "n3", "n2")
    assert east["maxspeed_hgv_kmh"] == 80.0
    assert west["maxspeed_hgv_kmh"] == 60.0  # only way 102 is tagged
    harmonic = (lengths[100] + lengths[101]) / (lengths[100] / 130 + lengths[101] / 120)
    assert east["maxspeed_kmh"] == round(harmonic, 1)
    assert (east["road"], east["int_ref"], east["toll"]) == ("A 1", "E 37", "yes")
    assert math.isnan(edge(edges, "n3", "n4")["maxspeed_kmh"])


def test_contraction_preserves_way_lengths(dual: tuple[BuildReport, dict]) -> None:
    _, layers = dual
    edges, lengths = layers["edges"], way_lengths_m(DUAL)
    east, west = edge(edges, "n2", "n3"), edge(edges, "n3", "n2")
    assert east["length_km"] == pytest.approx((lengths[100] + lengths[101]) / 1000, abs=1e-6)
    assert west["length_km"] == pytest.approx((lengths[102] + lengths[103]) / 1000, abs=1e-6)
    assert edge(edges, "n1", "n2")["length_km"] == pytest.approx(lengths[105] / 1000, abs=1e-6)
    assert (edges["connector_km"] == 0).all()
    # not the straight line: the carriageway leaves the junction 15 m off the axis
    assert east["length_km"] > GEOD.inv(10.0, 50.0, 10.1, 50.0)[2] / 1000


# --- cloverleaf interchange --------------------------------------------------------------


def test_cloverleaf_becomes_one_junction(clover: tuple[BuildReport, dict]) -> None:
    report, layers = clover
    nodes = layers["nodes"].set_index("id")
    junctions = nodes[nodes["kind"] == "junction"]
    assert sorted(junctions["name"]) == ["Kreuz Teststadt", "Teststadt-Ost"]
    kreuz = junctions[junctions["name"] == "Kreuz Teststadt"].iloc[0]
    assert kreuz.name == "n100"  # smallest OSM node id of the cluster
    assert kreuz["osm_node_ids"] == ";".join(str(i) for i in range(100, 116))
    dist = GEOD.inv(11.0, 48.0, kreuz["lon"], kreuz["lat"])[2]
    assert dist < 30
    diamond = junctions[junctions["name"] == "Teststadt-Ost"].iloc[0]
    assert diamond.name == "n116" and diamond["osm_node_ids"] == "116;117;118;119;120;121"
    # 2 junctions + 10 dead ends at the extract border: the opposite carriageways'
    # dead ends (30 m apart) are not merged
    assert len(nodes) == 12 and {"n1000", "n2011", "n3000", "n4011"} <= set(nodes.index)
    assert report.ways_absorbed == 13  # the 12 ramps + the through carriageway way 2


def test_cloverleaf_keeps_carriageways_separate(clover: tuple[BuildReport, dict]) -> None:
    _, layers = clover
    edges = layers["edges"]
    east, west = edge(edges, "n100", "n116"), edge(edges, "n116", "n100")
    assert east["oneway"] and west["oneway"]
    assert east["osm_way_ids"] == "3" and west["osm_way_ids"] == "6"
    assert len(edges) == 12 and edges["oneway"].sum() == 10
    # junction to junction ~ 1 km (centres 1000 m apart)
    assert east["length_km"] == pytest.approx(1.0, abs=0.02)
    # length = OSM pieces + connectors to the junction centroid
    lengths = way_lengths_m(CLOVER)
    approach = edge(edges, "n1000", "n100")
    assert approach["length_km"] - approach["connector_km"] == pytest.approx(lengths[1] / 1000, abs=1e-6)
    assert approach["length_km"] == pytest.approx(2.0, abs=0.01)


def test_consolidation_tolerance_zero_disables_merging(tmp_path: Path) -> None:
    out = tmp_path / "raw.gpkg"
    report = build_network(CLOVER, out, consolidate_tolerance_m=0)
    layers = read_layers(out)
    assert report.node_count > 12
    assert (layers["edges"]["connector_km"] == 0).all()


# --- ferries ---------------------------------------------------------------------------------


def test_ferry_connecting_roads_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "ferry.gpkg"
    report = build_network(FERRY, out)
    edges = read_layers(out)["edges"]
    ferry = edge(edges, "n2", "n3")
    assert ferry["mode"] == "ferry" and not ferry["oneway"] and ferry["osm_way_ids"] == "50"
    assert ferry["length_km"] == pytest.approx(way_lengths_m(FERRY)[50] / 1000, abs=1e-6)
    assert set(edges["mode"]) == {"road", "ferry"}
    assert report.ferries_kept == 1
    assert report.dropped["ferry_not_connected"] == 1
    assert report.dropped["hgv_forbidden"] == 1  # foot-only ferry
    site = read_layers(out)["sites"].set_index("site_id").loc["osm-n90"]
    assert (site["u"], site["v"]) == ("n1", "n2")  # the road, not the nearer ferry line
    assert site["snap_m"] == pytest.approx(187, abs=5)


def test_without_ferries_islands_are_fragments(tmp_path: Path) -> None:
    out = tmp_path / "noferry.gpkg"
    report = build_network(FERRY, out, include_ferries=False)
    assert report.edge_count == 1 and report.dropped["disconnected_fragment"] == 1
    assert report.fragments_dropped == 1 and report.fragment_km == [pytest.approx(3.28, abs=0.01)]
    assert "components dropped: 1 (3.3 km" in str(report) and "--join-via" in str(report)
    # keeping the island as a second component would give a network the loader refuses
    with pytest.raises(OSMBuildError, match="min_fragment_km only applies with join_via"):
        build_network(FERRY, out, include_ferries=False, min_fragment_km=1.0)


# --- inputs, determinism, cache, progress --------------------------------------------------


@pytest.mark.parametrize("suffix", [".osm.gz", ".osm.bz2"])
def test_compressed_input_matches_plain(tmp_path: Path, suffix: str) -> None:
    compressed = tmp_path / f"dual{suffix}"
    opener = gzip.open if suffix.endswith("gz") else bz2.open
    with opener(compressed, "wb") as fh:
        fh.write(DUAL.read_bytes())
    build_network(DUAL, tmp_path / "plain.gpkg")
    report = build_network(compressed, tmp_path / "compressed.gpkg")
    assert report.input_format == suffix.lstrip(".")
    assert_same_layers(tmp_path / "plain.gpkg", tmp_path / "compressed.gpkg")


def test_pbf_input_matches_xml(tmp_path: Path) -> None:
    osmium = pytest.importorskip("osmium")
    for fixture in (DUAL, CLOVER):
        pbf = tmp_path / f"{fixture.stem}.osm.pbf"
        writer = osmium.SimpleWriter(str(pbf), overwrite=True)
        for obj in osmium.FileProcessor(str(fixture)):
            writer.add(obj)
        writer.close()
        xml_report = build_network(fixture, tmp_path / "xml.gpkg")
        pbf_report = build_network(pbf, tmp_path / "pbf.gpkg")
        assert pbf_report.input_format == "pbf"
        assert pbf_report.dropped == xml_report.dropped
        assert_same_layers(tmp_path / "xml.gpkg", tmp_path / "pbf.gpkg")


_SUBPROCESS_BUILD = """
import sys
from pathlib import Path
from planner.osm import build_network
for source, out in zip(sys.argv[1::2], sys.argv[2::2]):
    build_network(Path(source), Path(out))
"""


def test_build_is_deterministic(tmp_path: Path) -> None:
    fixtures = (DUAL, CLOVER)
    for fixture in fixtures:
        build_network(fixture, tmp_path / f"{fixture.stem}-1.gpkg")
        build_network(fixture, tmp_path / f"{fixture.stem}-2.gpkg")
        assert_same_layers(tmp_path / f"{fixture.stem}-1.gpkg", tmp_path / f"{fixture.stem}-2.gpkg")
    # a fresh interpreter with another hash seed gives the same layers
    args = [str(a) for f in fixtures for a in (f, tmp_path / f"{f.stem}-3.gpkg")]
    subprocess.run(
        [sys.executable, "-c", _SUBPROCESS_BUILD, *args],
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        cwd=Path(__file__).parent.parent,
    )
    for fixture in fixtures:
        assert_same_layers(tmp_path / f"{fixture.stem}-1.gpkg", tmp_path / f"{fixture.stem}-3.gpkg")


def test_cache_hit_copies_cached_network(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = build_network(CLOVER, tmp_path / "a.gpkg", cache_dir=cache)
    second = build_network(CLOVER, tmp_path / "b.gpkg", cache_dir=cache)
    assert not first.cache_hit and second.cache_hit
    assert second.cache_key == first.cache_key
    assert second.seconds < first.seconds
    assert second.edge_count == first.edge_count and second.out_path == str(tmp_path / "b.gpkg")
    assert_same_layers(tmp_path / "a.gpkg", tmp_path / "b.gpkg")
    assert len(list(cache.glob("*.gpkg"))) == 1
    json.loads(next(cache.glob("*.json")).read_text())
    # other parameters, other key
    third = build_network(CLOVER, tmp_path / "c.gpkg", cache_dir=cache, snap_radius_m=300)
    assert not third.cache_hit and third.cache_key != first.cache_key


def test_progress_is_reported_monotonically(tmp_path: Path) -> None:
    calls: list[tuple[str, float]] = []
    build_network(DUAL, tmp_path / "p.gpkg", progress=lambda s, f: calls.append((s, f)))
    fractions = [f for _, f in calls]
    assert fractions == sorted(fractions)
    assert calls[-1] == ("done", 1.0)
    stages = {s for s, _ in calls}
    assert {"hash", "read ways", "simplify", "consolidate", "sites", "write"} <= stages


def test_online_conversion_offline_matches_file_build(tmp_path: Path) -> None:
    """The osmnx (download) path, fed by osmnx's offline XML readers."""
    import osmnx as ox

    from planner.osm import build as build_module
    from planner.osm.online import POI_QUERY_TAGS, extract_from_osmnx, osmnx_settings
    from planner.osm.tags import WayFilter

    saved = (ox.settings.all_oneway, list(ox.settings.useful_tags_way))
    with osmnx_settings():
        graph = ox.graph_from_xml(DUAL, simplify=False, retain_all=True)
        features = ox.features_from_xml(DUAL, tags=POI_QUERY_TAGS)
    assert (ox.settings.all_oneway, list(ox.settings.useful_tags_way)) == saved
    extract = extract_from_osmnx(graph, features, way_filter=WayFilter())
    file_report = build_network(DUAL, tmp_path / "file.gpkg")
    report = BuildReport(source="osmnx", out_path="", parameters=file_report.parameters)
    build_module.build_from_extract(extract, report, tmp_path / "online.gpkg", build_module.StageProgress(None))
    assert_same_layers(tmp_path / "file.gpkg", tmp_path / "online.gpkg")


# --- errors and tag parsing ---------------------------------------------------------------------


def test_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(OSMBuildError, match="not found"):
        build_network(tmp_path / "missing.osm", tmp_path / "x.gpkg")
    with pytest.raises(OSMBuildError, match="not found"):
        build_network(str(tmp_path / "missing.osm.pbf"), tmp_path / "x.gpkg")
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm><node id='1' lat='1' lon='1'></osm>")
    with pytest.raises(OSMBuildError, match="malformed OSM XML"):
        build_network(bad, tmp_path / "x.gpkg")
    not_osm = tmp_path / "data.osm"
    not_osm.write_text("id,lon,lat\n")
    with pytest.raises(OSMBuildError, match="neither OSM XML"):
        build_network(not_osm, tmp_path / "x.gpkg")
    with pytest.raises(OSMBuildError, match="no way with highway"):
        build_network(DUAL, tmp_path / "x.gpkg", highway=("primary",))
    with pytest.raises(OSMBuildError, match="drive_side"):
        build_network(DUAL, tmp_path / "x.gpkg", drive_side="centre")  # type: ignore[arg-type]
    with pytest.raises(OSMBuildError, match="highway: give at least one highway=\\* value"):
        build_network(DUAL, tmp_path / "x.gpkg", highway="motorway")  # type: ignore[arg-type]
    with pytest.raises(OSMBuildError, match="consolidate_tolerance_m"):
        build_network(DUAL, tmp_path / "x.gpkg", consolidate_tolerance_m=-1)
    with pytest.raises(OSMBuildError, match="bbox"):
        build_network("bbox:1,2,3", tmp_path / "x.gpkg")
    assert issubclass(OSMBuildError, ValueError)


def test_pbf_without_pyosmium_explains_conversion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pbf = tmp_path / "x.osm.pbf"
    pbf.write_bytes(b"\x00\x00\x00\x0d\x0a\x09OSMHeader\x18")
    monkeypatch.setitem(sys.modules, "osmium", None)  # makes `import osmium` fail
    with pytest.raises(OSMBuildError, match="osmium cat in.osm.pbf -o out.osm"):
        build_network(pbf, tmp_path / "x.gpkg")


def test_tag_parsing() -> None:
    assert parse_speed_kmh("130") == 130
    assert parse_speed_kmh("70 mph") == pytest.approx(112.654, abs=1e-3)
    assert parse_speed_kmh("100;80") == 80
    assert parse_speed_kmh("none") is None and parse_speed_kmh("DE:motorway") is None
    assert parse_power_kw("350 kW") == 350 and parse_power_kw("1 MW") == 1000
    assert parse_power_kw("22") == 22 and parse_power_kw("50000 W") == 50
    assert parse_points({"socket:type2_combo": "4", "socket:type2_combo:output": "300 kW"}) == (
        300.0,
        4,
    )
    assert way_direction({"highway": "motorway"}) == 1
    assert way_direction({"highway": "motorway", "oneway": "no"}) == 0
    assert way_direction({"highway": "motorway_link"}) == 0
    assert way_direction({"highway": "trunk", "oneway": "-1"}) == -1
    assert way_direction({"highway": "trunk", "junction": "roundabout"}) == 1
    assert classify_poi({"amenity": "charging_station", "socket:mcs": "1"}) == "existing_charger"
    assert classify_poi({"amenity": "fuel"}) is None
    assert classify_poi({"amenity": "fuel", "hgv": "yes"}) == "truck_stop"
    assert classify_poi({"highway": "rest_area"}) == "rest_area"


# --- left-hand traffic, parallel edges -------------------------------------------------------


LEFT = FIXTURES / "left_hand_gb.osm"


def test_left_hand_traffic_detected_in_great_britain(tmp_path: Path) -> None:
    report = build_network(LEFT, tmp_path / "gb.gpkg")
    assert report.drive_side == "left" and report.parameters["drive_side"] == "auto"
    assert "left-hand traffic" in str(report)
    sites = gpd.read_file(tmp_path / "gb.gpkg", layer="sites").set_index("site_id")
    # services north of the road serve the eastbound (northern) carriageway n21 -> n22
    assert (sites.loc["osm-n10", "u"], sites.loc["osm-n10", "v"]) == ("n21", "n22")
    assert (sites.loc["osm-n11", "u"], sites.loc["osm-n11", "v"]) == ("n23", "n24")
    assert sites["snap_m"].max() < 45 and report.sites_side_fallback == 0
    # forcing right-hand traffic puts them across the road (the wrong carriageway)
    right = build_network(LEFT, tmp_path / "right.gpkg", drive_side="right")
    flipped = gpd.read_file(tmp_path / "right.gpkg", layer="sites").set_index("site_id")
    assert right.drive_side == "right" and flipped.loc["osm-n10", "u"] == "n23"
    # continental fixtures stay right-hand
    assert build_network(DUAL, tmp_path / "de.gpkg").drive_side == "right"


@pytest.mark.parametrize(
    ("lon", "lat", "side"),
    [
        (-0.12, 51.5, "left"),  # London
        (1.31, 51.13, "left"),  # Dover
        (1.85, 50.95, "right"),  # Calais
        (-6.26, 53.35, "left"),  # Dublin
        (-5.93, 54.6, "left"),  # Belfast
        (-4.48, 54.15, "left"),  # Douglas, Isle of Man
        (-2.11, 49.19, "left"),  # St Helier, Jersey
        (-1.62, 49.64, "right"),  # Cherbourg
        (14.51, 35.9, "left"),  # Valletta
        (33.36, 35.17, "left"),  # Nicosia
        (-5.35, 36.14, "right"),  # Gibraltar
        (26.95, 60.53, "right"),  # Kotka
    ],
)
def test_drive_side_detection(lon: float, lat: float, side: str) -> None:
    from planner.osm.drive_side import detect_drive_side

    assert detect_drive_side({1: (lon, lat)}) == side
    # the majority of nodes decides
    assert detect_drive_side({1: (lon, lat), 2: (lon, lat), 3: (10.0, 50.0)}) == side
    assert detect_drive_side({}) == "right"


def _record(u: str, v: str, km: float, oneway: bool, ways: str) -> dict:
    return {"u": u, "v": v, "length_km": km, "oneway": oneway, "osm_way_ids": ways}


def test_parallels_keep_the_shortest_edge_per_direction() -> None:
    from planner.osm.assemble import _resolve_parallels
    from planner.osm.consolidate import Arc

    def arc(rec: dict) -> Arc:
        return Arc(0, 1, [], rec["oneway"], "road")

    rebuilt: list[Arc] = []

    def rebuild(a: Arc) -> dict:
        rebuilt.append(a)
        return _record("nb", "na", 1.0, True, "2")  # the two-way road, now one-way nb -> na

    # a two-way road (1.0 km) and a shorter one-way slip road na -> nb (0.4 km)
    built = [(arc(r), r) for r in (_record("na", "nb", 1.0, False, "2"), _record("na", "nb", 0.4, True, "1"))]
    edges, dropped = _resolve_parallels(built, rebuild)
    assert [(e["u"], e["v"], e["oneway"], e["length_km"]) for e in edges] == [
        ("na", "nb", True, 0.4),
        ("nb", "na", True, 1.0),
    ]
    assert dropped == 0 and len(rebuilt) == 1 and rebuilt[0].oneway
    # the two-way road shorter both ways: it alone stays, the one-way edge is dropped
    built = [(arc(r), r) for r in (_record("na", "nb", 1.0, False, "2"), _record("nb", "na", 1.5, True, "3"))]
    edges, dropped = _resolve_parallels(built, rebuild)
    assert [(e["u"], e["v"], e["oneway"]) for e in edges] == [("na", "nb", False)] and dropped == 1
    # two two-way roads: the shorter; two one-way edges the same way: the shorter
    built = [
        (arc(r), r)
        for r in (
            _record("na", "nb", 2.0, False, "4"),
            _record("na", "nb", 1.0, False, "5"),
            _record("nc", "nd", 3.0, True, "6"),
            _record("nc", "nd", 2.5, True, "7"),
        )
    ]
    edges, dropped = _resolve_parallels(built, rebuild)
    assert [(e["u"], e["v"], e["osm_way_ids"]) for e in edges] == [("na", "nb", "5"), ("nc", "nd", "7")]
    assert dropped == 2


def test_cli_drive_side_and_join_via_options(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli import app

    out = tmp_path / "left.gpkg"
    args = ["network", "build", str(DUAL), "--out", str(out), "-q", "--cache-dir", str(tmp_path / "c")]
    result = CliRunner().invoke(app, [*args, "--drive-side", "left", "--join-via", "primary"])
    assert result.exit_code == 0, result.output
    assert "left-hand traffic" in result.output
    sites = gpd.read_file(out, layer="sites").set_index("site_id")
    assert (sites.loc["osm-n200", "u"], sites.loc["osm-n200", "v"]) == ("n3", "n2")
    result = CliRunner().invoke(app, [*args, "--drive-side", "centre"])
    assert result.exit_code == 2 and "use 'auto', 'right' or 'left'" in result.output
    # Out-of-range numbers are named by their option (they were by the API's parameter names).
    for option, value, said in (
        ("--tolerance-m", "-5", "error: --tolerance-m -5: give a number of metres ≥ 0 (0 disables)."),
        ("--snap-radius-m", "0", "error: --snap-radius-m 0: give a number of metres > 0."),
        ("--highway", " , ", "error: --highway: give at least one highway=* value (e.g. motorway,trunk)."),
    ):
        result = CliRunner().invoke(app, [*args, option, value])
        assert result.exit_code == 2 and result.output.strip() == said


def test_long_detour_edge_is_split_so_the_loader_accepts_it(tmp_path: Path) -> None:
    from planner.network import load_network
    from planner.scenario.network import NetworkConfig

    fixture = FIXTURES / "detour.osm"
    out = tmp_path / "detour.gpkg"
    report = build_network(fixture, out)
    assert report.via_nodes == 1 and "split at 1 via node" in str(report)
    layers = read_layers(out)
    nodes = layers["nodes"].set_index("id")
    assert nodes.loc["n12", "kind"] == "via" and nodes.loc["n12", "osm_node_ids"] == "12"
    loop = layers["edges"][layers["edges"]["osm_way_ids"] == "20"]
    assert sorted(zip(loop["u"], loop["v"], strict=True)) == [("n1", "n12"), ("n12", "n2")]
    # the halves keep the way's length exactly, and each is now plausible for the loader
    assert loop["length_km"].sum() == pytest.approx(way_lengths_m(fixture)[20] / 1000, abs=1e-9)
    net = load_network(NetworkConfig(gpkg=out))
    assert len(net.edges) == report.edge_count == 7
