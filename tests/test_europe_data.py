"""Consistency tests of the embedded European dataset (data/europe/), offline and fast."""

from __future__ import annotations

import json
import math
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from planner.gravity import load_zones

DATA = Path(__file__).resolve().parents[1] / "data" / "europe"
EARTH_RADIUS_KM = 6371.0088

CORRIDORS = [
    "Atlantic",
    "North Sea-Baltic",
    "North Sea-Rhine-Mediterranean",
    "Scandinavian-Mediterranean",
    "Baltic Sea-Adriatic Sea",
    "Mediterranean",
    "Rhine-Danube",
    "Baltic Sea-Black Sea-Aegean Sea",
    "Western Balkans-Eastern Mediterranean",
]
# capital of every covered country: EU-27, NO, CH, GB and the Western Balkans
CAPITALS = {
    "AT": "AT-VIENNA", "BE": "BE-BRUSSELS", "BG": "BG-SOFIA", "HR": "HR-ZAGREB",
    "CY": "CY-NICOSIA", "CZ": "CZ-PRAGUE", "DK": "DK-COPENHAGEN", "EE": "EE-TALLINN",
    "FI": "FI-HELSINKI", "FR": "FR-PARIS", "DE": "DE-BERLIN", "GR": "GR-ATHENS",
    "HU": "HU-BUDAPEST", "IE": "IE-DUBLIN", "IT": "IT-ROME", "LV": "LV-RIGA",
    "LT": "LT-VILNIUS", "LU": "LU-LUXEMBOURG", "MT": "MT-VALLETTA", "NL": "NL-AMSTERDAM",
    "PL": "PL-WARSAW", "PT": "PT-LISBON", "RO": "RO-BUCHAREST", "SK": "SK-BRATISLAVA",
    "SI": "SI-LJUBLJANA", "ES": "ES-MADRID", "SE": "SE-STOCKHOLM", "NO": "NO-OSLO",
    "CH": "CH-BERN", "GB": "GB-LONDON", "RS": "RS-BELGRADE", "BA": "BA-SARAJEVO",
    "ME": "ME-PODGORICA", "MK": "MK-SKOPJE", "AL": "AL-TIRANA", "XK": "XK-PRISTINA",
}  # fmt: skip
MAJOR_PORTS = [
    "NL-P-ROTTERDAM", "BE-P-ANTWERP", "DE-P-HAMBURG", "DE-P-BREMERHAVEN", "DE-P-WILHELMSHAVEN",
    "FR-P-LE-HAVRE", "FR-P-DUNKIRK", "FR-P-FOS", "ES-P-BARCELONA", "ES-P-VALENCIA",
    "ES-P-ALGECIRAS", "PT-P-SINES", "ES-P-BILBAO", "IT-GENOA", "IT-P-LA-SPEZIA", "IT-P-LIVORNO",
    "IT-P-TRIESTE", "SI-P-KOPER", "HR-P-RIJEKA", "PL-GDANSK", "PL-P-GDYNIA", "PL-P-SZCZECIN",
    "GR-P-PIRAEUS", "GR-THESSALONIKI", "RO-P-CONSTANTA", "GB-P-FELIXSTOWE", "GB-P-SOUTHAMPTON",
    "GB-P-LONDON-GATEWAY", "GB-T-DOVER", "FR-T-CALAIS", "BE-P-ZEEBRUGGE", "SE-GOTHENBURG",
    "DK-AARHUS",
]  # fmt: skip
KEY_CROSSINGS = [
    "AT-IT-B-BRENNER", "CH-B-GOTTHARD", "FR-IT-B-FREJUS", "FR-IT-B-MONT-BLANC",
    "CH-B-SAN-BERNARDINO", "CH-B-SIMPLON", "CH-IT-B-GREAT-ST-BERNARD", "AT-IT-B-ARNOLDSTEIN",
    "AT-SI-B-KARAWANKEN", "FR-IT-B-VENTIMIGLIA", "ES-FR-B-BIRIATOU", "ES-FR-B-LE-PERTHUS",
    "DE-PL-B-SWIECKO", "GB-IE-B-NEWRY",
]  # fmt: skip
# the joint venture's non-EU market: every one of these must be planned by default
MARKET_NODES = {
    "GB": ["GB-LONDON", "GB-BIRMINGHAM", "GB-MANCHESTER", "GB-LEEDS", "GB-GLASGOW", "GB-EDINBURGH",
           "GB-BRISTOL", "GB-CARDIFF", "GB-NEWCASTLE", "GB-ABERDEEN", "GB-PLYMOUTH", "GB-NORWICH",
           "GB-T-DOVER", "GB-P-FELIXSTOWE", "GB-P-SOUTHAMPTON", "GB-P-IMMINGHAM", "GB-P-LIVERPOOL",
           "GB-T-HOLYHEAD", "GB-T-CAIRNRYAN"],
    "GB-NIR": ["GB-BELFAST", "GB-T-LARNE", "GB-DERRY", "GB-IE-B-NEWRY"],
    "NO": ["NO-OSLO", "NO-BERGEN", "NO-TRONDHEIM", "NO-STAVANGER", "NO-KRISTIANSAND"],
    "CH": ["CH-ZURICH", "CH-BERN", "CH-BASEL", "CH-GENEVA", "CH-LAUSANNE", "CH-LUGANO", "CH-ST-GALLEN"],
}  # fmt: skip
LINKS = {  # (u, v) -> mode
    ("FR-T-CALAIS", "GB-T-DOVER"): "ferry",
    ("FR-T-COQUELLES", "GB-T-FOLKESTONE"): "rail_shuttle",
    ("DE-T-PUTTGARDEN", "DK-T-RODBY"): "ferry",
    ("DE-P-ROSTOCK", "SE-T-TRELLEBORG"): "ferry",
    ("DE-T-TRAVEMUENDE", "SE-T-TRELLEBORG"): "ferry",
    ("DE-T-TRAVEMUENDE", "SE-MALMO"): "ferry",
    ("EE-TALLINN", "FI-HELSINKI"): "ferry",
    ("IT-T-MESSINA", "IT-T-VILLA-SAN-GIOVANNI"): "ferry",
    ("FR-P-DUNKIRK", "GB-T-DOVER"): "ferry",
    ("GB-BELFAST", "GB-T-CAIRNRYAN"): "ferry",
    ("GB-T-CAIRNRYAN", "GB-T-LARNE"): "ferry",
    ("GB-BELFAST", "GB-P-LIVERPOOL"): "ferry",
    ("GB-P-LIVERPOOL", "IE-DUBLIN"): "ferry",
    ("GB-T-HOLYHEAD", "IE-DUBLIN"): "ferry",
    ("GB-T-PEMBROKE-DOCK", "IE-T-ROSSLARE"): "ferry",
    ("DK-T-HIRTSHALS", "NO-KRISTIANSAND"): "ferry",
}
EU27 = {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
}  # fmt: skip
# Alpine and sea crossing edges with a generalised route cost (route_penalty_km), calibrated on published counts
PENALISED = {
    ("AT-INNSBRUCK", "AT-IT-B-BRENNER"), ("CH-B-GOTTHARD", "CH-J-LUZERN"),
    ("CH-B-SAN-BERNARDINO", "CH-J-CHUR"), ("CH-B-SIMPLON", "CH-J-BRIG"),
    ("CH-IT-B-GREAT-ST-BERNARD", "CH-J-MARTIGNY"), ("FR-IT-B-FREJUS", "FR-J-CHAMBERY"),
    ("CH-GENEVA", "FR-IT-B-MONT-BLANC"), ("FR-IT-B-VENTIMIGLIA", "FR-NICE"),
    ("FR-T-CALAIS", "GB-T-DOVER"), ("FR-P-DUNKIRK", "GB-T-DOVER"), ("FR-T-COQUELLES", "GB-T-FOLKESTONE"),
    ("GB-T-HOLYHEAD", "IE-DUBLIN"), ("GB-P-LIVERPOOL", "IE-DUBLIN"), ("GB-T-PEMBROKE-DOCK", "IE-T-ROSSLARE"),
    ("GB-BELFAST", "GB-T-CAIRNRYAN"), ("GB-T-CAIRNRYAN", "GB-T-LARNE"), ("GB-BELFAST", "GB-P-LIVERPOOL"),
}  # fmt: skip
KINDS = {"capital", "city", "port", "logistics", "border", "junction", "terminal"}


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


