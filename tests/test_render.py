"""Tests of ``planner.render`` on synthetic run folders (no solver needed)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import geopandas as gpd
import matplotlib.image as mpimg
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from planner.plan import HUB_COLUMNS
from planner.render import render_comparison, render_run

# ----------------------------------------------------------------- synthetic run folders

NODES = [  # id, name, lon, lat, country
    ("NL-RTM", "Rotterdam", 4.48, 51.92, "NL"),
    ("BE-ANR", "Antwerp", 4.40, 51.22, "BE"),
    ("FR-PAR", "Paris", 2.35, 48.86, "FR"),
    ("FR-LYS", "Lyon", 4.84, 45.76, "FR"),
    ("IT-MIL", "Milan", 9.19, 45.46, "IT"),
    ("CH-BSL", "Basel", 7.59, 47.56, "CH"),
    ("DE-FRA", "Frankfurt", 8.68, 50.11, "DE"),
    ("DE-MUC", "Munich", 11.58, 48.14, "DE"),
    ("AT-VIE", "Vienna", 16.37, 48.21, "AT"),
    ("DE-HAM", "Hamburg", 9.99, 53.55, "DE"),
    ("DE-BER", "Berlin", 13.40, 52.52, "DE"),
    ("PL-WAW", "Warsaw", 21.01, 52.23, "PL"),
    ("DE-PUT", "Puttgarden", 11.23, 54.50, "DE"),
    ("DK-RDB", "Rødby", 11.35, 54.65, "DK"),
    ("DK-CPH", "Copenhagen", 12.57, 55.68, "DK"),
    ("SE-MMA", "Malmö", 13.00, 55.60, "SE"),
]
EDGES = [  # u, v, tier, mode
    ("NL-RTM", "BE-ANR", "core", "road"),
    ("BE-ANR", "FR-PAR", "core", "road"),
    ("FR-PAR", "FR-LYS", "core", "road"),
    ("FR-LYS", "IT-MIL", "comprehensive", "road"),
    ("DE-FRA", "CH-BSL", "core", "road"),
    ("CH-BSL", "IT-MIL", "core", "rail_shuttle"),
    ("NL-RTM", "DE-FRA", "core", "road"),
    ("DE-FRA", "DE-MUC", "core", "road"),
    ("DE-MUC", "AT-VIE", "core", "road"),
    ("DE-FRA", "DE-HAM", "core", "road"),
    ("DE-HAM", "DE-BER", "core", "road"),
    ("DE-BER", "PL-WAW", "core", "road"),
    ("DE-HAM", "DE-PUT", "comprehensive", "road"),
    ("DE-PUT", "DK-RDB", "core", "ferry"),
    ("DK-RDB", "DK-CPH", "comprehensive", "road"),
    ("DK-CPH", "SE-MMA", "core", "road"),
    ("DE-BER", "DE-MUC", "comprehensive", "road"),
    ("AT-VIE", "PL-WAW", "comprehensive", "road"),
]
OD = [
    ("NL-RTM", "IT-MIL", 420.0),
    ("FR-PAR", "PL-WAW", 180.0),
    ("BE-ANR", "AT-VIE", 150.0),
    ("DE-HAM", "SE-MMA", 260.0),
    ("FR-LYS", "DE-BER", 90.0),
    ("NL-RTM", "DK-CPH", 120.0),
    ("FR-PAR", "DE-MUC", 210.0),
    ("IT-MIL", "DE-HAM", 330.0),
    ("AT-VIE", "DK-CPH", 40.0),
]
HUBS = [  # site_id, name, node, locked, chargers, power_kw, year, utilisation
    ("S-FRA", "Frankfurt Süd", "DE-FRA", True, 12, 9600.0, 2025, 0.81),
    ("S-HAM", "Hamburg-Stillhorn", "DE-HAM", False, 8, 6400.0, 2027, 0.64),
    ("S-PAR", 'Aire "Paris" <A1> & Co', "FR-PAR", False, 10, 8000.0, 2026, 0.55),
    ("S-MUC", "München-Nord", "DE-MUC", False, 6, 4800.0, 2027, 0.42),
    ("S-BSL", "Basel Grenze", "CH-BSL", True, 4, 2400.0, 2025, 0.9),
    ("S-BER", "Berlin Ring", "DE-BER", False, 5, 3000.0, 2028, 0.33),
    ("S-CPH", "Køge Bugt", "DK-CPH", False, 3, 1200.0, 2028, 0.2),
]
OPTIONAL_HUB_COLUMNS = ["power_kw", "utilisation", "opened_year"]


def _line(a: tuple[float, float], b: tuple[float, float]) -> LineString:
    """A slightly bent line from a to b (three vertices, like a road)."""
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    return LineString([a, (mx + 0.1 * (b[1] - a[1]) / 4, my - 0.1 * (b[0] - a[0]) / 4), b])


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (b[0] - a[0]) * 111.32 * np.cos(np.radians((a[1] + b[1]) / 2))
    return float(np.hypot(dx, (b[1] - a[1]) * 110.57) * 1.2)


def write_run(
    folder: Path,
    *,
    nodes: list[tuple] | None = None,
    edges: list[tuple] | None = None,
    od: list[tuple] | None = None,
    hubs: list[tuple] | None = None,
    optional: bool = True,
    afir: bool = True,
    scenario: str = "synthetic-test",
    gpkg: bool = True,
    unserved_every: int | None = 4,
) -> Path:
    """Write a run folder per docs/formats.md (summary.json, hubs.csv, flows.csv, plan.gpkg).

    Parameters
    ----------
    folder : Path
        Created if needed.
    nodes, edges, od, hubs :
        Network, demand (origin, destination, volume) and open hubs; defaults above.
    optional : bool
        Include optional hub columns (power, year, utilisation) and summary keys
        (``tradeoff``, ``afir``, ``totals``, ``years``).
    afir : bool
        Write the ``afir_gaps`` layer.
    unserved_every : int or None
        Every n-th flow (n-1, 2n-1, …) is unserved; ``None``: every flow is served.
    """
    nodes = NODES if nodes is None else nodes
    edges = EDGES if edges is None else edges
    od = OD if od is None else od
    hubs = HUBS if hubs is None else hubs
    folder.mkdir(parents=True, exist_ok=True)
    pos = {n[0]: (n[2], n[3]) for n in nodes}
    country = {n[0]: n[4] for n in nodes}
    g = nx.Graph()
    for u, v, _tier, mode in edges:
        g.add_edge(u, v, length=_km(pos[u], pos[v]), mode=mode)

    net = gpd.GeoDataFrame(
        {
            "u": [e[0] for e in edges],
            "v": [e[1] for e in edges],
            "length_km": [round(_km(pos[e[0]], pos[e[1]]), 1) for e in edges],
            "corridor": ["North Sea-Baltic" if i % 2 else "Rhine-Alpine" for i in range(len(edges))],
            "tier": [e[2] for e in edges],
            "country": [";".join(sorted({country[e[0]], country[e[1]]})) for e in edges],
            "road": [f"E{40 + i}" for i in range(len(edges))],
            "mode": [e[3] for e in edges],
        },
        geometry=[_line(pos[e[0]], pos[e[1]]) for e in edges],
        crs="EPSG:4326",
    )

    hub_nodes = {h[2]: h[0] for h in hubs}
    flow_rows, flow_geoms = [], []
    for i, (o, d, vol) in enumerate(od):
        route = nx.shortest_path(g, o, d, weight="length")
        cum = np.cumsum([0.0] + [g[a][b]["length"] for a, b in zip(route, route[1:], strict=False)])
        stops = [(hub_nodes[n], km) for n, km in zip(route, cum, strict=True) if n in hub_nodes]
        flow_rows.append(
            {
                "flow_id": f"F{i:03d}",
                "origin": o,
                "destination": d,
                "volume": vol,
                "length_km": round(float(cum[-1]), 1),
                "served": unserved_every is None or i % unserved_every != unserved_every - 1,
                "route_nodes": ";".join(route),
                "stops": ";".join(s for s, _ in stops),
                "stops_km": ";".join(f"{km:.1f}" for _, km in stops),
            }
        )
        flow_geoms.append(LineString([pos[n] for n in route]))
    flows = pd.DataFrame(flow_rows)
    flows.to_csv(folder / "flows.csv", index=False)

    hub_rows = []
    for j, (sid, name, node, locked, chargers, kw, year, util) in enumerate(hubs):
        row = {
            "site_id": sid,
            "name": name,
            "lon": pos[node][0],
            "lat": pos[node][1],
            "node_or_edge": node,
            "country": country[node],
            "tier": "core",
            "locked": "true" if locked else "false",
            "chargers": chargers,
            "cost_eur": 0.0 if locked else 250_000.0 * chargers + 1_000_000.0,
            "flows_charging": 1 + j % 3,
            "volume_charging": 50.0 * (len(hubs) - j),
            "chargers_mcs": chargers // 2,
            "chargers_ccs": chargers - chargers // 2,
        }
        if optional:
            row.update(
                {
                    "power_kw": kw,
                    "utilisation": util,
                    "opened_year": year,
                }
            )
        hub_rows.append(row)
    hubs_df = pd.DataFrame(hub_rows, columns=HUB_COLUMNS + (OPTIONAL_HUB_COLUMNS if optional else []))
    hubs_df.to_csv(folder / "hubs.csv", index=False)

    served = flows[flows["served"]]
    summary: dict = {
        "scenario": scenario,
        "status": "optimal",
        "objective_value": 1.234e7,
        "best_bound": 1.233e7,
        "mip_gap": 0.0008,
        "solver": "highs",
        "solve_seconds": 3.2,
        "hub_count": len(hubs),
        "total_volume": float(flows["volume"].sum()),
        "covered_volume": float(served["volume"].sum()),
        "covered_share": float(served["volume"].sum() / flows["volume"].sum()),
        "total_cost_eur": float(hubs_df["cost_eur"].sum()),
        "vehicle": {
            "battery_kwh": 600,
            "range_start_km": 350,
            "range_between_hubs_km": 300,
            "arrival_reserve_km": 30,
        },
        "verification": {
            "passed": True,
            "checks": [
                {
                    "name": "every served flow reaches its destination",
                    "passed": True,
                    "detail": "ok",
                },
                {"name": "gaps between stops <= range", "passed": True, "detail": "max 287 km"},
                {"name": "locked sites open", "passed": True, "detail": "2/2"},
            ],
        },
        "model": {"rows": 1234, "columns": 567, "nonzeros": 8910, "binaries": 42},
        "candidates": 120,
        "flows": len(flows),
        "unservable_flows": list(flows.loc[~flows["served"], "flow_id"]),
    }
    if optional:
        summary["tradeoff"] = [{"hubs": k, "covered_share": round(min(1.0, 0.2 + 0.13 * k), 3)} for k in range(1, 8)]
        summary["afir"] = {"core_spacing_km": 60, "compliant_share": 0.72}
        summary["totals"] = {
            "capex_eur": 2.1e7,
            "grid_connection_eur": 4.5e6,
            "opex_eur_per_year": 1.2e6,
        }
        summary["years"] = year_rows(hubs_df)
        summary["chargers"] = {"power_kw_by_type": {"mcs": 1000.0, "ccs": 400.0}}
    (folder / "summary.json").write_text(json.dumps(summary, indent=2))

    if gpkg:
        gpkg_path = folder / "plan.gpkg"
        hub_gdf = gpd.GeoDataFrame(
            hubs_df,
            geometry=[Point(x, y) for x, y in zip(hubs_df["lon"], hubs_df["lat"], strict=True)],
            crs="EPSG:4326",
        )
        hub_gdf.to_file(gpkg_path, layer="hubs", engine="pyogrio")
        net.to_file(gpkg_path, layer="network", engine="pyogrio")
        gpd.GeoDataFrame(flows, geometry=flow_geoms, crs="EPSG:4326").to_file(
            gpkg_path, layer="flows", engine="pyogrio"
        )
        if afir:
            gaps = net[net["tier"] == "core"].head(2)
            gpd.GeoDataFrame(
                {
                    "corridor": gaps["corridor"].to_list(),
                    "tier": "core",
                    "country": gaps["country"].to_list(),
                    "gap_km": [140.0, 95.5],
                },
                geometry=gaps.geometry.to_list(),
                crs="EPSG:4326",
            ).to_file(gpkg_path, layer="afir_gaps", engine="pyogrio")
    return folder


def year_rows(hubs: pd.DataFrame) -> list[dict]:
    """``summary.json["years"]`` rows (as planner.rollout.year_table writes them) for the hubs'
    opening years: hubs open, points added by type, capex, shares rising to 0.9."""
    years = sorted({int(y) for y in hubs["opened_year"]})
    rows = []
    for k, y in enumerate(years):
        new = hubs[hubs["opened_year"] == y]
        added = {"mcs": int(new["chargers_mcs"].sum()), "ccs": int(new["chargers_ccs"].sum())}
        rows.append(
            {
                "year": y,
                "hubs": int((hubs["opened_year"] <= y).sum()),
                "new_hubs": len(new),
                "chargers_added": sum(added.values()),
                "chargers_added_by_type": added,
                "capex_eur": float(new["cost_eur"].sum()),
                "budget_eur": 4.0e7,
                "covered_share": round(0.6 + 0.3 * k / max(len(years) - 1, 1), 3),
                "afir_share": 0.1 * (k + 1),
                "afir_required_share": 0.15 if y < 2028 else 1.0,
                "afir_met": False,
            }
        )
    return rows


def write_big_run(folder: Path, *, n_nodes: int = 300, n_hubs: int = 300, n_flows: int = 5000, seed: int = 7) -> Path:
    """A European-default-sized run: ~400 edges, hundreds of hubs, thousands of flows."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-8.0, 26.0, n_nodes)
    lat = rng.uniform(38.0, 58.0, n_nodes)
    codes = ["DE", "FR", "IT", "ES", "PL", "NL", "BE", "AT", "CZ", "SE"]
    nodes = [(f"N{i:03d}", f"Node {i}", float(lon[i]), float(lat[i]), codes[i % len(codes)]) for i in range(n_nodes)]
    xy = np.c_[lon * np.cos(np.radians(48)), lat]
    dist = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    complete = nx.Graph()
    for i in range(n_nodes):
        for j in np.argsort(dist[i])[1:9]:
            complete.add_edge(i, int(j), weight=float(dist[i, j]))
    pairs = {tuple(sorted(e)) for e in nx.minimum_spanning_edges(complete, data=False)}
    for i in range(n_nodes):  # plus the two nearest neighbours: a meshed network
        pairs.update(tuple(sorted((i, int(j)))) for j in np.argsort(dist[i])[1:3])
    edge_list = [
        (
            f"N{u:03d}",
            f"N{v:03d}",
            "core" if k % 3 else "comprehensive",
            "ferry" if k % 97 == 0 else "road",
        )
        for k, (u, v) in enumerate(sorted(pairs))
    ]
    members = sorted(n[0] for n in nodes)
    od = []
    for _ in range(n_flows):
        o, d = rng.choice(members, 2, replace=False)
        od.append((str(o), str(d), float(rng.integers(5, 200))))
    hubs = [
        (
            f"S{k:04d}",
            f"Site {k}",
            members[k % len(members)],
            k % 17 == 0,
            int(2 + k % 9),
            float(400 * (2 + k % 9)),
            2025 + k % 6,
            float(k % 10) / 10,
        )
        for k in range(min(n_hubs, n_nodes))
    ]
    return write_run(folder, nodes=nodes, edges=edge_list, od=od, hubs=hubs, afir=True, scenario="europe-sized")


