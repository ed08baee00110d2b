"""Bad OSM inputs give one clean line; ``--out`` never touches a file the planner did not write."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import geopandas as gpd
import pytest

from planner.errors import OutputError, PlannerError
from planner.osm import OSMBuildError, build_network
from planner.osm.errors import OSMInputError
from planner.osm.outfile import MARKER_TABLE, read_gpkg_marker

FIXTURES = Path(__file__).parent / "fixtures" / "osm"
DUAL = FIXTURES / "dual_carriageway.osm"


def geodesic_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    from pyproj import Geod

    return Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)[2] / 1000.0


def osm_xml(node_attrs: str = 'lat="50.0" lon="10.0"', refs: tuple[int, ...] = (1, 2)) -> str:
    nds = "".join(f'<nd ref="{r}"/>' for r in refs)
    return (
        '<?xml version="1.0"?>\n<osm version="0.6">\n'
        f'<node id="1" {node_attrs}/>\n<node id="2" lat="50.0" lon="10.1"/>\n'
        f'<way id="7">{nds}<tag k="highway" v="motorway"/></way>\n</osm>\n'
    )


# --- bad inputs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ('lat="abc" lon="10.0"', r"node 1 has lat='abc', which is not a number; fix its coordinates"),
        ('lat="50.0" lon="ten"', r"node 1 has lon='ten', which is not a number"),
        ('lat="500" lon="10.0"', r"node 1 has lat='500', outside \[-90, 90\]"),
        ('lat="50.0" lon="-180.5"', r"node 1 has lon='-180.5', outside \[-180, 180\]"),
        ('lat="inf" lon="10.0"', r"node 1 has lat='inf', not a finite number"),
        ('lat="50.0" lon="NaN"', r"node 1 has lon='NaN', not a finite number"),
        ('lat="50.0"', r"node 1 has no lat/lon; add its coordinates or delete the node"),
    ],
)
def test_bad_node_coordinates_name_the_node(tmp_path: Path, attrs: str, message: str) -> None:
    src = tmp_path / "bad.osm"
    src.write_text(osm_xml(attrs))
    with pytest.raises(OSMInputError, match=rf"^{src}: {message}"):
        build_network(src, tmp_path / "out.gpkg")
    assert not (tmp_path / "out.gpkg").exists()


def test_bad_tagged_node_outside_the_roads_is_refused_too(tmp_path: Path) -> None:
    src = tmp_path / "poi.osm"
    text = osm_xml().replace("</osm>", '<node id="9" lat="95" lon="10"><tag k="highway" v="services"/></node>\n</osm>')
    src.write_text(text)
    with pytest.raises(OSMInputError, match="node 9 has lat='95'"):
        build_network(src, tmp_path / "out.gpkg")


def test_bad_coordinates_in_pbf_name_the_node(tmp_path: Path) -> None:
    osmium = pytest.importorskip("osmium")
    pbf = tmp_path / "bad.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))
    writer.add_node(osmium.osm.mutable.Node(id=1, location=osmium.osm.Location(10.0, 95.0)))
    writer.add_node(osmium.osm.mutable.Node(id=2, location=osmium.osm.Location(10.1, 50.0)))
    writer.add_way(osmium.osm.mutable.Way(id=7, nodes=[1, 2], tags={"highway": "motorway"}))
    writer.close()
    with pytest.raises(OSMInputError, match=rf"^{pbf}: node 1 has an invalid location"):
        build_network(pbf, tmp_path / "out.gpkg")


def test_ways_without_any_of_their_nodes_are_refused(tmp_path: Path) -> None:
    src = tmp_path / "ways-only.osm"
    src.write_text(
        osm_xml()
        .replace('<node id="1" lat="50.0" lon="10.0"/>\n', "")
        .replace('<node id="2" lat="50.0" lon="10.1"/>\n', "")
    )
    with pytest.raises(OSMInputError, match="way 7 references node 1, which is not in the file"):
        build_network(src, tmp_path / "out.gpkg")


def test_some_missing_nodes_are_a_clipped_extract_not_an_error(tmp_path: Path) -> None:
    src = tmp_path / "clipped.osm"
    src.write_text(osm_xml(refs=(1, 2, 3)))
    report = build_network(src, tmp_path / "out.gpkg")
    assert report.missing_node_refs == 1 and report.missing_example == [7, 3]
    assert "e.g. way 7 -> node 3 (a clipped extract" in str(report)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "OSM input file is empty"),
        (b"id,lon,lat\n1,10,50\n", "neither OSM XML .* nor OSM PBF"),
        (b'<?xml version="1.0"?>\n<gpx version="1.1"><trk/></gpx>\n', r"XML but not OpenStreetMap data \(root <gpx>"),
        (b"<osm><node id='1' lat='1' lon='1'></osm>", "malformed OSM XML"),
        (b'<osm version="0.6"><node id="x1" lat="1" lon="1"/></osm>', "invalid OSM element at line 1"),
        (b'<osm version="0.6"><way id="7"><nd/></way></osm>', "invalid OSM element at line 1"),
        (b"\x1f\x8b\x08\x00truncated", "cannot decompress or read the file"),
        (b"\x00\x00\x00\x0d\x0a\x09OSMHeader\x18garbage", "cannot read the PBF file"),
    ],
)
def test_unusable_files_give_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    if b"OSMHeader" in content:
        pytest.importorskip("osmium")
    src = tmp_path / "input.osm"
    src.write_bytes(content)
    with pytest.raises(OSMInputError, match=message) as info:
        build_network(src, tmp_path / "out.gpkg")
    assert "\n" not in str(info.value) and str(src) in str(info.value)


def test_folder_and_unreadable_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "extract.osm"
    folder.mkdir()
    with pytest.raises(OSMInputError, match="is a folder, not an OSM file"):
        build_network(folder, tmp_path / "out.gpkg")
    locked = tmp_path / "locked.osm"
    locked.write_text(osm_xml())
    real_open = Path.open

    def refuse(self: Path, *args: object, **kwargs: object):  # noqa: ANN202
        if self == locked:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(OSMInputError, match="cannot read the file \\(Permission denied\\); check its permissions"):
        build_network(locked, tmp_path / "out.gpkg")


def test_input_errors_are_planner_errors() -> None:
    assert issubclass(OSMInputError, OSMBuildError) and issubclass(OSMInputError, PlannerError)


# --- output rules --------------------------------------------------------------------------------


def test_output_is_marked_and_replaced_only_when_ours(tmp_path: Path) -> None:
    out = tmp_path / "net.gpkg"
    build_network(DUAL, out)
    marker = read_gpkg_marker(out)
    assert marker is not None and marker["kind"] == "osm-network" and marker["source"] == str(DUAL)
    # the marker is a small attributes table beside the three layers
    import pyogrio

    layers = sorted(row[0] for row in pyogrio.list_layers(out))
    assert layers == ["edges", "nodes", MARKER_TABLE, "sites"]
    table = pyogrio.read_dataframe(out, layer=MARKER_TABLE)
    assert dict(zip(table["key"], table["value"], strict=True))["written_by"] == '"planner"'
    before = out.stat().st_mtime_ns
    build_network(DUAL, out)  # ours: replaced
    assert out.stat().st_mtime_ns != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.gpkg"]  # no temp or lock left


def test_a_link_to_our_network_is_written_through_and_kept(tmp_path: Path) -> None:
    # `-o link.gpkg` naming a network the planner wrote elsewhere replaces that network, not the link
    (tmp_path / "data").mkdir()
    real = tmp_path / "data" / "net.gpkg"
    build_network(DUAL, real)
    link = tmp_path / "net.gpkg"
    link.symlink_to(real)
    before = real.stat().st_mtime_ns
    build_network(DUAL, link)
    assert link.is_symlink() and link.resolve() == real
    assert real.stat().st_mtime_ns != before and read_gpkg_marker(real) is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "net.gpkg"]
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["net.gpkg"]  # no temp or lock left


@pytest.mark.parametrize("kind", ["csv", "gpkg", "sqlite-like"])
def test_foreign_file_is_refused_and_kept(tmp_path: Path, kind: str) -> None:
    out = tmp_path / "net.gpkg"
    if kind == "csv":
        out.write_text("precious\n")
    elif kind == "gpkg":
        frame = gpd.GeoDataFrame({"a": [1]}, geometry=gpd.points_from_xy([1.0], [2.0]), crs="EPSG:4326")
        frame.to_file(out, layer="mine", driver="GPKG")
    else:
        with sqlite3.connect(out) as db:
            db.execute("CREATE TABLE notes (x TEXT)")
    content = out.read_bytes()
    with pytest.raises(OutputError, match="exists and was not written by the planner") as info:
        build_network(DUAL, out)
    assert out.read_bytes() == content and "\n" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.gpkg"]


def test_a_fake_marker_needs_the_planner_signature(tmp_path: Path) -> None:
    out = tmp_path / "net.gpkg"
    with sqlite3.connect(out) as db:
        db.execute(f"CREATE TABLE {MARKER_TABLE} (key TEXT PRIMARY KEY, value TEXT)")
        db.execute(f"INSERT INTO {MARKER_TABLE} VALUES ('written_by', '\"someone\"')")
    with pytest.raises(OutputError, match="not written by the planner"):
        build_network(DUAL, out)


def test_network_built_before_the_marker_is_recognised(tmp_path: Path) -> None:
    out = tmp_path / "old.gpkg"
    build_network(DUAL, out)
    with sqlite3.connect(out) as db:
        db.execute(f"DROP TABLE {MARKER_TABLE}")
    assert read_gpkg_marker(out) == {"written_by": "planner", "kind": "osm-network", "legacy": True}
    build_network(DUAL, out)
    assert read_gpkg_marker(out)["kind"] == "osm-network"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("net.csv", "is not a .gpkg file name"),
        ("dir.gpkg", "is a folder"),
        ("file.txt/net.gpkg", "is a file, not a folder"),
    ],
)
def test_impossible_targets_are_refused(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "dir.gpkg").mkdir()
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(OutputError, match=message):
        build_network(DUAL, tmp_path / name)


def test_failed_build_leaves_target_and_folder_as_they_were(tmp_path: Path) -> None:
    out = tmp_path / "net.gpkg"
    build_network(DUAL, out)
    content = out.read_bytes()
    with pytest.raises(OSMBuildError, match="no way with highway"):
        build_network(DUAL, out, highway=("primary",))
    assert out.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.gpkg"]


def test_leftover_temp_files_only_ours_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "net.gpkg"
    build_network(DUAL, tmp_path / "donor.gpkg")
    ours = tmp_path / ".net.gpkg.tmp-99999-0.gpkg"
    (tmp_path / "donor.gpkg").rename(ours)
    foreign = tmp_path / ".net.gpkg.tmp-99998-0.gpkg"
    foreign.write_text("not ours")
    build_network(DUAL, out)
    assert not ours.exists() and foreign.read_text() == "not ours"


def test_concurrent_writer_is_refused(tmp_path: Path) -> None:
    import fcntl

    out = tmp_path / "net.gpkg"
    with (tmp_path / ".net.gpkg.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(OutputError, match="another planner process is writing it"):
            build_network(DUAL, out)
    assert not out.exists()


def test_cache_never_writes_into_a_foreign_folder(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "notes.txt").write_text("mine")
    report = build_network(DUAL, tmp_path / "a.gpkg", cache_dir=cache)
    assert "cache not used" in report.cache_note and "cache not used" in str(report)
    assert sorted(p.name for p in cache.iterdir()) == ["notes.txt"]
    # a fresh folder becomes a marked cache; a hit copies through the safe writer
    fresh = tmp_path / "fresh"
    build_network(DUAL, tmp_path / "b.gpkg", cache_dir=fresh)
    foreign = tmp_path / "c.gpkg"
    foreign.write_text("keep me")
    with pytest.raises(OutputError, match="not written by the planner"):
        build_network(DUAL, foreign, cache_dir=fresh)
    assert foreign.read_text() == "keep me"
    assert build_network(DUAL, tmp_path / "d.gpkg", cache_dir=fresh).cache_hit
    # a cache written before the marker existed (only <key>.gpkg/.json) is still used
    (fresh / ".planner-osm-cache.json").unlink()
    assert build_network(DUAL, tmp_path / "e.gpkg", cache_dir=fresh).cache_hit
    assert (fresh / ".planner-osm-cache.json").is_file()


def test_cli_refuses_foreign_out_in_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli import app

    out = tmp_path / "net.gpkg"
    out.write_text("precious")
    gz = tmp_path / "dual.osm.gz"
    gz.write_bytes(gzip.compress(DUAL.read_bytes()))
    result = CliRunner().invoke(app, ["network", "build", str(gz), "--out", str(out), "-q"])
    assert result.exit_code == OutputError.exit_code
    assert result.output.count("\n") == 1 and "not written by the planner" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert out.read_text() == "precious"


def test_duplicate_nodes_never_give_a_zero_length_edge(tmp_path: Path) -> None:
    # nodes 2 and 3 share a position (a duplicate node) and a 0 km piece of way 7; ways 8
    # and 9 make a loop through node 5. A 0 km edge would be refused by the loader.
    src = tmp_path / "dup.osm"
    src.write_text(
        '<?xml version="1.0"?>\n<osm version="0.6">\n'
        '<node id="1" lat="50.0" lon="10.0"/><node id="2" lat="50.0" lon="10.1"/>\n'
        '<node id="3" lat="50.0" lon="10.1"/><node id="4" lat="50.0" lon="10.2"/>\n'
        '<node id="5" lat="50.1" lon="10.1"/>\n'
        '<way id="7"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><tag k="highway" v="trunk"/></way>\n'
        '<way id="8"><nd ref="2"/><nd ref="5"/><tag k="highway" v="trunk"/></way>\n'
        '<way id="9"><nd ref="3"/><nd ref="5"/><tag k="highway" v="trunk"/></way>\n</osm>\n'
    )
    for tolerance in (0.0, 100.0):
        out = tmp_path / f"out-{tolerance:g}.gpkg"
        report = build_network(src, out, consolidate_tolerance_m=tolerance)
        edges = gpd.read_file(out, layer="edges")
        # 2 and 3 are one node; the loop through 5 starts and ends there (absorbed), so
        # way 7 is a single edge n1-n4 of its full length
        assert list(zip(edges["u"], edges["v"], edges["osm_way_ids"], strict=True)) == [("n1", "n4", "7")]
        assert edges["length_km"].iloc[0] == pytest.approx(2 * geodesic_km(10.0, 50.0, 10.1, 50.0), abs=1e-6)
        assert report.absorbed_km["main"] == pytest.approx(2 * geodesic_km(10.1, 50.0, 10.1, 50.1), abs=1e-3)


def test_edge_without_positive_finite_length_is_never_written(tmp_path: Path) -> None:
    from planner.osm.output import write_gpkg

    nodes = gpd.GeoDataFrame(
        {"id": ["na", "nb"], "lon": [10.0, 10.1], "lat": [50.0, 50.0]},
        geometry=gpd.points_from_xy([10.0, 10.1], [50.0, 50.0]),
        crs="EPSG:4326",
    )
    for length in (0.0, float("nan")):
        edges = gpd.GeoDataFrame({"u": ["na"], "v": ["nb"], "length_km": [length], "osm_way_ids": ["7"]})
        with pytest.raises(OSMBuildError, match=r"edge na-nb \(ways 7\) has length_km="):
            write_gpkg(tmp_path / "x.gpkg", (nodes, edges, nodes), source="src", parameters={})
    bad = nodes.assign(lat=[50.0, float("inf")])
    with pytest.raises(OSMBuildError, match="node nb has no finite coordinates"):
        write_gpkg(tmp_path / "x.gpkg", (bad, edges, nodes), source="src", parameters={})
    assert not (tmp_path / "x.gpkg").exists()
