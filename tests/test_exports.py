"""plan.xlsx, CSV encoding and money, QGIS styles in plan.gpkg, road geometry, the units table."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import LineString, Point

from planner.api import run
from planner.exports.columns import ALL_UNITS, FLOW_UNITS, HUB_UNITS, header, unit_of
from planner.exports.gpkg_styles import STYLE_TABLE, layer_qml
from planner.exports.xlsx import write_workbook
from planner.outdir import read_marker
from planner.plan import FLOW_COLUMNS, HUB_COLUMNS
from planner.render import _style as st
from tests.conftest import ROOT, base_scenario, write_csv, write_scenario

FLOWS = ["A,N0,N4,10", "B,N0,N2,7", "C,N2,N4,6", "D,N1,N2,5"]
STEP_DEG = 100.0 / 111.0 / 0.7 * 0.9  # as conftest.line_network


def _nodes(folder: Path) -> list[tuple[str, str, float, float]]:
    names = ["Node 0", "Node 1", "Stryków", "Node 3", "Node 4"]
    return [(f"N{i}", names[i], round(i * STEP_DEG, 6), 45.6) for i in range(5)]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three hubs on the 5-node line (N1, N2 'Stryków', N3), every flow served."""
    folder = tmp_path_factory.mktemp("exports")
    write_csv(folder / "nodes.csv", "id,name,lon,lat", [",".join(map(str, n)) for n in _nodes(folder)])
    write_csv(folder / "edges.csv", "u,v,length_km", [f"N{i},N{i + 1},100.0" for i in range(4)])
    data = base_scenario(folder, flows=FLOWS, objective={"max_hubs": 3})
    data["costs"] = {"site_fixed_eur": 1234.56}  # not whole EUR: the CSV must round it
    run(write_scenario(folder / "s.toml", data), out_dir=folder / "out")
    return folder / "out"