@pytest.fixture(scope="module")
def nodes() -> pd.DataFrame:
    return pd.read_csv(DATA / "nodes.csv", dtype={"id": str}, keep_default_na=False)


@pytest.fixture(scope="module")
def edges() -> pd.DataFrame:
    return pd.read_csv(DATA / "edges.csv", keep_default_na=False)


@pytest.fixture(scope="module")
def graph(nodes: pd.DataFrame, edges: pd.DataFrame) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from(nodes["id"])
    for r in edges.itertuples():
        g.add_edge(r.u, r.v, length_km=float(r.length_km), mode=r.mode, corridor=r.corridor)
    return g


def test_node_table(nodes: pd.DataFrame) -> None:
    assert list(nodes.columns[:6]) == ["id", "name", "lon", "lat", "country", "kind"]
    assert set(nodes["region"]) == {"", "GB-NIR"}
    assert nodes["id"].is_unique
    assert len(nodes) >= 300
    assert set(nodes["kind"]) <= KINDS
    assert nodes["lon"].between(-11, 35).all() and nodes["lat"].between(34, 72).all()
    assert set(nodes["country"]) == set(CAPITALS)
    assert (nodes["name"].str.len() > 0).all()


def test_all_capitals_ports_and_crossings_present(nodes: pd.DataFrame) -> None:
    by_id = nodes.set_index("id")
    for country, nid in CAPITALS.items():
        assert nid in by_id.index, nid
        assert by_id.loc[nid, "country"] == country
        assert by_id.loc[nid, "kind"] == "capital"
    assert (nodes["kind"] == "capital").sum() == len(CAPITALS)
    for nid in MAJOR_PORTS + KEY_CROSSINGS:
        assert nid in by_id.index, nid


