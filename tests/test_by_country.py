"""Coverage by country and region (planner/by_country.py), counted by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.by_country import coverage_by_area
from planner.network import network_from_frames


def _network():
    nodes = pd.DataFrame(
        {
            "id": ["DUB", "BEL", "LIV", "CAL"],
            "name": ["Dublin", "Belfast", "Liverpool", "Calais"],
            "lon": ["-6.26", "-5.93", "-2.99", "1.85"],
            "lat": ["53.35", "54.60", "53.41", "50.95"],
            "country": ["IE", "GB", "GB", "FR"],
            "region": ["", "GB-NIR", "geonames:123", ""],  # only ISO 3166-2 codes count as regions
        }
    )
    edges = pd.DataFrame(
        {
            "u": ["DUB", "DUB", "LIV"],
            "v": ["BEL", "LIV", "CAL"],
            "length_km": ["170", "230", "520"],
            "mode": ["road", "ferry", "road"],
        }
    )
    return network_from_frames(nodes, edges, source="test")


def test_flows_count_for_each_end_country_and_hubs_for_their_site() -> None:
    flows = pd.DataFrame({"origin": ["DUB", "BEL", "LIV", "CAL"], "destination": ["BEL", "LIV", "CAL", "LIV"]})
    volume = np.array([10.0, 5.0, 20.0, 4.0])
    served = np.array([True, False, True, False])
    hubs = pd.DataFrame({"country": ["GB", "GB", "FR"], "chargers": [4, 6, 8]})
    by_country, by_region = coverage_by_area(_network(), flows, volume, served, hubs)
    assert list(by_country) == ["FR", "GB", "IE"]
    gb = by_country["GB"]  # every flow has a GB end
    assert (gb["flows"], gb["flows_served"], gb["volume"], gb["served_volume"]) == (4, 2, 39.0, 30.0)
    assert gb["served_share"] == pytest.approx(30 / 39)
    assert (gb["hubs"], gb["charging_points"]) == (2, 10)
    assert by_country["FR"] == {
        "flows": 2,
        "flows_served": 1,
        "volume": 24.0,
        "served_volume": 20.0,
        "served_share": pytest.approx(20 / 24),
        "hubs": 1,
        "charging_points": 8,
    }
    assert by_country["IE"]["hubs"] == 0 and by_country["IE"]["served_share"] == 1.0
    assert list(by_region) == ["GB-NIR"]  # Belfast's two flows; "geonames:123" is not a region code
    assert (by_region["GB-NIR"]["flows"], by_region["GB-NIR"]["served_volume"]) == (2, 10.0)
