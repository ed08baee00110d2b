"""What a ``demand.max_flows`` cut leaves out of hubs sized hour by hour, as bounds that need no timetable.

The cut flows' sessions and energy at the plan's hubs (:mod:`planner.demand_cut`, each truck stopping
as rarely as its range allows) have no hours: they would need each cut flow's departures and driving
times. Two limits hold whatever the hours:

* a point serves at most 24 session-hours a day, so a hub needs at least
  ``ceil(sessions × session_h / 24)`` points of a type (its extra sessions split between types as its
  own are, all to the first offered type where it has none);
* the grid brings at least the energy charged, so a hub's connection must be at least its daily energy
  over 24 hours (a battery shifts energy, it does not make it).

Both are lower bounds on what the whole market needs at a hub; the hour-by-hour sizing needs more.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.chargers import TYPES, offered_types, points_lacking, split_like
from planner.scenario import Scenario

__all__ = ["cut_flows_short"]


def cut_flows_short(hubs: pd.DataFrame, extra: np.ndarray, scenario: Scenario) -> dict:
    """Points and grid connection the hubs would lack for ``extra`` daily sessions more at each row of
    ``hubs`` (and the energy in its column ``cut_energy_mwh_per_year``), by the 24-hour limits above.

    Sets the columns ``cut_points_short`` (all types) and ``cut_connection_short_kw``.

    Returns
    -------
    dict
        ``points_short`` (per type), ``hubs_short``, ``points_short_capex_eur``, ``points_rule``,
        ``connection_short_mw`` and ``hubs_connection_short``.
    """
    offered = {t.name: t for t in offered_types(scenario) if t.name in TYPES}
    added = split_like(hubs, extra, list(offered))
    types = scenario.chargers.types()
    short = {}
    for name, t in offered.items():
        hours = (hubs[f"sessions_{name}"].to_numpy(dtype=float) + added[name]) * t.session_h
        need = np.ceil(hours / 24.0 - 1e-9).astype(int)
        short[name] = np.maximum(need - hubs[f"chargers_{name}"].to_numpy(dtype=int), 0)
    summary = points_lacking(hubs, short, {t: types[t].capex_eur for t in offered})
    mwh = hubs["energy_mwh_per_year"].to_numpy(dtype=float) + hubs["cut_energy_mwh_per_year"].to_numpy(dtype=float)
    grid = np.maximum(mwh * 1000.0 / 365.0 / 24.0 - hubs["grid_connection_kw"].to_numpy(dtype=float), 0.0)
    hubs["cut_connection_short_kw"] = grid.round(1)
    return {
        "points_rule": "a point serves at most 24 session-hours a day",
        **summary,
        "connection_short_mw": round(float(grid.sum()) / 1000.0, 3),
        "hubs_connection_short": int((grid > 0).sum()),
    }