def test_edge_table(edges: pd.DataFrame, nodes: pd.DataFrame) -> None:
    ids = set(nodes["id"])
    assert set(edges["u"]) | set(edges["v"]) <= ids
    assert (edges["u"] < edges["v"]).all()  # canonical orientation, no self loops
    assert not edges.duplicated(["u", "v"]).any()
    assert (edges["length_km"] > 0).all()
    assert set(edges["mode"]) == {"road", "ferry", "rail_shuttle"}
    assert set(edges["tier"]) == {"core", "comprehensive", ""}  # "": not TEN-T
    assert set(edges["length_source"]) == {"known", "circuity"}
    for corr in edges["corridor"]:
        assert corr == "" or set(corr.split(";")) <= set(CORRIDORS)
    countries = set(nodes["country"])
    for c in edges["country"]:
        assert set(c.split(";")) <= countries


def test_graph_connected(graph: nx.Graph) -> None:
    assert nx.is_connected(graph)


def test_tier_is_the_honest_ten_t_status(edges: pd.DataFrame) -> None:
    """The data contract: UK and most Swiss roads are not TEN-T; non-EU TEN-T only where documented."""
    lies_in = edges["country"].str.split(";").apply(set)
    uk = lies_in.apply(lambda c: "GB" in c)
    assert (edges.loc[uk, "tier"] == "").all()  # incl. the Channel, Irish Sea and North Channel links
    assert uk.sum() > 100
    swiss = lies_in.apply(lambda c: c == {"CH"})
    a2 = swiss & edges["road"].str.contains("E35")
    assert set(edges.loc[a2, "tier"]) == {"core"}  # Basel-Gotthard-Chiasso, NSRM (Rhine-Alpine) section
    assert set(edges.loc[swiss & ~a2, "tier"]) == {""}
    norway = lies_in.apply(lambda c: c == {"NO"}) & (edges["mode"] == "road")
    assert set(edges.loc[norway, "tier"]) == {"core", "comprehensive"}  # EEA: TEN-T via the EEA Agreement
    assert set(edges.loc[norway & (edges["tier"] == "core"), "road"]) <= {"E6", "E18"}
    non_eu = ~lies_in.apply(lambda c: bool(c & EU27))
    assert set(edges.loc[non_eu & (edges["tier"] != ""), "country"].str.split(";").explode()) <= {
        "NO", "CH", "RS", "BA", "ME", "MK", "AL", "XK",
    }  # fmt: skip


def test_joint_venture_market_nodes_and_northern_ireland(nodes: pd.DataFrame, graph: nx.Graph) -> None:
    by_id = nodes.set_index("id")
    for market, ids in MARKET_NODES.items():
        for nid in ids:
            assert nid in by_id.index, nid
            if market == "GB-NIR":
                assert by_id.loc[nid, "region"] == "GB-NIR" and by_id.loc[nid, "country"] == "GB"
    assert set(nodes.loc[nodes["region"] == "GB-NIR", "id"]) >= set(MARKET_NODES["GB-NIR"])
    # Dublin-Belfast by road; Great Britain <-> Northern Ireland only by sea
    road = graph.edge_subgraph([(u, v) for u, v, m in graph.edges(data="mode") if m == "road"])
    assert nx.has_path(road, "IE-DUBLIN", "GB-BELFAST")
    assert not nx.has_path(road, "GB-LONDON", "GB-BELFAST")
    for a, b in (("GB-GLASGOW", "GB-BELFAST"), ("NO-STAVANGER", "NO-BERGEN"), ("GB-LONDON", "NO-OSLO")):
        assert nx.has_path(graph, a, b)


def test_route_penalties_only_on_documented_crossings(edges: pd.DataFrame) -> None:
    penalty = pd.to_numeric(edges["route_penalty_km"].replace("", "0"))
    assert (penalty >= 0).all()
    marked = {(u, v) for u, v, p in zip(edges["u"], edges["v"], penalty, strict=True) if p > 0}
    assert marked and marked <= PENALISED


