"""Per-year KPIs of a rollout, measured by simulation rather than read off the model.

Each year's served flows are the ones that complete their trip with the hubs open that year; each
year's AFIR compliance is re-measured from that year's hubs against the milestone due by its end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.chargers import TYPES, existing_by_type, min_counts
from planner.features.afir.measure import measure_spacing
from planner.features.afir.milestones import HDV_MILESTONES
from planner.features.afir.requirements import afir_area, afir_tiers, new_hub_pool
from planner.features.rollout.solve import RolloutResult
from planner.instance import PlanningInstance
from planner.network import Network
from planner.scenario import Scenario
from planner.verify import served_by_simulation_sets

__all__ = ["year_table"]


def year_table(
    rollout: RolloutResult,
    scenario: Scenario,
    network: Network,
    sites: pd.DataFrame,
    flows: pd.DataFrame,
    instance: PlanningInstance,
) -> list[dict]:
    """Per-year KPIs, with served flows measured by simulating each flow against that year's hubs."""
    rows = []
    prev = instance.site_locked.copy()  # existing hubs stand before the first year: not opened in it
    volume = flows["volume"].to_numpy(dtype=float)
    tkm = volume * flows["length_km"].to_numpy(dtype=float)
    discounted = 0.0
    budgets = scenario.rollout.budget_per_year_eur
    # points standing at existing hubs before the first year (not paid; sized hubs only)
    standing = {
        (int(k), t): int(n[k]) for t, n in existing_by_type(sites, scenario.chargers).items() for k in np.flatnonzero(n)
    }
    open_ids = [{instance.site_ids[k] for k in np.flatnonzero(is_open)} for is_open in rollout.open_by_year]
    rule = scenario.demand.round_trip and scenario.demand.round_trip_rule == "refuel_at_origin"
    # every route walked once against all years' hubs, each year's trips simulated on its own hubs
    served_sets = served_by_simulation_sets(
        network,
        sites,
        flows,
        open_ids,
        scenario.vehicle,
        scenario.breaks,
        refuel_at_origin=rule,
    )
    for i, (year, is_open) in enumerate(zip(rollout.years, rollout.open_by_year, strict=True)):
        ids, served = open_ids[i], served_sets[i]
        if rollout.served_by_year:  # sized hubs: the flows the model serves (a subset of the feasible)
            served = served & rollout.served_by_year[i]
        new = is_open & ~prev
        if rollout.chargers_by_year:
            now, before = rollout.chargers_by_year[i], rollout.chargers_by_year[i - 1] if i else standing
            added = {t: sum(max(n - before.get(key, 0), 0) for key, n in now.items() if key[1] == t) for t in TYPES}
            types = scenario.chargers.types()
            capex = float(new.sum()) * scenario.costs.site_fixed_eur
            capex += sum(added[t] * types[t].capex_eur for t in TYPES)
        else:
            added = {t: int(new.sum()) * n for t, n in min_counts(scenario.chargers).items()}
            capex = float(instance.site_cost[new].sum())
        steps = sum(rollout.upgrades_by_year[i].values()) if rollout.upgrades_by_year else 0
        prev_steps = sum(rollout.upgrades_by_year[i - 1].values()) if rollout.upgrades_by_year and i else 0
        if scenario.grid.enabled:
            capex += (steps - prev_steps) * scenario.grid.upgrade_eur_per_mw * scenario.grid.upgrade_step_kw / 1000
        discounted += capex * rollout.discount[i]
        f = rollout.volume_factor[i]
        rows.append(
            {
                "year": year,
                "hubs": int(is_open.sum()),
                "new_hubs": int(new.sum()),
                "chargers_added": int(sum(added.values())),
                "chargers_added_by_type": {t: int(n) for t, n in added.items()},
                "grid_upgrade_mw": steps * scenario.grid.upgrade_step_kw / 1000 if scenario.grid.enabled else 0.0,
                "capex_eur": capex,
                "budget_eur": None if budgets is None else budgets[i],
                "volume_factor": f,
                "total_volume": float(volume.sum() * f),
                "covered_volume": float(volume[served].sum() * f),
                "covered_share": float(volume[served].sum() / volume.sum()) if volume.sum() else 0.0,
                "total_truck_km": float(tkm.sum() * f),
                "covered_truck_km": float(tkm[served].sum() * f),
                "discounted_capex_cumulative_eur": discounted,
                **_afir_year(scenario, network, sites, ids, year),
            }
        )
        prev = is_open
    return rows


def _afir_year(scenario: Scenario, network: Network, sites: pd.DataFrame, open_ids: set[str], year: int) -> dict:
    """AFIR compliance of one year's open hubs with the milestone due by the end of that year.

    Re-measured with :func:`planner.afir.measure_spacing` from the hubs' positions (every hub
    offers the minimum pool: rollouts do not size hubs). None values: AFIR off, no configured tier
    in the network, or a year before the first deadline.
    """
    out: dict = {"afir_milestone": None, "afir_required_share": None, "afir_share": None, "afir_met": None}
    tiers = afir_tiers(scenario.afir, network)
    if scenario.afir.mode == "off" or year < HDV_MILESTONES[0].year or not tiers:
        return out
    pools = dict.fromkeys(open_ids, new_hub_pool(scenario.chargers))
    report = measure_spacing(
        network,
        sites,
        pools,
        year=year,
        tiers=tuple(tiers),
        end_fraction=scenario.afir.end_fraction,
        area=afir_area(scenario.afir),
    )
    out.update(
        afir_milestone=report.milestone.year,
        afir_required_share=report.required_share,
        afir_share=report.overall.share,
        afir_met=report.met,
    )
    return out
