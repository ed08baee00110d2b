"""planner.arrays.without_gc: the collector is paused while a decorated function runs and restored
after, also when it raises; the decoder's per-flow list builders run with it paused."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from planner.arrays import without_gc
from planner.features.coverage import decode
from tests.conftest import two_flows


@without_gc
def _state(fail: bool = False) -> bool:
    if fail:
        raise ValueError("boom")
    return gc.isenabled()


def test_paused_inside_and_restored_after() -> None:
    assert gc.isenabled()
    assert _state() is False
    assert gc.isenabled()
    with pytest.raises(ValueError, match="boom"):
        _state(fail=True)
    assert gc.isenabled()


def test_left_off_when_it_was_off() -> None:
    gc.disable()
    try:
        assert _state() is False
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_decoder_list_builders_run_with_the_collector_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []

    class Instance:
        flow_ids = ["F0", "F1"]
        site_ids = ["S0", "S1"]
        servable = np.array([True, True])

        def open_stop_lists(self, is_open: np.ndarray) -> list:
            seen.append(gc.isenabled())
            return [([0, 1], [10.0, 20.0], [10.0, 20.0]), ([1], [5.0], [5.0])]

    class Model:
        instance = Instance()
        variables = None
        assign = None
        open_stop_lists = None

    served = np.array([True, False])
    charging = decode._charging_stops(Model(), served, np.array([True, True]))
    assert charging[0] == ([0, 1], [10.0, 20.0], [1.0, 1.0]) and charging[1] == ([], [], [])
    assert seen == [False] and gc.isenabled()
    flows = two_flows()  # _flow_table takes its own columns from a plan's flow table
    # _flow_table rounds each share with round(): a module-level stand-in records the collector's state
    monkeypatch.setattr(decode, "round", lambda a, n: seen.append(gc.isenabled()) or a, raising=False)
    table = decode._flow_table(flows, Model.instance, served, charging)
    assert table["stops"].tolist() == [["S0", "S1"], []] and table["status"].tolist() == ["served", "not_selected"]
    assert seen == [False, False, False] and gc.isenabled()
