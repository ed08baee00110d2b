"""Trip-level demand (``[demand] trips``): trips aggregate into flows, plan like flows, fail in one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from planner.api import solve_scenario
from planner.demand import load_flows
from planner.demand_trips import _flow_ids, read_trips_csv
from planner.errors import DataError, ScenarioError
from planner.network import load_network
from planner.scenario import load_scenario
from tests.conftest import base_scenario, write_csv, write_scenario

# The flows of tests/test_plans.py (A N0→N4 10, B N0→N2 7, C N2→N4 6, D N1→N2 5) as single trips,
# shuffled, with and without trips_per_day; plus E N4→N0 (1.5), the reverse of A.
TRIPS = [
    "t1,N0,N2,4",
    "t2,N2,N4,1",
    "t3,N0,N4,2.5",
    "t4,N1,N2,5",
    "t5,N4,N0,1.5",
    "t6,N0,N4,7.5",
    "t7,N2,N4,5",
    "t8,N0,N2,3",
]
FLOWS = ["A,N0,N4,10", "B,N0,N2,7", "C,N2,N4,6", "D,N1,N2,5", "E,N4,N0,1.5"]


def _trips_scenario(
    folder: Path, rows: list[str], header: str = "trip_id,origin,destination,trips_per_day", **sections: dict
) -> Path:
    write_csv(folder / "trips.csv", header, rows)
    data = base_scenario(folder, flows=FLOWS, **sections)
    data["demand"] = {**data["demand"], "flows": None, "trips": "trips.csv"}
    return write_scenario(folder / "trips.toml", data)


def test_trips_aggregate_into_sorted_flows(line5: Path) -> None:
    path = write_csv(line5 / "trips.csv", "trip_id,origin,destination,trips_per_day", TRIPS)
    flows = read_trips_csv(path, load_network(load_scenario(_trips_scenario(line5, TRIPS)).network).graph)
    assert list(flows["flow_id"]) == ["T-N0-N2", "T-N0-N4", "T-N1-N2", "T-N2-N4", "T-N4-N0"]
    assert list(flows["volume"]) == pytest.approx([7.0, 10.0, 5.0, 6.0, 1.5])
    assert flows.attrs["demand"] == {"trips": 8, "flows": 5}


def test_flow_ids_are_numbered_when_node_ids_make_names_collide() -> None:
    assert list(_flow_ids(np.array(["A", "B"]), np.array(["B", "C"]))) == ["T-A-B", "T-B-C"]
    assert list(_flow_ids(np.array(["A-B", "A"]), np.array(["C", "B-C"]))) == ["T000001", "T000002"]


def test_trips_per_day_defaults_to_one_and_bev_share_applies(line5: Path) -> None:
    rows = ["N0,N4", "N2,N4", "N0,N4", "N0,N4"]
    sc = load_scenario(_trips_scenario(line5, rows, header="origin,destination", demand={"bev_share": 0.5}))
    flows = load_flows(sc.demand, load_network(sc.network))
    assert dict(zip(flows["flow_id"], flows["volume"], strict=True)) == {"T-N0-N4": 1.5, "T-N2-N4": 0.5}
    assert flows.attrs["demand"] == {"trips": 4, "flows": 2}


def test_max_flows_keeps_the_largest_aggregated_flows(line5: Path) -> None:
    sc = load_scenario(_trips_scenario(line5, TRIPS, demand={"max_flows": 2}))
    flows = load_flows(sc.demand, load_network(sc.network))
    assert list(flows["flow_id"]) == ["T-N0-N2", "T-N0-N4"]  # 7 and 10 trucks/day, in flow order
    # 7 + 10 of the 29.5 trucks/day of all trips
    kept = pytest.approx(17 / 29.5)
    assert flows.attrs["demand"] == {"trips": 8, "flows": 5, "flows_kept": 2, "volume_kept_share": kept}


def test_plan_from_trips_equals_plan_from_the_aggregated_flows(line5: Path) -> None:
    sections = {"objective": {"type": "max_coverage", "max_hubs": 2}, "demand": {"bev_share": 0.5}}
    by_trips = solve_scenario(load_scenario(_trips_scenario(line5, TRIPS, **sections)))
    by_flows = solve_scenario(
        load_scenario(write_scenario(line5 / "flows.toml", base_scenario(line5, flows=FLOWS, **sections)))
    )
    assert sorted(by_trips.hubs["site_id"]) == sorted(by_flows.hubs["site_id"]) == ["N1", "N3"]
    for key in ("covered_volume", "total_volume", "objective_value", "covered_truck_km"):
        assert by_trips.summary[key] == pytest.approx(by_flows.summary[key]), key
    served = by_trips.flows.set_index("flow_id")["served"]
    assert served.to_dict() == {"T-N0-N2": True, "T-N0-N4": False, "T-N1-N2": True, "T-N2-N4": True, "T-N4-N0": False}
    assert by_trips.summary["demand"] == {"trips": 8, "flows": 5}
    assert "demand" not in by_flows.summary
    assert by_trips.verification.passed


@pytest.mark.parametrize(
    ("header", "rows", "field", "needle"),
    [
        ("origin,destination", [], "origin, destination", "no trips; add at least one row"),
        ("origin,volume", ["N0,3"], "destination", "missing column(s) destination"),
        ("origin,destination", ["N0,N4", "N0,X9", "Y1,N2", "N1,N3"], "origin or destination", "(row 3, row 4)"),
        ("origin,destination", ["N0,N4", "N2,N2"], "origin = destination", "1 trip(s) (row 3)"),
        ("origin,destination,trips_per_day", ["N0,N4,1", "N0,N2,0"], "trips_per_day = 0", "row 3"),
        ("origin,destination,trips_per_day", ["N0,N4,-2"], "trips_per_day = -2", "row 2"),
        ("origin,destination,trips_per_day", ["N0,N4,many"], "trips_per_day = many", "finite number"),
        ("origin,destination,trips_per_day", ['N0,N4,"0,5"'], "trips_per_day = 0,5", "(use '.' as the decimal point)"),
        ("origin,destination,trips_per_day", ["N0,N4,"], "trips_per_day = empty", "row 2"),
        ("origin,destination,trips_per_day", ["N0,N4,inf"], "trips_per_day = inf", "row 2"),
        (
            "origin,destination,trips_per_day",
            ["N0,N4,6e6", "N0,N4,6e6"],
            "sum to 12,000,000 trips_per_day",
            "from N0 to N4",
        ),
        ("trip_id,origin,destination,trips_per_day", ["a,N0,N4,1", "b,N0,N4,x"], "trips_per_day = x", "'b'"),
        ("trip_id,origin,destination", ["a,N0,N4", "a,N0,N2"], "trip_id 'a'", "appears more than once"),
        ("trip_id,origin,destination", ["a,N0,N4", ",N0,N2"], "trip_id", "some trips have"),
        ("trip_id,origin,destination", ["a,N0,N4", "b,N0,N0"], "origin = destination", "(trip 'b')"),
    ],
    ids=[
        "header_only",
        "missing_column",
        "unknown_nodes",
        "same_node",
        "zero",
        "negative",
        "text",
        "decimal_comma",
        "empty_cell",
        "infinite",
        "pair_sum_too_big",
        "by_trip_id",
        "duplicate_trip_id",
        "some_trip_ids",
        "same_node_by_id",
    ],
)
def test_bad_trips_file_is_one_clear_line(line5: Path, header: str, rows: list[str], field: str, needle: str) -> None:
    sc = load_scenario(_trips_scenario(line5, rows, header=header))
    with pytest.raises(DataError) as err:
        load_flows(sc.demand, load_network(sc.network))
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{line5 / 'trips.csv'}: "), msg
    assert field in msg and needle in msg, msg


def test_unknown_nodes_are_listed(line5: Path) -> None:
    sc = load_scenario(_trips_scenario(line5, ["N0,X9", "Y1,N2", "Y1,N4"], header="origin,destination"))
    with pytest.raises(
        DataError,
        match=r"3 trip\(s\) \(row 2, row 3, row 4\) have an origin or destination that is "
        r"not a network node: X9, Y1; use node ids",
    ):
        load_flows(sc.demand, load_network(sc.network))


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("", "the trips file is empty"),
        ("origin,destination\nN0,N4\nN0,N2,N3\n", "Expected 2 fields in line 3, saw 3"),
        ("origin,destination\nN0,N4,\nN0,N2,\n", "its first row has more fields than the header"),
        ('origin,destination\n"N0,N4\n', "a quote opened on line 2 is never closed"),
        (b"origin,destination\nN0,N\xf64\n", "is not UTF-8 text (line 2"),
        ("origin;destination\nN0;N4\n", "separates its columns with ';' (as spreadsheets"),
        ("origin\tdestination\nN0\tN4\n", "separates its columns with tabs; save it as comma-separated"),
    ],
    ids=["empty", "ragged", "trailing_comma", "quote", "latin1", "semicolons", "tabs"],
)
def test_unreadable_trips_file_is_one_clear_line(line5: Path, content: str | bytes, needle: str) -> None:
    sc = load_scenario(_trips_scenario(line5, ["N0,N4"], header="origin,destination"))
    raw = content if isinstance(content, bytes) else content.encode()
    (line5 / "trips.csv").write_bytes(raw)
    with pytest.raises(DataError) as err:
        load_flows(sc.demand, load_network(sc.network))
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{line5 / 'trips.csv'}: ") and needle in msg, msg


def test_trips_together_with_flows_is_refused(line5: Path) -> None:
    path = _trips_scenario(line5, TRIPS)
    path.write_text(path.read_text().replace('trips = "trips.csv"', 'trips = "trips.csv"\nflows = "flows.csv"'))
    with pytest.raises(ScenarioError, match=r"'demand': give either 'flows' \(a flows CSV\) or 'trips'") as err:
        load_scenario(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_trips_take_the_place_of_inherited_zones(tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.mkdir()
    from tests.conftest import line_network

    line_network(base, 5)
    write_csv(base / "zones.csv", "zone_id,node,weight", ["Z0,N0,1", "Z4,N4,1"])
    data = base_scenario(base, flows=FLOWS, demand={"max_flows": 2})
    data["demand"] = {**data["demand"], "flows": None, "zones": "zones.csv"}
    write_scenario(base / "gravity.toml", data)
    write_csv(tmp_path / "trips.csv", "origin,destination", ["N0,N2", "N2,N0", "N1,N3"])
    child = tmp_path / "child.toml"
    child.write_text('extends = "base/gravity.toml"\n[demand]\ntrips = "trips.csv"\nmax_flows = "all"\n')
    sc = load_scenario(child)
    assert sc.demand.trips == tmp_path / "trips.csv" and sc.demand.source == sc.demand.trips
    flows = load_flows(sc.demand, load_network(sc.network))
    assert list(flows["flow_id"]) == ["T-N0-N2", "T-N1-N3", "T-N2-N0"]


def test_validate_reports_trips(line5: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from planner.cli import validate

    validate(_trips_scenario(line5, TRIPS))
    assert "valid — 5 nodes, 4 edges, 5 candidate sites, 5 flows: from 8 trips" in capsys.readouterr().out
