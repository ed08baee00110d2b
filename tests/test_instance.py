"""Cover windows derived from the range semantics, worked by hand."""

import numpy as np

from planner.instance import flow_windows
from planner.ranges import Ranges

R150 = Ranges(start_km=150, between_km=150, last_km=150, direct_km=150, break_km=float("inf"))


def test_no_hub_needed_within_direct_range():
    assert flow_windows(np.array([0.0, 100.0]), 150.0, R150) == []


def test_line_of_four_legs_needs_each_intermediate_node():
    # Stops at 0, 100, 200, 300; trip of 400 km, 150 km range: hubs at 100, 200, 300 needed.
    windows = flow_windows(np.array([0.0, 100.0, 200.0, 300.0]), 400.0, R150)
    assert windows == [(1, 2), (2, 3), (3, 4)]


def test_unservable_when_a_gap_exceeds_range():
    assert flow_windows(np.array([0.0, 200.0]), 300.0, R150) is None


def test_start_range_and_arrival_reserve_differ():
    # start 100 km, between 200 km, last leg 120 km: trip 250 km, stops at 0, 90, 140, 180.
    r = Ranges(start_km=100, between_km=200, last_km=120, direct_km=80, break_km=float("inf"))
    windows = flow_windows(np.array([0.0, 90.0, 140.0, 180.0]), 250.0, r)
    # t=140: [−60,140) → stops 0, 90; t=180: [−20,180) ⊇ previous (dropped);
    # destination: [130, 250) → stops 140, 180.
    assert windows == [(0, 2), (2, 4)]


def test_hub_exactly_at_range_limit_counts():
    windows = flow_windows(np.array([0.0, 150.0]), 300.0, R150)
    assert windows == [(1, 2)]