# ----------------------------------------------------------------------------- helpers

EXTERNAL_REF = re.compile(
    r"<(?:script|link|img|iframe|source|embed)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//",
    re.IGNORECASE,
)


def assert_offline_html(text: str) -> None:
    """No script/link/img tag may load anything over the network."""
    assert EXTERNAL_REF.search(text) is None, EXTERNAL_REF.search(text)
    assert "@import" not in text


def assert_png_not_blank(path: Path) -> None:
    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[0] > 500 and img.shape[1] > 500
    rgb = img[..., :3].reshape(-1, 3)
    assert float(rgb.std()) > 0.02
    assert len(np.unique((rgb[::97] * 255).astype(np.uint8), axis=0)) > 20


def map_payload(text: str) -> dict:
    """The JSON data block of a map.html page."""
    m = re.search(r'<script id="planner-data" type="application/json">(.*?)</script>', text, re.S)
    assert m, "planner-data block missing"
    return json.loads(m.group(1))


def hub_count_in_html(text: str) -> int:
    m = re.search(r'data-hub-count="(\d+)"', text)
    assert m, "data-hub-count missing"
    return int(m.group(1))


# ------------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    run = write_run(tmp_path_factory.mktemp("run") / "full")
    return run, render_run(run)


def test_render_run_writes_all_files(rendered: tuple[Path, list[Path]]) -> None:
    run, paths = rendered
    names = sorted(p.name for p in paths)
    assert names == ["map.html", "map.png", "map.svg", "report.html"]
    for p in paths:
        assert p.parent == run and p.is_file() and p.stat().st_size > 1000
    assert_png_not_blank(run / "map.png")
    svg = (run / "map.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "<dc:date>" not in svg


def test_html_is_offline_and_counts_hubs(rendered: tuple[Path, list[Path]]) -> None:
    run, _ = rendered
    n_hubs = len(pd.read_csv(run / "hubs.csv"))
    web = (run / "map.html").read_text(encoding="utf-8")
    report = (run / "report.html").read_text(encoding="utf-8")
    for text in (web, report):
        assert_offline_html(text)
    assert hub_count_in_html(web) == n_hubs
    assert "L.map(" in web and "leaflet-container" in web  # Leaflet inlined
    assert "tile.openstreetmap.org" not in web
    assert "@media print" in report and "<svg" in report


def test_text_is_escaped(rendered: tuple[Path, list[Path]]) -> None:
    run, _ = rendered
    report = (run / "report.html").read_text(encoding="utf-8")
    assert "&lt;A1&gt; &amp; Co" in report
    assert "<A1>" not in report
    web = (run / "map.html").read_text(encoding="utf-8")
    assert "<A1>" not in web  # hub data sits in JSON with < escaped


def test_report_content(rendered: tuple[Path, list[Path]]) -> None:
    run, _ = rendered
    report = (run / "report.html").read_text(encoding="utf-8")
    for text in (
        "gaps between stops &lt;= range",
        "optimal",
        "highs",
        "Served share",
        "Rollout by year",
        "Served share vs number of hubs",
        "Unserved flows",
        "per country",
        "Top hubs",
    ):
        assert text in report, text
    for fid in json.loads((run / "summary.json").read_text())["unservable_flows"]:
        assert fid in report


def test_the_curve_says_its_smaller_plans_break_an_enforced_afir(
    rendered: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    run, _ = rendered
    note = "AFIR is enforced, and the plans with fewer hubs than this one do not meet it"
    assert note not in (run / "report.html").read_text(encoding="utf-8")
    enforced = write_run(tmp_path / "enforced")
    summary = json.loads((enforced / "summary.json").read_text())
    summary["afir"] = {**(summary.get("afir") or {}), "mode": "enforce"}
    (enforced / "summary.json").write_text(json.dumps(summary))
    render_run(enforced)
    report = (enforced / "report.html").read_text(encoding="utf-8")
    assert "Served share vs number of hubs" in report and note in report


def test_a_truck_km_objective_shows_its_served_share_of_truck_km(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run")
    summary = json.loads((run / "summary.json").read_text())
    assert summary.get("metric") != "truck_km"
    render_run(run)
    assert "Served share of truck-km" not in (run / "report.html").read_text(encoding="utf-8")
    summary.update(metric="truck_km", total_truck_km=8000.0, covered_truck_km=5000.0)
    (run / "summary.json").write_text(json.dumps(summary))
    render_run(run)
    report = (run / "report.html").read_text(encoding="utf-8")
    assert re.search(r"Served share of truck-km</[^>]+>\s*<[^>]+>62\.5\s*%", report), report[:3000]


def test_deterministic(tmp_path: Path) -> None:
    a = render_run(write_run(tmp_path / "a"))
    b = render_run(write_run(tmp_path / ".b.tmp-x1y2"))
    first = {p.name: p.read_bytes() for p in a}
    again = {p.name: p.read_bytes() for p in render_run(tmp_path / "a")}
    other = {p.name: p.read_bytes() for p in b}
    for name, data in first.items():
        assert data == again[name], f"{name} differs between two renders"
        assert data == other[name], f"{name} depends on the folder path"


def test_missing_optional_columns(tmp_path: Path) -> None:
    run = write_run(tmp_path / "plain", optional=False, afir=False)
    paths = render_run(run, title="Plain <run>")
    assert len(paths) == 4
    assert_png_not_blank(run / "map.png")
    report = (run / "report.html").read_text(encoding="utf-8")
    assert "Plain &lt;run&gt;" in report
    assert "Rollout by year" not in report and "Served share vs number of hubs" not in report
    assert hub_count_in_html((run / "map.html").read_text(encoding="utf-8")) == len(HUBS)


def test_minimal_csv_only_run(tmp_path: Path) -> None:
    """No plan.gpkg, no summary keys beyond a few: still renders."""
    run = write_run(tmp_path / "csv", optional=False, gpkg=False)
    (run / "summary.json").write_text(json.dumps({"scenario": "tiny", "hub_count": 7}))
    paths = render_run(run, png=False, svg=False)
    assert sorted(p.name for p in paths) == ["map.html", "report.html"]
    assert hub_count_in_html((run / "map.html").read_text(encoding="utf-8")) == len(HUBS)


def test_no_hubs(tmp_path: Path) -> None:
    run = write_run(tmp_path / "empty", hubs=[])
    render_run(run)
    assert hub_count_in_html((run / "map.html").read_text(encoding="utf-8")) == 0
    assert_png_not_blank(run / "map.png")


def test_selected_outputs_and_tiles(tmp_path: Path) -> None:
    from planner.render.web_map import write_web_map

    run = write_run(tmp_path / "sel")
    assert [p.name for p in render_run(run, png=False, svg=False, report=False)] == ["map.html"]
    assert not (run / "map.png").exists()
    page = write_web_map(run, tmp_path / "tiles.html", tiles=True).read_text(encoding="utf-8")
    assert "tile.openstreetmap.org" in page
    assert_offline_html(page)  # tiles are fetched by Leaflet at run time, not by a tag


def test_comparison(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", scenario="base")
    b = write_run(
        tmp_path / "b",
        scenario="lean",
        hubs=HUBS[:4] + [("S-WAW", "Warszawa", "PL-WAW", False, 4, 3200.0, 2028, 0.5)],
        optional=False,
    )
    c = write_run(tmp_path / "c", scenario="tiny", hubs=HUBS[:2])
    (c / "summary.json").write_text(json.dumps({"scenario": "tiny", "hub_count": 2}))
    out = tmp_path / "cmp"
    paths = render_comparison([a, b, c], out)
    assert paths == [out / "compare.html"]
    page = paths[0].read_text(encoding="utf-8")
    assert_offline_html(page)
    for text in ("base", "lean", "tiny", "S-WAW", "Common to all runs", "<svg"):
        assert text in page, text
    assert render_comparison([a, b, c], out)[0].read_bytes() == page.encode("utf-8")


def test_europe_sized_run_is_fast(tmp_path: Path) -> None:
    run = write_big_run(tmp_path / "big")
    t0 = time.perf_counter()
    paths = render_run(run)
    elapsed = time.perf_counter() - t0
    assert len(paths) == 4
    assert hub_count_in_html((run / "map.html").read_text(encoding="utf-8")) == 300
    # "a few seconds" on a developer machine; generous bound for a loaded CI box
    assert elapsed < 30, f"render_run took {elapsed:.1f} s"
    # flows are aggregated: the page must not carry 5,000 route polylines
    assert (run / "map.html").stat().st_size < 3_000_000


def test_flows_without_route_nodes_use_route_lines(tmp_path: Path) -> None:
    from planner.render import load_run

    run = write_run(tmp_path / "noroute")
    flows = pd.read_csv(run / "flows.csv").drop(columns=["route_nodes"])
    flows.to_csv(run / "flows.csv", index=False)
    data = load_run(run)
    assert data.network is not None and data.network["served_volume"].sum() == 0
    assert data.flow_lines is not None and len(data.flow_lines) == len(OD)
    render_run(run)
    assert_png_not_blank(run / "map.png")
    flows = map_payload((run / "map.html").read_text(encoding="utf-8"))["flows"]["features"]
    assert len(flows) == len(OD)  # one route line per flow
    unserved = sum(1 for f in flows if f["properties"]["c"] > 0)
    assert unserved == sum(1 for i in range(len(OD)) if i % 4 == 3)


def test_almost_empty_folder(tmp_path: Path) -> None:
    run = tmp_path / "empty"
    run.mkdir()
    (run / "summary.json").write_text(json.dumps({"status": "infeasible", "mip_gap": None}))
    paths = render_run(run)
    assert len(paths) == 4
    assert hub_count_in_html((run / "map.html").read_text(encoding="utf-8")) == 0
    assert "infeasible" in (run / "report.html").read_text(encoding="utf-8")


def test_aggregate_edge_flows() -> None:
    from planner.render._load import aggregate_edge_flows

    net = gpd.GeoDataFrame(
        {"u": ["A", "C", "C"], "v": ["B", "B", "D"]},
        geometry=[
            LineString([(0, 0), (1, 0)]),
            LineString([(2, 0), (1, 0)]),
            LineString([(2, 0), (3, 0)]),
        ],
        crs="EPSG:4326",
    )
    flows = pd.DataFrame(
        {
            "route_nodes": ["A;B;C", "C;B", "D;C;B;A"],
            "volume": [10.0, 5.0, 7.0],
            "served": [True, True, False],
        }
    )
    assert aggregate_edge_flows(net, flows) == 5
    assert net["served_volume"].tolist() == [10.0, 15.0, 0.0]
    assert net["unserved_volume"].tolist() == [7.0, 7.0, 7.0]
    # a parallel edge (B-A after A-B) counts once; a step off the network and empty routes count nowhere
    net = pd.concat([net, net.iloc[[0]].assign(u="B", v="A")], ignore_index=True)
    flows = pd.DataFrame(
        {"route_nodes": ["", "A;B;C", "B;X;D", "C;B", "", "D;C;B;A", ""], "volume": [1.0, 10, 2, 5, 1, 7, 1]}
    ).assign(served=[True, True, True, True, False, False, False])
    assert aggregate_edge_flows(net, flows, factor=2.0) == 5
    assert net["served_volume"].tolist() == [20.0, 30.0, 0.0, 0.0]
    assert net["unserved_volume"].tolist() == [14.0, 14.0, 14.0, 0.0]


def test_maps_take_the_volumes_the_run_wrote(tmp_path: Path) -> None:
    # plan.gpkg's network layer carries each edge's trucks/day (a rollout's: its last year's): the maps
    # draw those instead of summing every flow's route again; a layer without them is summed here.
    from planner.render import load_run

    run = write_run(tmp_path / "run")
    summed = load_run(run).network
    layer = gpd.read_file(run / "plan.gpkg", layer="network")
    assert "served_volume" not in layer.columns and summed["served_volume"].sum() > 0
    layer["served_volume"] = summed["served_volume"] * 3.0
    layer["unserved_volume"] = summed["unserved_volume"] * 3.0
    layer.to_file(run / "plan.gpkg", layer="network", driver="GPKG")
    drawn = load_run(run).network
    assert drawn["served_volume"].tolist() == (summed["served_volume"] * 3.0).tolist()
    assert drawn["unserved_volume"].tolist() == (summed["unserved_volume"] * 3.0).tolist()
    layer["served_volume"] = layer["served_volume"].astype(object)
    layer.loc[0, "served_volume"] = "n/a"  # not a number: summed again
    layer.to_file(run / "plan.gpkg", layer="network", driver="GPKG")
    assert load_run(run).network["served_volume"].tolist() == summed["served_volume"].tolist()


# ------------------------------------------------------------------ board-ready maps (#16)

SERVED_RGB = (0, 114, 178)  # planner.render._style.SERVED
UNSERVED_RGB = (213, 94, 0)  # _style.UNSERVED
AFIR_RGB = (170, 51, 119)  # _style.AFIR


def colour_pixels(img: np.ndarray, rgb: tuple[int, int, int], tol: int = 12) -> int:
    """Number of pixels within ``tol`` (per channel, 0–255) of ``rgb``."""
    px = (img[..., :3] * 255).astype(int) if img.dtype != np.uint8 else img[..., :3].astype(int)
    return int((np.abs(px - np.array(rgb)).max(axis=-1) <= tol).sum())


def rect_pixels(img: np.ndarray, rect: tuple[float, float, float, float]) -> np.ndarray:
    """The part of a figure image inside ``rect`` (left, bottom, width, height as figure fractions)."""
    h, w = img.shape[:2]
    x0, y0, rw, rh = rect
    return img[int(h * (1 - y0 - rh)) : int(h * (1 - y0)), int(w * x0) : int(w * (x0 + rw))]


def test_style_constants_match_test_colours() -> None:
    from planner.render import _style as st

    for hex_colour, rgb in ((st.SERVED, SERVED_RGB), (st.UNSERVED, UNSERVED_RGB), (st.AFIR, AFIR_RGB)):
        assert tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)) == rgb


def test_band_widths_and_legend_values() -> None:
    from planner.render import _style as st

    # 98th percentile of 1..100 is 98.02, rounded down to 1/2/5 × 10^k: 50
    assert st.band_scale(np.arange(1, 101)) == 50.0
    assert st.band_legend_values(5000.0) == [200.0, 1000.0, 5000.0]
    w = st.band_width(np.array([0.0, 50.0, 200.0, 5000.0, 20000.0]), 5000.0)
    # √-scaled to 10 pt at the scale volume, at least 1.4 pt, capped above it
    assert w.tolist() == pytest.approx([1.4, 1.4, 2.0, 10.0, 10.0])
    core = st.core_width(np.array([100.0, 5000.0, 10.0]), np.array([5000.0, 5000.0, 20.0]), 5000.0)
    assert core[0] == pytest.approx(np.sqrt(100 / 5000) * 10)  # its own width on the same scale
    assert core[1] == pytest.approx(10.0)  # all unserved: the whole band
    assert core[2] <= st.band_width(20.0, 5000.0) - st.RIM_PT + 1e-9 or core[2] == st.CORE_MIN_PT


def test_hub_classes_by_power_and_crowding() -> None:
    from planner.render import _style as st

    hubs = pd.DataFrame({"power_kw": [1500.0, 4000.0, 4000.0, 12_000.0, 60_000.0], "locked": False})
    style = st.hub_style(hubs)
    assert style.size_by == "power_kw"
    assert [c[0] for c in style.classes] == ["< 2 MW", "2–5 MW", "10–20 MW", "≥ 50 MW"]
    assert style.hub_class.tolist() == [0, 1, 1, 3, 5]
    assert style.radius[0] < style.radius[1] < style.radius[3] < style.radius[4]
    crowded = st.hub_style(pd.DataFrame({"power_kw": np.full(1000, 4000.0), "locked": False}))
    assert crowded.radius.max() < style.radius.min() < 3.5  # 1,000 hubs: small discs


def small_map_png(run: Path) -> np.ndarray:
    """map.png's figure saved at 80 dpi (as map.png, faster) and read back."""
    from planner.render import load_run
    from planner.render._figure import save
    from planner.render.static_map import map_figure

    return mpimg.imread(save(map_figure(load_run(run)), run / "small.png", dpi=80))


def test_static_map_draws_served_and_unserved_bands(tmp_path: Path) -> None:
    from planner.render.static_map import MAP_RECT

    some = small_map_png(write_run(tmp_path / "some", afir=False))
    full = small_map_png(write_run(tmp_path / "full", afir=False, unserved_every=None))
    assert colour_pixels(rect_pixels(some, MAP_RECT), SERVED_RGB) > 2000
    assert colour_pixels(rect_pixels(some, MAP_RECT), UNSERVED_RGB) > 500  # the unserved flows show
    assert colour_pixels(rect_pixels(full, MAP_RECT), SERVED_RGB) > 2000
    assert colour_pixels(rect_pixels(full, MAP_RECT), UNSERVED_RGB) == 0
    assert colour_pixels(some, AFIR_RGB) == 0  # no AFIR measurement: no inset, no purple anywhere


def test_static_map_afir_inset(tmp_path: Path) -> None:
    from planner.render.static_map import INSET_RECT, MAP_RECT

    img = small_map_png(write_run(tmp_path / "afir"))
    assert colour_pixels(rect_pixels(img, INSET_RECT), AFIR_RGB) > 20  # gaps in the inset
    assert colour_pixels(rect_pixels(img, MAP_RECT), AFIR_RGB) == 0  # not over the flows


def test_country_outlines_are_not_clipped() -> None:
    from planner.render._assets import countries, countries_geojson

    world = gpd.GeoDataFrame.from_features(countries_geojson()["features"], crs="EPSG:4326")
    x0, y0, x1, y1 = world.total_bounds
    assert x0 <= -179 and x1 >= 179 and y1 >= 83  # the whole world: no cut edge when panning
    russia = world[world["iso_a2"] == "RU"].total_bounds
    assert russia[2] > 170  # Russia whole, not cut at 45° E as before
    assert world.is_valid.all()
    static = countries()  # cut far outside any European frame for EPSG:3035
    assert static.total_bounds[0] >= -45.0 and static.total_bounds[2] <= 80.0


def test_web_map_payload(tmp_path: Path) -> None:
    run = write_run(tmp_path / "web")
    render_run(run, png=False, svg=False, report=False)
    data = map_payload((run / "map.html").read_text(encoding="utf-8"))
    feats = data["flows"]["features"]
    assert feats and all(f["properties"]["w"] >= 1.4 * 1.25 - 1e-9 for f in feats)
    assert any(f["properties"]["c"] > 0 for f in feats)  # unserved cores
    assert all(f["properties"]["c"] <= f["properties"]["w"] for f in feats)
    assert data["cluster"] is False and len(data["gaps"]["features"]) == 2
    assert data["years"] == [2025, 2026, 2027, 2028]
    assert "Hubs open</span> <b>2</b>" in data["yearInfo"]["2025"]
    assert "Installed power (MW)</span> <b>11.2</b>" in data["yearInfo"]["2025"]  # (8×1000 + 8×400) kW
    assert "Installed power (MW)</span> <b>33.0</b>" in data["yearInfo"]["2028"]
    assert [h["year"] for h in data["hubs"]] == [h[6] for h in HUBS]


def test_year_table_cumulates_points_and_power(tmp_path: Path) -> None:
    from planner.render.years import year_table

    run = write_run(tmp_path / "years")
    table = year_table(json.loads((run / "summary.json").read_text()), pd.read_csv(run / "hubs.csv"))
    assert table["year"].tolist() == [2025, 2026, 2027, 2028]
    assert table["points"].tolist() == [16, 26, 40, 48]
    assert table["mw"].tolist() == pytest.approx([11.2, 18.2, 28.0, 33.0])


def test_report_per_year_section_and_readable_details(tmp_path: Path) -> None:
    run = write_run(tmp_path / "rep")
    summary = json.loads((run / "summary.json").read_text())
    summary["economics"] = {"opex_eur_per_year": 9.6e6, "assumptions": {"lifetime_years": 12}}
    summary["afir"] = {"year": 2030, "share": 0.25, "overall": {"total_km": 800.0, "compliant_km": 200.0}}
    summary["objective"], summary["metric"], summary["objective_value"] = "max_coverage", "truck_km", 1.234e7
    (run / "summary.json").write_text(json.dumps(summary))
    render_run(run, png=False, svg=False, html_map=False)
    report = (run / "report.html").read_text(encoding="utf-8")
    section = report[report.index('<section class="years">') : report.index("</section>", report.index("years"))]
    for year in (2025, 2026, 2027, 2028):
        assert f"<td class=n>{year}</td>" in section
    assert "Hubs open by year" in section and section.count("<svg") >= 4
    assert "€ 9.6 M/year" in report and "12 years" in report  # units, not raw numbers
    assert "Length 800 km; Compliant length 200 km" in report
    assert "12,340,000 truck-km/day" in report  # objective with its unit
    assert "entries" not in report and "2,030" not in report
    assert "size: A4 landscape" in report


def test_details_value_text() -> None:
    from planner.render.details import label, value_text

    assert value_text("year", 2030) == "2030" and value_text("opened_year", 2027.0) == "2027"
    assert value_text("opex_eur_per_year", 9.6e6) == "€ 9.6 M/year"  # a rate, not a year
    assert value_text("soc_min", 0.1) == "10.0 %" and value_text("consumption_kwh_per_km", 1.2) == "1.2 kWh/km"
    assert value_text("points_by_type", {"mcs": 320, "ccs": 0}) == "MCS 320; CCS 0"
    assert value_text("power_kw_by_type", {"mcs": 1000.0}) == "MCS 1,000 kW"
    assert value_text("met", True) == "yes" and value_text("x", None) == "–"
    assert label("energy_gwh_per_year") == "Energy charged" and label("max_spacing_km") == "Max spacing"
    assert label("gap_count") == "Gap count" and label("discounted_capex_eur") == "Discounted capex"
    # the hourly block's prices and gaps (not raw fractions, not "eur per mwh")
    assert label("tariff_eur_per_mwh") == "Tariff" and value_text("tariff_eur_per_mwh", 55.0) == "55 EUR/MWh"
    assert value_text("gap", 0.0436) == "4.4 %" and value_text("gap_any_energy", 0.369) == "36.9 %"
    assert value_text("capacity_charge_eur_per_kw_year", 100.0) == "100 EUR/kW/year"


def test_render_folder_refuses_foreign_folders_and_registers_files(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli import app
    from planner.errors import OutputError
    from planner.outdir import read_marker, write_marker
    from planner.render import render_folder

    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "summary.json").write_text("{}")
    with pytest.raises(OutputError, match=r"photos: not a run folder written by `planner run`"):
        render_folder(foreign)
    with pytest.raises(OutputError, match=r"phtos: no such folder; give the folder `planner run` wrote"):
        render_folder(tmp_path / "phtos")
    with pytest.raises(OutputError, match=r"summary.json: a file, not a folder; give the folder"):
        render_folder(foreign / "summary.json")
    result = CliRunner().invoke(app, ["render", str(foreign)])
    assert result.exit_code == 7 and "Traceback" not in result.output
    assert not (foreign / "map.png").exists()

    run = write_run(tmp_path / "run", optional=False, afir=False)
    write_marker(run, "run", ["summary.json", "hubs.csv", "flows.csv", "plan.gpkg"])
    paths = render_folder(run)
    assert sorted(p.name for p in paths) == ["map.html", "map.png", "map.svg", "report.html"]
    files = read_marker(run)["files"]
    assert {"map.png", "map.svg", "map.html", "report.html", "hubs.csv"} <= set(files)

    # A user's file named like a map is not drawn over; a comparison folder is not a run (both were, until
    # 2026-12-05: the user's map.png replaced, a map of nothing drawn into the comparison).
    for path in paths:
        path.unlink()
    write_marker(run, "run", ["summary.json", "hubs.csv", "flows.csv", "plan.gpkg"])
    (run / "map.svg").write_text("mine")
    with pytest.raises(OutputError, match=r"run: holds 'map.svg', which the planner did not write and would replace"):
        render_folder(run)
    assert (run / "map.svg").read_text() == "mine"
    compare = tmp_path / "cmp"
    compare.mkdir()
    write_marker(compare, "compare", [])
    with pytest.raises(OutputError, match=r"cmp: not a run folder written by .* \(a planner compare folder\)"):
        render_folder(compare)
    assert sorted(p.name for p in compare.iterdir()) == [".planner-output.json"]


def test_roads_outside_the_ten_t_are_not_drawn_as_core(tmp_path: Path) -> None:
    # An empty tier is a road outside the TEN-T (e.g. Great Britain): grey, its own legend entry.
    from matplotlib.figure import Figure

    from planner.render import _style as st
    from planner.render._load import _load_network
    from planner.render._mapbase import draw_network

    lines = [LineString([(0, 50), (1, 50)]), LineString([(1, 50), (2, 51)])]
    gpd.GeoDataFrame(
        {"u": ["A", "B"], "v": ["B", "C"], "tier": ["core", ""], "mode": ["road", "road"]},
        geometry=lines,
        crs="EPSG:4326",
    ).to_file(tmp_path / "network.geojson", driver="GeoJSON", engine="pyogrio")
    net = _load_network(tmp_path, set())
    assert net["tier"].tolist() == ["core", "non_ten_t"]
    labels = [label for _, label in draw_network(Figure().add_subplot(), net)]
    assert labels == ["Core TEN-T network", "Roads outside the TEN-T"]
    assert st.tier_style("non_ten_t") == st.OTHER_TIER != st.TIER_STYLE["core"]


def test_report_coverage_by_country_table() -> None:
    from planner.render.report import _coverage_by_country

    summary = {
        "by_country": {
            "GB": {"flows": 10, "flows_served": 9, "volume": 120.0, "served_volume": 100.0, "served_share": 100 / 120,
                   "hubs": 2, "charging_points": 8},
            "IE": {"flows": 3, "flows_served": 3, "volume": 20.0, "served_volume": 20.0, "served_share": 1.0,
                   "hubs": 0, "charging_points": 0},
        },
        "by_region": {"GB-NIR": {"flows": 2, "flows_served": 2, "volume": 5.0, "served_volume": 5.0,
                                 "served_share": 1.0}},
    }  # fmt: skip
    html = _coverage_by_country(summary)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Coverage by country" in text
    assert "GB 10 9 120 83.3 % 2 8" in text and "of which GB-NIR 2 2 5 100.0 % – –" in text
    assert text.index("GB-NIR") < text.index("IE 3")  # the region right after its country
    assert _coverage_by_country({}) == ""
