"""Comparing runs: KPI table, shared sites, files, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from planner.api import run
from planner.compare import compare_runs, write_comparison
from planner.errors import DataError
from tests.conftest import base_scenario, write_scenario

FLOWS = ["A,N0,N4,10", "B,N0,N2,7", "C,N2,N4,6", "D,N1,N2,5"]


def test_compare_two_runs(line5: Path) -> None:
    dirs = []
    for hubs in (1, 3):
        data = base_scenario(line5, flows=FLOWS, objective={"max_hubs": hubs})
        data["name"] = f"hubs{hubs}"
        run(write_scenario(line5 / f"h{hubs}.toml", data), out_dir=line5 / f"hubs{hubs}")
        dirs.append(line5 / f"hubs{hubs}")
    kpis, sites = compare_runs(dirs)
    assert list(kpis["run"]) == ["hubs1", "hubs3"]
    assert list(kpis["hub_count"]) == [1, 3]
    assert kpis["covered_share"].tolist() == pytest.approx([12 / 28, 1.0])
    # One MCS point per hub (conftest), 1,000 kW each; AFIR measured in report mode.
    assert kpis["points_mcs"].tolist() == [1, 3] and kpis["points_ccs"].tolist() == [0, 0]
    assert kpis["power_mw"].tolist() == pytest.approx([1.0, 3.0])
    assert kpis["opex_eur_per_year"].tolist() == pytest.approx([0.03 * 1000.0, 0.03 * 3000.0])
    assert set(sites.loc[sites["in_all"], "site_id"]) == {"N1"}
    assert set(sites["site_id"]) == {"N1", "N2", "N3"}
    files = write_comparison(dirs, line5 / "cmp", html=False)
    assert [f.name for f in files] == ["kpis.csv", "kpis.json", "sites.csv"]
    assert pd.read_csv(files[0])["hub_count"].tolist() == [1, 3]
    assert json.loads(files[1].read_text())[1]["verified"] is True


def test_compare_rejects_non_run_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not a run folder"):
        compare_runs([tmp_path])