def test_ferry_and_shuttle_links(edges: pd.DataFrame) -> None:
    by_pair = edges.set_index(["u", "v"])
    for (u, v), mode in LINKS.items():
        assert by_pair.loc[(u, v), "mode"] == mode
    links = edges[edges["mode"] != "road"]
    assert (links["length_source"] == "known").all()
    # no road edge between Great Britain and the continent or Ireland
    road = edges[edges["mode"] == "road"]
    for r in road.itertuples():
        ends = {r.u[:2], r.v[:2]}
        if "GB" in ends and ends != {"GB"}:
            assert ends == {"GB", "IE"}, (r.u, r.v)  # only Dublin-Belfast crosses a land border
    # islands are reached by sea only
    for island in ("MT-VALLETTA", "CY-NICOSIA", "IT-PALERMO"):
        assert island in set(edges["u"]) | set(edges["v"])


def test_road_edge_lengths(edges: pd.DataFrame, nodes: pd.DataFrame) -> None:
    pos = nodes.set_index("id")[["lon", "lat"]]
    factors = pd.read_csv(DATA / "derive" / "circuity_factors.csv").set_index("terrain")
    band_lo = 1.0
    band_hi = float(factors["max_ratio"].max())
    road = edges[edges["mode"] == "road"]
    assert road["length_km"].max() <= 165.0
    for r in road.itertuples():
        gc = haversine_km(*pos.loc[r.u], *pos.loc[r.v])
        ratio = r.length_km / gc
        tol = 0.06 / gc  # lengths are rounded to 0.1 km
        assert band_lo - tol <= ratio <= band_hi + tol, (r.u, r.v, ratio)
        if r.length_source == "circuity":
            assert ratio == pytest.approx(factors.loc[r.terrain, "factor"], abs=tol + 1e-3)


def test_corridor_continuity(edges: pd.DataFrame) -> None:
    for corridor in CORRIDORS:
        sub = edges[edges["corridor"].str.split(";").apply(lambda cs, c=corridor: c in cs)]
        assert len(sub) >= 20, corridor
        h = nx.from_pandas_edgelist(sub, "u", "v")
        assert nx.is_connected(h), corridor


def test_distance_checks(graph: nx.Graph) -> None:
    checks = pd.read_csv(DATA / "distance_checks.csv")
    assert list(checks.columns) == ["from", "to", "reference_km", "reference_source"]
    assert len(checks) >= 60
    pairs = checks["from"] + " " + checks["to"]
    for market, at_least in (("GB-", 20), ("GB-BELFAST", 2), ("NO-", 5), ("CH-", 8)):
        assert pairs.str.contains(market).sum() >= at_least, market
    road = graph.edge_subgraph([(u, v) for u, v, m in graph.edges(data="mode") if m == "road"])
    for c in checks.itertuples():
        d = nx.shortest_path_length(road, c[1], c[2], weight="length_km")
        assert abs(d - c.reference_km) <= 0.10 * c.reference_km, (c[1], c[2], d, c.reference_km)


def test_zones(nodes: pd.DataFrame) -> None:
    zones = load_zones(DATA / "zones.csv")
    assert set(zones["node"]) <= set(nodes["id"])
    assert (zones["weight"] > 0).all()
    assert set(zones["kind"]) == {"city", "port"}
    assert (zones["assign_km"] <= 60.0).all()
    cities, ports = zones[zones["kind"] == "city"], zones[zones["kind"] == "port"]
    assert (cities["population"] >= 50_000).all()
    # gravity mass = population; Great Britain's zones x the factor calibrated on the DfT statistics
    # (Northern Ireland, not covered by them, keeps 1 like Ireland)
    uk = json.loads((DATA / "gravity_params.json").read_text())["checks"]["uk_zone_weight_factor"]
    assert 0.3 < uk < 1.0
    ni = set(nodes.loc[nodes["region"] == "GB-NIR", "id"])
    factor = cities["country"].map({"GB": uk}).fillna(1.0).where(~cities["node"].isin(ni), 1.0)
    assert (cities["weight"] - (cities["population"] * factor).round()).abs().max() <= 0.5
    assert (factor < 1).sum() > 100 and cities["node"].isin(ni).sum() >= 5
    assert set(zones.loc[zones["country"].isin(["NO", "CH"]), "node"].str[:2]) <= {"NO", "CH", "SE", "DE", "IT", "FR"}
    for market in ("GB", "NO", "CH"):
        assert (cities["country"] == market).sum() >= 5, market
    assert zones["node"].isin(ni).sum() >= 6  # Belfast (city, port), Newtownabbey, Bangor, Lisburn, Derry, ...
    assert ports["port_mt"].notna().all() and (ports["port_mt"] > 0).all()
    assert {"NL-P-ROTTERDAM", "BE-P-ANTWERP", "DE-P-HAMBURG"} <= set(ports["node"])
