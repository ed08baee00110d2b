"""Staged rollouts: solve a scenario over several years (full foresight or myopic).

Builds on the single-year pipeline: the same instance (routes, windows), a multi-year model
(:mod:`planner.model.rollout`), and per-year results that are measured by simulation, not
read off the model: each year's served flows are the ones that complete their trip with the
hubs open that year.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp

from planner.afir import HDV_MILESTONES, measure_spacing
from planner.chargers import TYPES, min_counts
from planner.compliance import afir_tiers, new_hub_pool
from planner.errors import InfeasibleError, ScenarioError, SolverError
from planner.instance import PlanningInstance
from planner.model.afir import AfirShare
from planner.model.build import flow_weight
from planner.model.capacity import CapacitySpec
from planner.model.grid import GridSpec
from planner.model.rollout import RolloutModel, RolloutSpec, build_rollout_model
from planner.model.variables import group_flows, group_weight, served_mask
from planner.network import Network
from planner.scenario import Scenario, SolverConfig
from planner.solve import SolveResult, solve_problem
from planner.verify import served_by_simulation

__all__ = ["RolloutResult", "solve_rollout", "year_factors", "year_table"]


@dataclass
class RolloutResult:
    """Per-year open sets and the solver results."""

    years: tuple[int, ...]
    open_by_year: list[np.ndarray]  # boolean per site, per year
    results: list[SolveResult]
    volume_factor: tuple[float, ...]
    discount: tuple[float, ...]
    final_model: RolloutModel
    upgrades_by_year: list[dict[int, int]] = field(default_factory=list)  # grid upgrade steps per site
    chargers_by_year: list[dict[tuple[int, str], int]] = field(default_factory=list)  # sized points per site, type
    served_by_year: list[np.ndarray] = field(default_factory=list)  # sized: flows the model serves, per year

    @property
    def opened_year(self) -> np.ndarray:
        """First year each site is open (0 if never)."""
        out = np.zeros(len(self.open_by_year[0]), dtype=int)
        for year, is_open in zip(reversed(self.years), reversed(self.open_by_year), strict=True):
            out[is_open] = year
        return out


def year_factors(scenario: Scenario) -> tuple[tuple[float, ...], tuple[float, ...]]:
    ro, years = scenario.rollout, scenario.rollout.years
    shares = ro.bev_share or [scenario.demand.bev_share] * len(years)
    growth = [(1 + ro.demand_growth_per_year) ** (y - years[0]) for y in years]
    factor = tuple(s / scenario.demand.bev_share * g for s, g in zip(shares, growth, strict=True))
    rate = scenario.costs.discount_rate
    discount = tuple((1 + rate) ** -(y - years[0]) for y in years)
    return factor, discount


def solve_rollout(
    scenario: Scenario,
    instance: PlanningInstance,
    required_by_year: list[tuple[tuple[int, ...], ...]],
    *,
    grid: GridSpec | None = None,
    shares_by_year: list[AfirShare | None] | None = None,
    capacity: CapacitySpec | None = None,
    log=lambda _m: None,
) -> RolloutResult:
    """Solve the rollout (foresight: one MILP; myopic: one per year keeping earlier hubs).

    ``required_by_year`` / ``shares_by_year``: per year, the AFIR spacing windows or segment share
    of the milestone due by its end (:func:`planner.compliance.rollout_requirements`).
    """
    ro, obj = scenario.rollout, scenario.objective
    years = tuple(ro.years)
    if capacity is not None and not capacity.integer_levels:
        raise ScenarioError(
            f"{scenario.name}: capacity.size_levels = 'relaxed' is for single-year plans; use 'integer' with "
            "rollout.years."
        )
    if scenario.grid.enabled and scenario.grid.max_batteries_per_hub > 0:
        raise ScenarioError(
            f"{scenario.name}: rollout.years with on-site battery buffers is not supported yet; "
            "set grid.max_batteries_per_hub = 0 or plan one year."
        )
    factor, discount = year_factors(scenario)
    budgets = tuple(ro.budget_per_year_eur) if ro.budget_per_year_eur else (None,) * len(years)
    targets = tuple(ro.coverage_target) if ro.coverage_target else (None,) * len(years)
    weight = flow_weight(instance, obj.metric)
    n_sites = len(instance.site_ids)

    g = scenario.grid
    allowed = tuple(y >= g.start_year + g.upgrade_lead_time_years for y in years)

    groups, _ = group_flows(instance)
    gvolume = group_weight(instance, groups, instance.volume)

    def remaining(fixed: frozenset[int], points: dict[tuple[int, int], int]) -> float | None:
        """Total budget left after the hubs (and points) already fixed (myopic years)."""
        if ro.budget_total_eur is None:
            return None
        if capacity is None:
            return ro.budget_total_eur - float(sum(instance.site_cost[k] for k in fixed))
        spent = len(fixed) * capacity.site_fixed_eur
        spent += sum(n * capacity.types[ti].capex_eur for (_, ti), n in points.items())
        return ro.budget_total_eur - spent

    def spec_for(
        idx: list[int],
        fixed: frozenset[int],
        fixed_upgrade: dict[int, int] | None = None,
        points: dict[tuple[int, int], int] | None = None,
    ) -> RolloutSpec:
        return RolloutSpec(
            years=tuple(years[i] for i in idx),
            volume_factor=tuple(factor[i] for i in idx),
            discount=tuple(discount[i] for i in idx),
            budget_eur=tuple(budgets[i] for i in idx),
            coverage_target=tuple(targets[i] for i in idx),
            objective=obj.type,
            weight=weight,
            max_hubs=obj.max_hubs,
            required_windows=tuple(required_by_year[i] for i in idx),
            required_shares=tuple(shares_by_year[i] for i in idx) if shares_by_year else (),
            fixed_open=fixed,
            grid=grid,
            upgrade_allowed=tuple(allowed[i] for i in idx),
            fixed_upgrade=fixed_upgrade or {},
            budget_total_eur=remaining(fixed, points or {}),
            capacity=capacity,
            group_volume=gvolume,
            fixed_chargers=points or {},
        )

    def opened(model: RolloutModel, t: int) -> np.ndarray:
        out = instance.site_locked.copy()
        for k in model.sites:
            if (model.open[k, t].value() or 0.0) > 0.5:
                out[k] = True
        return out

    def check(result: SolveResult, what: str) -> None:
        if result.status == "infeasible":
            raise InfeasibleError(
                f"{scenario.name}: {what} has no plan within rollout.budget_per_year_eur / coverage_target / "
                f"max_hubs{' / AFIR spacing' if scenario.afir.mode == 'enforce' else ''}; relax one of them."
            )
        if not result.has_solution:
            raise SolverError(f"{scenario.name}: {what}: {result.solver} found no solution ({result.message}).")

    def points_of(model: RolloutModel, t: int) -> dict[tuple[int, int], int]:
        if capacity is None:
            return {}
        return {
            (k, ti): round(pulp.value(model.chargers(capacity, k, t, ti)) or 0.0)
            for k in model.sites
            for ti in range(len(capacity.types))
        }

    free = np.array([w is not None and len(w) == 0 for w in instance.windows], dtype=bool)

    def served_of(model: RolloutModel, t: int) -> np.ndarray:
        return served_mask(free, model.groups, {g: model.served[g, t] for g in range(len(model.groups))})

    open_sets, results = [], []
    fixed: frozenset[int] = frozenset()
    fixed_upgrade: dict[int, int] = {}
    points: dict[tuple[int, int], int] = {}
    upgrades_by_year: list[dict[int, int]] = []
    points_by_year: list[dict[tuple[int, int], int]] = []
    served_by_year: list[np.ndarray] = []
    starts: list[dict] = []  # sized: each myopic year's assignment, level and split values
    model = None
    stage = "myopic" if ro.mode == "myopic" else "myopic start"
    for i, year in enumerate(years):
        model = build_rollout_model(instance, spec_for([i], fixed, fixed_upgrade, points))
        result = solve_problem(model.problem, scenario.solver)
        log(f"rollout {year} ({stage}): {result.describe()}")
        if ro.mode == "foresight" and not result.has_solution:
            break  # no myopic start: let the full model decide (it may still be feasible)
        check(result, f"year {year}")
        is_open = opened(model, 0)
        open_sets.append(is_open)
        results.append(result)
        fixed = frozenset(int(k) for k in np.flatnonzero(is_open) if not instance.site_locked[k])
        fixed_upgrade = {k: round(v.value() or 0.0) for (k, _), v in model.upgrade.items()}
        upgrades_by_year.append(fixed_upgrade)
        points = points_of(model, 0)
        points_by_year.append(points)
        served_by_year.append(served_of(model, 0))
        starts.append(
            {
                "assign": {(g, k): v.value() or 0.0 for (g, k, _), v in model.assign.items()},
                "level": {(k, ti, li): v.value() or 0.0 for (k, _, ti, li), v in model.level.items()},
                "split": {(k, ti): v.value() or 0.0 for (k, _, ti), v in model.split.items()},
            }
        )
    if ro.mode == "myopic":
        assert model is not None and len(open_sets) == len(years) and n_sites == len(open_sets[0])
        return RolloutResult(
            years,
            open_sets,
            results,
            factor,
            discount,
            model,
            upgrades_by_year,
            _named(points_by_year, capacity),
            served_by_year if capacity is not None else [],
        )
    warm = len(open_sets) == len(years)
    how = "started from the myopic plan"
    if not warm and capacity is None and grid is None:
        # The myopic plan failed (e.g. hubs placed for early years do not fit a later AFIR
        # milestone): try a backward start, last year first, each earlier year within the next.
        backward = _backward_start(instance, years, budgets, spec_for, scenario.solver, log)
        if backward is not None:
            open_sets, warm, how = backward, True, "started from the backward plan"
    # Full foresight, started from the myopic (or backward) plan, a feasible MIP start: it can
    # only improve on it.
    full = build_rollout_model(instance, spec_for(list(range(len(years))), frozenset()))
    for t, is_open in enumerate(open_sets if warm else []):
        for k in full.sites:
            full.open[k, t].setInitialValue(1.0 if is_open[k] else 0.0)
        for g, wins in enumerate(full.group_windows):
            full.served[g, t].setInitialValue(1.0 if all(is_open[list(w)].any() for w in wins) else 0.0)
        share = shares_by_year[t] if shares_by_year else None
        for (e, te), c in full.segment.items():
            if te == t and share is not None:  # certified by the myopic hubs: keeps the start feasible
                c.setInitialValue(1.0 if all(is_open[list(w)].any() for w in share.windows[e]) else 0.0)
        for k in full.sites:
            if (k, t) in full.upgrade:
                full.upgrade[k, t].setInitialValue(upgrades_by_year[t].get(k, 0))
        if capacity is not None:
            for g in range(len(full.groups)):
                full.served[g, t].setInitialValue(float(served_by_year[t][full.groups[g]].all()))
            for (g, k, te), v in full.assign.items():
                if te == t:
                    v.setInitialValue(starts[t]["assign"].get((g, k), 0.0))
            for (k, te, ti, li), v in full.level.items():
                if te == t:
                    v.setInitialValue(starts[t]["level"].get((k, ti, li), 1.0 if li == 0 and is_open[k] else 0.0))
            for (k, te, ti), v in full.split.items():
                if te == t:
                    v.setInitialValue(starts[t]["split"].get((k, ti), 0.0))
    result = solve_problem(full.problem, scenario.solver, warm_start=warm)
    start = how if warm else "no start"
    log(f"rollout {years[0]}–{years[-1]} (foresight, {start}): {result.describe()}")
    check(result, "the rollout")
    upgrades = [
        {k: round(full.upgrade[k, t].value() or 0.0) for k in full.sites if (k, t) in full.upgrade}
        for t in range(len(years))
    ]
    return RolloutResult(
        years,
        [opened(full, t) for t in range(len(years))],
        [result],
        factor,
        discount,
        full,
        upgrades,
        _named([points_of(full, t) for t in range(len(years))], capacity),
        [served_of(full, t) for t in range(len(years))] if capacity is not None else [],
    )


def _backward_start(
    instance: PlanningInstance,
    years: tuple[int, ...],
    budgets: tuple[float | None, ...],
    spec_for,
    solver: SolverConfig,
    log,
) -> list[np.ndarray] | None:
    """Nested open sets planned from the last year back, or None if a year has no plan.

    Year ``t`` maximises its own objective within the sites open in ``t+1``, with the budget of
    years ``≤ t`` together, and spends at least ``capex(S_{t+1}) − budget_{t+1}`` so that what is
    left for ``t+1`` fits its budget. The result meets every year's budget and requirement,
    which makes it a MIP start for the foresight model.
    """
    from dataclasses import replace

    sets: list[np.ndarray] = [np.zeros(0, dtype=bool)] * len(years)
    later: np.ndarray | None = None
    for i in reversed(range(len(years))):
        base = spec_for([i], frozenset())
        cum = None if any(b is None for b in budgets[: i + 1]) else float(sum(budgets[: i + 1]))
        model = build_rollout_model(instance, replace(base, budget_eur=(cum,)))
        cost = {k: 0.0 if instance.site_locked[k] else float(instance.site_cost[k]) for k in model.sites}
        if later is not None:
            for k in model.sites:
                if not later[k]:
                    model.open[k, 0].upBound = 0
            floor = None if budgets[i + 1] is None else float(instance.site_cost[later].sum()) - budgets[i + 1]
            if floor is not None and floor > 0:
                model.problem += (pulp.lpSum(c * model.open[k, 0] for k, c in cost.items()) >= floor, "leave_budget")
        result = solve_problem(model.problem, solver)
        log(f"rollout {years[i]} (backward start): {result.describe()}")
        if not result.has_solution:
            return None
        is_open = instance.site_locked.copy()
        for k in model.sites:
            if (model.open[k, 0].value() or 0.0) > 0.5:
                is_open[k] = True
        sets[i] = is_open
        later = is_open
    return sets


def _named(points_by_year: list[dict[tuple[int, int], int]], capacity: CapacitySpec | None) -> list[dict]:
    """Points per (site, type name) per year."""
    if capacity is None:
        return []
    return [{(k, capacity.types[ti].name): n for (k, ti), n in pts.items()} for pts in points_by_year]


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
    prev = np.zeros(len(instance.site_ids), dtype=bool)
    volume = flows["volume"].to_numpy(dtype=float)
    tkm = volume * flows["length_km"].to_numpy(dtype=float)
    discounted = 0.0
    budgets = scenario.rollout.budget_per_year_eur
    for i, (year, is_open) in enumerate(zip(rollout.years, rollout.open_by_year, strict=True)):
        ids = {instance.site_ids[k] for k in np.flatnonzero(is_open)}
        served = served_by_simulation(network, sites, flows, ids, scenario.vehicle, scenario.breaks)
        if rollout.served_by_year:  # sized hubs: the flows the model serves (a subset of the feasible)
            served = served & rollout.served_by_year[i]
        new = is_open & ~prev
        if rollout.chargers_by_year:
            now, before = rollout.chargers_by_year[i], rollout.chargers_by_year[i - 1] if i else {}
            added = {t: sum(n - before.get(key, 0) for key, n in now.items() if key[1] == t) for t in TYPES}
            types = scenario.chargers.types()
            capex = float((new & ~instance.site_locked).sum()) * scenario.costs.site_fixed_eur
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
        network, sites, pools, year=year, tiers=tuple(tiers), end_fraction=scenario.afir.end_fraction
    )
    out.update(
        afir_milestone=report.milestone.year,
        afir_required_share=report.required_share,
        afir_share=report.overall.share,
        afir_met=report.met,
    )
    return out
