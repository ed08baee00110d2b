"""The tier data contract, the planning scope (``[network] tiers``/``countries``) and route penalties."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planner.demand import load_flows, route_flows
from planner.errors import DataError, ScenarioError
from planner.network import edge_countries, load_network, network_from_frames
from planner.scenario import DemandConfig, NetworkConfig, load_scenario
from tests.conftest import write_csv, write_scenario

# A-B-C on a west-east line at 50° N (1° lon ≈ 71.5 km), D south of B, E-F an island reached by ferry.
NODES = [
    ("A", "0.0", "50.0", "DE"),
    ("B", "1.3", "50.0", "DE"),
    ("C", "2.6", "50.0", "FR"),
    ("D", "1.3", "49.0", "CH"),
    ("E", "3.2", "50.0", "GB"),
    ("F", "4.5", "50.0", "GB"),
]
EDGES = [  # u, v, length_km, tier, country, mode
    ("A", "B", "100", "core", "DE", "road"),
    ("B", "C", "100", "comprehensive", "DE;FR", "road"),
    ("B", "D", "120", "", "CH;DE", "road"),
    ("C", "E", "50", "non_ten_t", "FR;GB", "ferry"),
    ("E", "F", "100", "non_ten_t", "GB", "road"),
]


def frames(edges: list[tuple] = EDGES) -> tuple[pd.DataFrame, pd.DataFrame]:
    nodes = pd.DataFrame(NODES, columns=["id", "lon", "lat", "country"]).assign(name=lambda f: f["id"])
    return nodes, pd.DataFrame(edges, columns=["u", "v", "length_km", "tier", "country", "mode"])


def kept(net) -> set[str]:
    return set(net.edges["edge_id"])


def test_tier_contract_empty_and_non_ten_t_are_not_ten_t() -> None:
    net = network_from_frames(*frames(), source="t")
    tiers = dict(zip(net.edges["edge_id"], net.edges["tier"], strict=True))
    assert tiers == {"A~B": "core", "B~C": "comprehensive", "B~D": "", "C~E": "", "E~F": ""}
    assert net.graph.edges["E", "F"]["tier"] == "" and net.graph.edges["F", "E"]["tier"] == ""
    assert net.whole_graph is net.graph and net.out_of_scope_nodes == frozenset()


def test_bad_tier_and_missing_tier_column() -> None:
    nodes, edges = frames()
    edges.loc[0, "tier"] = "primary"
    with pytest.raises(DataError, match=r"edge A–B has tier 'primary'; use core, comprehensive, or leave it empty"):
        network_from_frames(nodes, edges, source="t")
    # a file without any tier column (e.g. built from OSM) counts as core throughout
    net = network_from_frames(nodes, frames()[1].drop(columns="tier"), source="t")
    assert set(net.edges["tier"]) == {"core"}


@pytest.mark.parametrize(
    ("tiers", "expected"),
    [
        (("core",), {"A~B"}),
        (("core", "comprehensive"), {"A~B", "B~C"}),
        (("non_ten_t",), None),  # B-D and C-E-F are not connected to each other
        (("core", "comprehensive", "non_ten_t"), {"A~B", "B~C", "B~D", "C~E", "E~F"}),
    ],
)
def test_tier_scope(tiers: tuple[str, ...], expected: set[str] | None) -> None:
    if expected is None:
        with pytest.raises(DataError, match=r"not connected: 2 components .*scope: tiers non_ten_t; all countries"):
            network_from_frames(*frames(), source="t", tiers=tiers)
        return
    net = network_from_frames(*frames(), source="t", tiers=tiers)
    assert kept(net) == expected
    assert set(net.whole_graph.nodes) == {"A", "B", "C", "D", "E", "F"}
    assert net.out_of_scope_nodes == frozenset(set("ABCDEF") - set(net.graph.nodes))


def test_country_scope_keeps_edges_lying_only_in_listed_countries() -> None:
    eu = network_from_frames(*frames(), source="t", countries=("DE", "FR"))
    assert kept(eu) == {"A~B", "B~C"}  # B-D lies partly in CH, the ferry C-E reaches GB
    gb = network_from_frames(*frames(), source="t", countries=("GB",))
    assert kept(gb) == {"E~F"}
    with_ferry = network_from_frames(*frames(), source="t", countries=("DE", "FR", "GB"))
    assert kept(with_ferry) == {"A~B", "B~C", "C~E", "E~F"}  # a ferry follows the countries it connects
    # an edge without a country column lies in its end nodes' countries
    nodes, edges = frames()
    edges["country"] = ""
    assert kept(network_from_frames(nodes, edges, source="t", countries=("DE",))) == {"A~B"}


def test_country_scope_errors() -> None:
    with pytest.raises(
        DataError, match=r"network.countries lists IT, which no edge lies in; use codes of this network"
    ):
        network_from_frames(*frames(), source="t", countries=("DE", "IT"))
    no_ferry = frames([e for e in EDGES if e[5] == "road"])
    with pytest.raises(
        DataError, match=r"not connected: 2 components \(3 node\(s\) incl. A, B, C; 2 node\(s\) incl. E, F"
    ):
        network_from_frames(*no_ferry, source="t", countries=("DE", "FR", "GB"))
    nodes, edges = frames()
    nodes["country"], edges["country"] = "", ""
    with pytest.raises(DataError, match=r"edge A–B has no country .* fill them to use network.countries"):
        network_from_frames(nodes, edges, source="t", countries=("DE",))
    with pytest.raises(DataError, match=r"no edges left in the planning scope \(tiers core; countries GB\)"):
        network_from_frames(*frames(), source="t", tiers=("core",), countries=("GB",))


def test_route_penalty_steers_route_choice_only() -> None:
    nodes = pd.DataFrame(
        [("X", "0.0", "50.0"), ("Y", "1.2", "50.0"), ("Z", "0.6", "50.3")], columns=["id", "lon", "lat"]
    ).assign(name="n")
    edges = pd.DataFrame(
        [("X", "Y", "100", "100"), ("X", "Z", "80", ""), ("Y", "Z", "80", "0")],
        columns=["u", "v", "length_km", "route_penalty_km"],
    )
    net = network_from_frames(nodes, edges, source="t")
    assert net.graph.edges["X", "Y"]["route_km"] == 200.0 and net.graph.edges["X", "Y"]["length_km"] == 100.0
    flows = pd.DataFrame({"flow_id": ["f"], "origin": ["X"], "destination": ["Y"], "volume": [1.0]})
    routed = route_flows(flows, net)
    assert routed["route_nodes"].iloc[0] == ["X", "Z", "Y"]  # 160 km beats 100 km + 100 km of penalty
    assert routed["length_km"].iloc[0] == 160.0 and routed["drive_km"].iloc[0] == 160.0
    # without the penalty (or with the scenario switch off) the direct edge wins
    cheap = network_from_frames(nodes, edges.assign(route_penalty_km=""), source="t")
    assert route_flows(flows, cheap)["route_nodes"].iloc[0] == ["X", "Y"]
    off = network_from_frames(nodes, edges, source="t", route_penalties=False)
    assert off.graph.edges["X", "Y"]["route_km"] == 100.0
    assert route_flows(flows, off)["route_nodes"].iloc[0] == ["X", "Y"]
    edges.loc[0, "route_penalty_km"] = "-5"
    with pytest.raises(DataError, match=r"edge X–Y has route_penalty_km=-5; give a generalised cost >= 0 km"):
        network_from_frames(nodes, edges, source="t")


def _files(folder: Path) -> None:
    nodes, edges = frames()
    nodes.to_csv(folder / "nodes.csv", index=False)
    edges.to_csv(folder / "edges.csv", index=False)
    write_csv(
        folder / "zones.csv",
        "zone_id,node,weight,country",
        ["za,A,100,DE", "zc,C,200,FR", "zd,D,300,CH", "zf,F,400,GB"],
    )


def test_scoped_demand_keeps_the_whole_network_normalisation(tmp_path: Path) -> None:
    _files(tmp_path)
    demand = DemandConfig(zones=tmp_path / "zones.csv", total_trucks_per_day=1000.0, distance_decay=1.0, min_trip_km=0)

    def volumes(**scope) -> dict[tuple[str, str], float]:
        config = NetworkConfig(nodes=tmp_path / "nodes.csv", edges=tmp_path / "edges.csv", **scope)
        flows = load_flows(demand, load_network(config))
        return {(o, d): v for o, d, v in zip(flows["origin"], flows["destination"], flows["volume"], strict=True)}

    whole = volumes()
    assert len(whole) == 12 and sum(whole.values()) == pytest.approx(1000.0)
    # by hand: A-C 200 km, A-D 220, A-F 350 (ferry included), C-D 220, C-F 150, D-F 370
    raw = {"AC": 100 * 200 / 200, "AD": 100 * 300 / 220, "AF": 100 * 400 / 350}
    raw |= {"CD": 200 * 300 / 220, "CF": 200 * 400 / 150, "DF": 300 * 400 / 370}
    k = 1000.0 / (2 * sum(raw.values()))
    assert whole[("A", "C")] == pytest.approx(k * raw["AC"])
    eu = volumes(countries=["DE", "FR"])
    assert set(eu) == {("A", "C"), ("C", "A")}  # only trips between zones on the planned network
    assert eu[("A", "C")] == pytest.approx(whole[("A", "C")])  # ... with the whole network's volumes
    core = volumes(tiers=["core", "comprehensive"])
    assert core == eu


def test_flows_and_trips_outside_the_scope_are_named_as_such(tmp_path: Path) -> None:
    """A flow or trip ending at a node the scope cuts (countries = DE, FR drops D in CH) is not at an
    "unknown node" (until 2026-12-06 the message said so and advised node ids from the network, which D is)."""
    _files(tmp_path)
    net = load_network(
        NetworkConfig(nodes=tmp_path / "nodes.csv", edges=tmp_path / "edges.csv", countries=["DE", "FR"])
    )
    write_csv(tmp_path / "flows.csv", "id,origin,destination,volume", ["F1,A,C,5", "F2,A,D,5", "F3,A,Z,1"])
    with pytest.raises(DataError) as err:
        load_flows(DemandConfig(flows=tmp_path / "flows.csv"), net)
    assert str(err.value) == (
        f"{tmp_path / 'flows.csv'}: 2 flow(s) (F2, F3) start or end at node(s) D outside the planning scope "
        "(network.tiers / network.countries); widen the scope or remove those flows."
    )
    write_csv(tmp_path / "flows.csv", "id,origin,destination,volume", ["F1,A,C,5", "F3,A,Z,1"])
    with pytest.raises(DataError, match=r"1 flow\(s\) \(F3\) name unknown node\(s\) Z; use node ids from the network"):
        load_flows(DemandConfig(flows=tmp_path / "flows.csv"), net)
    write_csv(tmp_path / "trips.csv", "origin,destination", ["A,C", "D,A"])
    with pytest.raises(DataError) as err:
        load_flows(DemandConfig(trips=tmp_path / "trips.csv"), net)
    assert str(err.value) == (
        f"{tmp_path / 'trips.csv'}: 1 trip(s) (row 3) start or end at node(s) D outside the planning scope "
        "(network.tiers / network.countries); widen the scope or remove those trips."
    )


def test_scenario_scope_keys(tmp_path: Path) -> None:
    _files(tmp_path)
    base = {
        "name": "s",
        "network": {"nodes": "nodes.csv", "edges": "edges.csv", "tiers": ["core"]},
        "demand": {"zones": "zones.csv"},
        "objective": {"type": "min_cost"},
    }
    sc = load_scenario(write_scenario(tmp_path / "old.toml", base))
    assert sc.network.tiers == ["core"] and sc.network.countries is None  # old files keep working
    assert NetworkConfig(nodes=Path("n"), edges=Path("e")).tiers == ["core", "comprehensive", "non_ten_t"]
    for network, message in (
        ({"countries": ["de"]}, "countries"),
        ({"countries": []}, "countries"),
        ({"countries": ["DE", "DE"]}, "lists DE more than once"),
        ({"tiers": ["motorway"]}, "tiers"),
        ({"tiers": []}, "tiers"),
    ):
        data = {**base, "network": {**base["network"], **network}}
        with pytest.raises(ScenarioError, match=message):
            load_scenario(write_scenario(tmp_path / "bad.toml", data))


def test_shipped_network_old_core_scope_and_country_scopes() -> None:
    data = Path(__file__).resolve().parents[1] / "data" / "europe"
    files = {"nodes": data / "nodes.csv", "edges": data / "edges.csv"}
    core = load_network(NetworkConfig(**files, tiers=["core"]))  # what scenarios before the whole market used
    assert set(core.edges["tier"]) == {"core"}
    assert not any("GB" in c for c in edge_countries(core.edges, core.nodes))  # only the border node on the Irish M1
    assert {n for n in core.graph if n.startswith("GB-")} == {"GB-IE-B-NEWRY"}
    whole = load_network(NetworkConfig(**files))
    assert {"GB-BELFAST", "NO-BERGEN", "CH-LUGANO"} <= set(whole.graph) and not whole.out_of_scope_nodes
    uk = load_network(NetworkConfig(**files, countries=["GB"]))
    assert {n[:2] for n in uk.graph} == {"GB"} and "GB-BELFAST" in uk.graph  # joined by the North Channel ferries
    assert set(uk.edges["tier"]) == {""}
    with pytest.raises(DataError, match=r"not connected: 2 components .* countries NO, CH"):
        load_network(NetworkConfig(**files, countries=["NO", "CH"]))