def test_csv_utf8_without_bom_and_whole_eur(run_dir: Path) -> None:
    raw = (run_dir / "hubs.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # no BOM: the first header is "site_id"
    text = raw.decode("utf-8")
    assert "Stryków" in text and "StrykÃ³w" not in text
    hubs = pd.read_csv(run_dir / "hubs.csv")
    assert hubs.columns[0] == "site_id"
    cost_cells = re.findall(r"^N\d,[^\n]*", text, re.M)
    col = list(hubs.columns).index("cost_eur")
    assert [c.split(",")[col] for c in cost_cells] == ["1235"] * 3  # 1,234.56 EUR → whole EUR
    opex = list(hubs.columns).index("opex_eur_per_year")
    assert all(re.fullmatch(r"\d+", c.split(",")[opex]) for c in cost_cells)
    assert "plan.xlsx" in read_marker(run_dir)["files"]


def test_xlsx_numbers_units_and_text(run_dir: Path) -> None:
    wb = openpyxl.load_workbook(run_dir / "plan.xlsx")
    assert wb.sheetnames[:3] == ["summary", "hubs", "flows"] and "years" not in wb.sheetnames
    hubs = wb["hubs"]
    head = [c.value for c in hubs[1]]
    assert head[: len(HUB_COLUMNS)] == [header(c, HUB_UNITS) for c in HUB_COLUMNS]
    assert "cost_eur [EUR]" in head and "volume_charging [trucks/day]" in head and "site_id" in head
    rows = {r[0]: dict(zip(head, r, strict=True)) for r in hubs.iter_rows(min_row=2, values_only=True)}
    assert rows["N2"]["name"] == "Stryków"
    assert rows["N2"]["cost_eur [EUR]"] == 1235 and isinstance(rows["N2"]["cost_eur [EUR]"], int)
    assert rows["N2"]["locked [true/false]"] is False
    assert isinstance(rows["N2"]["volume_charging [trucks/day]"], int | float)
    assert hubs.cell(row=2, column=head.index("cost_eur [EUR]") + 1).number_format == "#,##0"
    assert hubs.cell(row=1, column=head.index("volume_charging [trucks/day]") + 1).comment.text.startswith("trucks")
    flows = wb["flows"]
    fhead = [c.value for c in flows[1]]
    assert fhead == [header(c, FLOW_UNITS) for c in FLOW_COLUMNS] and "volume [trucks/day]" in fhead
    vol = {r[0]: r[fhead.index("volume [trucks/day]")] for r in flows.iter_rows(min_row=2, values_only=True)}
    assert vol == {"A": 10, "B": 7, "C": 6, "D": 5}
    summary = json.loads((run_dir / "summary.json").read_text())
    items = {r[0]: r for r in wb["summary"].iter_rows(min_row=2, values_only=True)}
    assert items["total_cost_eur"][1:3] == (pytest.approx(summary["total_cost_eur"]), "EUR")
    assert items["covered_share"][1:3] == (1.0, "share 0–1") and items["vehicle.soc_min"][2] == "share 0–1"
    assert items["check: cost_recomputed"][1] == "pass"


def test_xlsx_years_sheet_and_reproducible(tmp_path: Path) -> None:
    summary = {
        "scenario": "r",
        "years": [
            {"year": 2026, "hubs": 2, "capex_eur": 1.5e6, "chargers_added_by_type": {"mcs": 8, "ccs": 0}},
            {"year": 2030, "hubs": 5, "capex_eur": 2.25e6, "chargers_added_by_type": {"mcs": 12, "ccs": 2}},
        ],
    }
    hubs = pd.DataFrame({"site_id": ["a"], "name": ["Łódź"], "cost_eur": [1.6]})
    flows = pd.DataFrame({"flow_id": ["f"], "volume": [3.5]})
    a = write_workbook(tmp_path / "a.xlsx", summary, hubs, flows)
    b = write_workbook(tmp_path / "b.xlsx", summary, hubs, flows)
    assert a.read_bytes() == b.read_bytes()  # no timestamps
    ws = openpyxl.load_workbook(a)["years"]
    assert [c.value for c in ws[1]] == [
        "year [year]",
        "hubs [hubs]",
        "capex_eur [EUR]",
        "chargers_added_by_type_mcs [points]",
        "chargers_added_by_type_ccs [points]",
    ]
    assert [c.value for c in ws[3]] == [2030, 5, 2250000, 12, 2]
    assert ws["A2"].number_format == "0"  # a year, no thousands separator
    assert openpyxl.load_workbook(a)["hubs"]["C2"].value == 2  # 1.6 EUR → whole EUR


def test_xlsx_text_stays_text_and_formats_hold_for_every_row(tmp_path: Path) -> None:
    n = 25_000  # more rows than a per-cell format budget would allow
    hubs = pd.DataFrame({"site_id": ["0012", "=A1", "https://x.eu", "1e5"], "name": ["Stryków", "", None, "x"]})
    flows = pd.DataFrame(
        {
            "flow_id": [f"f{i}" for i in range(n)],
            "volume": np.linspace(0.0, 30.0, n),
            "length_km": [np.nan, np.inf] + [100.0] * (n - 2),
            "served": [True, False] * (n // 2),
        }
    )
    path = write_workbook(tmp_path / "t.xlsx", {"scenario": "t", "covered_share": 0.5}, hubs, flows)
    wb = openpyxl.load_workbook(path)
    ws = wb["hubs"]
    assert [c.value for c in ws["A"][1:]] == ["0012", "=A1", "https://x.eu", "1e5"]
    assert all(c.data_type == "s" for c in ws["A"][1:])  # not numbers, formulas or links
    assert [c.value for c in ws["B"][1:]] == ["Stryków", None, None, "x"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:B5"
    assert ws["A1"].font.b and ws["A1"].comment.text == "candidate site id"
    fl = wb["flows"]
    assert fl.freeze_panes == "A2" and fl.auto_filter.ref == f"A1:D{n + 1}"
    last = fl.max_row
    assert last == n + 1 and fl.cell(last, 2).value == 30 and fl.cell(last, 2).number_format == "#,##0.00"
    assert fl["C2"].value is None and fl["C3"].value is None and fl["C4"].value == 100  # NaN, inf empty
    assert fl["D2"].value is True and fl["D3"].value is False
    assert wb["summary"]["B3"].value == 0.5 and wb["summary"]["B3"].number_format == "0.0%"


def _fields(qml: str) -> set[str]:
    root = ET.fromstring(qml.split("\n", 1)[1])
    assert root.tag == "qgis" and root.find("renderer-v2").get("type") == "RuleRenderer"
    filters = [r.get("filter") for r in root.iter("rule")]
    exprs = filters + [o.get("value") for o in root.iter("Option") if o.get("name") == "expression"]
    return {f for e in exprs for f in re.findall(r'"(\w+)"', e)}


def test_gpkg_layer_styles(run_dir: Path) -> None:
    gpkg = run_dir / "plan.gpkg"
    layers = [str(n) for n, _ in pyogrio.list_layers(gpkg) if n != STYLE_TABLE]
    assert set(layers) == {"hubs", "network", "flows", "afir_gaps"}
    styles = pyogrio.read_dataframe(gpkg, layer=STYLE_TABLE)
    assert sorted(styles["f_table_name"]) == sorted(layers)  # one per layer
    assert styles["useAsDefault"].all() and set(styles["f_geometry_column"]) == {"geom"}
    for name, qml in zip(styles["f_table_name"], styles["styleQML"], strict=True):
        columns = set(pyogrio.read_info(gpkg, layer=name)["fields"])
        assert _fields(qml) <= columns, name  # every rule uses a column the layer has
    network = styles.set_index("f_table_name").at["network", "styleQML"]
    for colour in (st.SERVED, st.UNSERVED, st.TIER_STYLE["core"][0]):
        rgb = ",".join(str(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
        assert f'v="{rgb},255"' in network
    assert 'symbollevels="1"' in network and "sqrt" in network  # bands above the network, √-scaled
    assert layer_qml("afir_gaps").count("<rule ") == 1


def test_a_plan_without_hubs_keeps_its_layers_geometry_types(line5: Path) -> None:
    # 100 km within the 150 km range: served without a hub, so the hubs layer is empty; GDAL would
    # type an empty layer "Unknown" and QGIS would not draw it as points.
    data = base_scenario(line5, flows=["A,N0,N1,10"], objective={"type": "min_cost", "max_hubs": None})
    data["objective"].pop("max_hubs")
    plan = run(write_scenario(line5 / "s.toml", data), out_dir=line5 / "out")
    assert plan.summary["hub_count"] == 0 and plan.summary["covered_share"] == 1.0
    types = {str(n): str(t) for n, t in pyogrio.list_layers(line5 / "out" / "plan.gpkg")}
    assert types["hubs"] == "Point" and types["network"] == types["flows"] == "LineString"
    assert all(t != "Unknown" for n, t in types.items() if n != STYLE_TABLE), types
    hubs = gpd.read_file(line5 / "out" / "plan.gpkg", layer="hubs")
    assert len(hubs) == 0 and hubs.crs == "EPSG:4326" and "site_id" in hubs.columns


def test_units_table_covers_every_output_column() -> None:
    feature_cols = set()
    for path in (ROOT / "planner").rglob("*.py"):
        feature_cols |= set(re.findall(r'hubs\["(\w+)"\]\s*=', path.read_text(encoding="utf-8")))
    feature_cols |= {"sessions_mcs", "sessions_ccs"}  # hubs[f"sessions_{t}"] in planner/plan.py
    assert set(HUB_COLUMNS) | feature_cols <= set(HUB_UNITS)
    assert set(FLOW_COLUMNS) <= set(FLOW_UNITS)
    docs = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    for file, table in ALL_UNITS.items():
        for col, (unit, _) in table.items():
            assert f"| `{col}` | {unit or '–'} |" in docs, f"{file}: {col} missing from docs/formats.md"
    assert unit_of("chargers_added_by_type_mcs", ALL_UNITS["years"]) == "points"


def _gpkg_network(folder: Path) -> Path:
    """The 5-node line as a GeoPackage whose edges bend north (one drawn backwards, one without geometry)."""
    nodes = _nodes(folder)
    pos = {n[0]: (n[2], n[3]) for n in nodes}
    gpkg = folder / "net.gpkg"
    gpd.GeoDataFrame(
        {"id": [n[0] for n in nodes], "name": [n[1] for n in nodes], "lon": [n[2] for n in nodes],
         "lat": [n[3] for n in nodes]},
        geometry=[Point(p) for p in pos.values()], crs="EPSG:4326",
    ).to_file(gpkg, layer="nodes", engine="pyogrio")  # fmt: skip
    lines = []
    for i in range(4):
        (x0, y), (x1, _) = pos[f"N{i}"], pos[f"N{i + 1}"]
        bend = [(x0, y), ((x0 + x1) / 2, y + 0.2), (x1, y)]
        lines.append(LineString(bend[::-1] if i == 2 else bend))
    edges = gpd.GeoDataFrame(
        {"u": [f"N{i}" for i in range(4)], "v": [f"N{i + 1}" for i in range(4)], "length_km": ["100.0"] * 4},
        geometry=lines,
        crs="EPSG:4326",
    )
    edges.loc[3, "geometry"] = None
    edges.to_file(gpkg, layer="edges", engine="pyogrio")
    return gpkg


def test_network_layer_follows_input_geometry(tmp_path: Path) -> None:
    _gpkg_network(tmp_path)
    data = base_scenario(tmp_path, flows=FLOWS, objective={"max_hubs": 3})
    data["network"] = {"gpkg": "net.gpkg"}
    plan = run(write_scenario(tmp_path / "s.toml", data), out_dir=tmp_path / "out")
    net = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="network").set_index("u")
    for u in ("N0", "N1", "N2"):
        coords = np.asarray(net.at[u, "geometry"].coords)
        assert len(coords) == 3 and coords[1, 1] == pytest.approx(45.8)  # the road's bend
        assert coords[0, 0] < coords[-1, 0]  # from u to v, also where the input ran backwards
    assert len(net.at["N3", "geometry"].coords) == 2  # no input geometry: straight
    # trucks/day per edge: N0–N1 flows A, B; N1–N2 A, B, D; N2–N3 and N3–N4 A, C (all served)
    assert net["served_volume"].tolist() == [17.0, 22.0, 16.0, 16.0]
    assert net["unserved_volume"].tolist() == [0.0] * 4
    assert plan.summary["covered_share"] == 1.0
    gaps = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="afir_gaps")
    bent = gaps[gaps["edge_id"] == "N0~N1"]
    assert len(bent) and all(len(g.coords) >= 2 for g in bent.geometry)
    line = net.at["N0", "geometry"]
    assert all(line.distance(Point(c)) < 1e-9 for g in bent.geometry for c in g.coords)  # on the road
    geojson = gpd.read_file(tmp_path / "out" / "network.geojson")
    assert max(len(g.coords) for g in geojson.geometry) == 3


def test_exports_are_byte_reproducible(line5: Path) -> None:
    from planner.export import write_files

    data = base_scenario(line5, flows=FLOWS, objective={"max_hubs": 2})
    plan = run(write_scenario(line5 / "s.toml", data), write=False)
    for name in ("a", "b"):
        (line5 / name).mkdir()
        write_files(plan, line5 / name)
    for f in ("plan.gpkg", "plan.xlsx", "hubs.csv", "network.geojson"):
        assert (line5 / "a" / f).read_bytes() == (line5 / "b" / f).read_bytes(), f
