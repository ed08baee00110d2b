"""The decomposition: master (sites, assignment, chargers at the busiest hours), exact hub subproblems,
rounds with cuts, and the global bound.

Round ``r``: solve the master; simulate its plan's itineraries (:func:`itinerary_stops`), sum each
hub's arrivals and load per hour, size every hub exactly (:func:`size_hub`). A hub whose busiest hour
the master did not bound gets that hour's row (a valid cut); a hub with no design (its grid limit)
gets a session cap (a heuristic cut, after which the master proves nothing) — then the next round,
while rounds and time remain. The best plan found is kept.

Bound: ``LB = master bound (sites and chargers, minus the session tie-break's largest value) +
Σ_flows trucks × cheapest itinerary under hourly prices`` (:mod:`planner.features.hourly.bound`),
``UB = Σ_hubs (site annuity + exact hub cost)``, ``gap = (UB − LB) / UB``; both are annual EUR.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from planner.errors import InfeasibleError
from planner.features.coverage.decode import served_flows, stop_shares
from planner.features.coverage.model import ModelSpec, PlanningModel, Solution, open_sites
from planner.features.coverage.variables import group_weight
from planner.features.hourly.arrivals import StopHours, hub_hours
from planner.features.hourly.bound import flow_bounds
from planner.features.hourly.costs import HubCosts
from planner.features.hourly.hub_sizing import HubDesign, chargers_suffice, infeasible_reason
from planner.features.hourly.itineraries import itinerary_stops
from planner.features.hourly.lp import Solver
from planner.features.hourly.master import MasterSpec
from planner.features.hourly.master_solve import MasterOutcome, solve_master
from planner.features.hourly.prices import SitePrices, potential_points, site_prices
from planner.features.hourly.repair import HubCase, size_in_simulation
from planner.instance import PlanningInstance
from planner.scenario import Scenario
from planner.solve import SolveResult
from planner.trips import StopTable

__all__ = ["Decomposition", "HubPlan", "decompose"]


@dataclass
class HubPlan:
    """A master plan with every hub sized exactly.

    Attributes
    ----------
    model
        The master it came from.
    hub_sites, stops
        Open sites (instance order) and the served flows' charging stops.
    arrivals, load, energy_sd
        Per hub and hour: trucks arriving, load (kW); per hub: the daily energy's standard deviation (kWh).
    designs
        Each hub's design (``None``: no design fits its grid).
    upper
        Annual cost: sites plus every hub's exact cost (inf if a hub has no design).
    repaired
        Hubs that needed a larger connection in the design simulation.
    """

    model: PlanningModel
    hub_sites: np.ndarray
    stops: StopTable
    arrivals: np.ndarray
    load: np.ndarray
    energy_sd: np.ndarray
    designs: list[HubDesign | None]
    upper: float
    repaired: int = 0


@dataclass
class Decomposition:
    """What the decomposition found and proved (``Solution.extra["hourly"]``)."""

    plan: HubPlan
    master: MasterOutcome
    bound: dict[str, float | None]
    rounds: list[dict] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Inputs:
    """What the decomposition reads: the instance, the core spec, the prepared hourly data."""

    scenario: Scenario
    instance: PlanningInstance
    core: ModelSpec
    spec: MasterSpec
    costs: HubCosts
    hours: StopHours
    available_kw: np.ndarray | None
    site_ids: list[str]


def _available(inputs: Inputs, k: int) -> float | None:
    return None if inputs.available_kw is None else float(inputs.available_kw[k])


def size_plan(inputs: Inputs, model: PlanningModel, solver: Solver) -> HubPlan:
    """Simulate the master's stops, sum each hub's hours and size every hub exactly."""
    instance = inputs.instance
    is_open = open_sites(model)
    served = served_flows(model, is_open)
    stops = itinerary_stops(instance, served, stop_shares(model, served, is_open), inputs.scenario.vehicle)
    sites = np.flatnonzero(is_open)
    arrivals, load, variance = hub_hours(stops, inputs.hours, sites)
    designs, repaired = [], 0
    for i, (k, sd) in enumerate(zip(sites, np.sqrt(variance), strict=True)):
        k = int(k)
        avail = _available(inputs, k)
        case = HubCase(inputs.site_ids[k], k, arrivals[i], load[i], avail, float(sd), stops, inputs.hours)
        design, steps = size_in_simulation(case, inputs.costs, inputs.scenario, solver)
        repaired += steps > 0
        designs.append(design)
    new = ~instance.site_locked[sites]
    upper = inputs.costs.site_annual_eur * float(new.sum())
    upper += sum(d.annual_total if d is not None else np.inf for d in designs)
    return HubPlan(model, sites, stops, arrivals, load, np.sqrt(variance), designs, upper, repaired)


def _cuts(inputs: Inputs, spec: MasterSpec, plan: HubPlan) -> tuple[dict[int, set[int]], dict[int, float]]:
    """Busiest hours the master did not bound (valid rows) and session caps (heuristic) for hubs whose grid
    allows no design and, from what those hubs' trucks charged, for every other site (:func:`_site_caps`)."""
    hours_missed, caps, failed = {}, {}, []
    for i, k in enumerate(plan.hub_sites):
        k = int(k)
        peak = int(np.argmax(plan.arrivals[i]))
        if peak not in spec.hours.get(k, ()):
            hours_missed[k] = {peak}
        if plan.designs[i] is None and chargers_suffice(plan.arrivals[i], inputs.costs):
            sessions = float(plan.stops.trucks[plan.stops.site == k].sum())
            caps[k] = sessions * _cap_share(inputs, plan, i, k)
            failed.append((i, sessions))
    for k, cap in _site_caps(inputs, spec, plan, failed).items():
        caps[k] = min(cap, caps.get(k, np.inf))
    return hours_missed, caps


def _site_caps(inputs: Inputs, spec: MasterSpec, plan: HubPlan, failed: list[tuple[int, float]]) -> dict[int, float]:
    """Session caps for every site whose trucks could outgrow its grid, so that load moved off a hub without a
    design does not overload the next one round after round: with the hubs without a design's mean energy per
    session ``e``, busiest hour's share ``ρ`` of the day's energy and busy-day factor ``f``, a site keeps at most
    98 % of the sessions ``n`` with ``n·e·f ≤ 24 h × its largest connection`` and ``n·e·ρ·f ≤`` that connection
    plus every battery unit's power. A heuristic like the hub's own cap: the master then proves nothing.
    ``failed``: the hubs without a design (row in ``plan``) with their sessions."""
    if not failed:
        return {}
    c = inputs.costs
    hubs = [i for i, _ in failed]
    trucks = [n for _, n in failed]
    energy = [float(plan.load[i].sum()) for i in hubs]
    if min(trucks) <= 0 or min(energy) <= 0:
        return {}
    per_session = sum(energy) / sum(trucks)
    busy = max(1.0 + c.reserve_sd * float(plan.energy_sd[i]) / e for i, e in zip(hubs, energy, strict=True))
    peak_share = max(float(np.max(plan.load[i])) / e for i, e in zip(hubs, energy, strict=True))
    potential: dict[int, float] = {}
    for (_, k), a in spec.arrivals.items():
        potential[k] = potential.get(k, 0.0) + float(np.sum(a))
    caps = {}
    for k in sorted(potential):
        limit = c.limit_kw(_available(inputs, k))
        most = min(24 * limit, (limit + c.max_units * c.battery_kw) / peak_share) / (per_session * busy)
        if 0.98 * most < potential[k]:
            caps[k] = 0.98 * most
    return caps


def _cap_share(inputs: Inputs, plan: HubPlan, i: int, k: int) -> float:
    """Share of its sessions a hub without a design keeps under its next session cap: at most 90 %, and
    less if its day's energy (with the busy-day reserve) exceeds 24 h of its largest connection, or its
    busiest hour's load (raised likewise) exceeds the power connection and every battery unit give at once."""
    c = inputs.costs
    energy, reserve = float(plan.load[i].sum()), c.reserve_sd * float(plan.energy_sd[i])
    if energy <= 0:
        return 0.9
    limit = c.limit_kw(_available(inputs, k))
    daily = max(24 * limit - reserve, 0.0) / energy
    peak = (limit + c.max_units * c.battery_kw) / (float(np.max(plan.load[i])) * (1 + reserve / energy))
    return min(0.9, 0.98 * daily, 0.98 * peak)


def _no_design(inputs: Inputs, search: _Search) -> InfeasibleError:
    """No round's plan could size every hub: the first hub without a design in the best one, why, and what to
    change (its limits; and when the rounds ran out while the last one still capped sessions, their room: the
    session caps that steer load away from such hubs are a heuristic)."""
    plan, rounds = search.best, search.rounds
    i = next(i for i, d in enumerate(plan.designs) if d is None)
    k = int(plan.hub_sites[i])
    why, fix = infeasible_reason(
        plan.arrivals[i], plan.load[i], _available(inputs, k), inputs.costs, energy_sd_kwh=float(plan.energy_sd[i])
    )
    sc = inputs.scenario
    steering = not search.master_failed and bool(rounds) and rounds[-1]["session_caps"] > 0
    room = (
        f", or give the rounds more room (hourly.max_rounds = {sc.hourly.max_rounds}, solver.time_limit_s = "
        f"{sc.solver.time_limit_s:g})"
        if steering
        else ""
    )
    return InfeasibleError(
        f"{sc.where}: no plan of {len(rounds)} hourly round(s) sizes every hub: hub {inputs.site_ids[k]} has no "
        f"design ({why}); {fix}{room}."
    )


def _last_stops(inputs: Inputs, plan: HubPlan) -> dict[int, float]:
    """Per served flow, its earliest stop within the last leg's reach of its destination (driven km)."""
    last: dict[int, float] = {}
    ranges, drive = inputs.instance.ranges, inputs.instance.drive_km
    for q, p in zip(plan.stops.flow, plan.stops.drive_km, strict=True):
        if drive[q] - p <= ranges.last_km + 1e-6:
            last[int(q)] = min(last.get(int(q), np.inf), float(p))
    return last


def _energy_bounds(inputs: Inputs, plan: HubPlan, prices: SitePrices) -> tuple[float, float]:
    """Energy-and-grid load bounds over every plan, and over plans buying at least this plan's energy."""
    instance, vehicle = inputs.instance, inputs.scenario.vehicle
    flows = np.unique(plan.stops.flow).astype(int)
    volume = instance.volume[flows]
    any_plan = flow_bounds(instance, inputs.hours, prices.energy, vehicle, flows)
    same = flow_bounds(instance, inputs.hours, prices.energy, vehicle, flows, last_km=_last_stops(inputs, plan))
    return float(volume @ any_plan), float(volume @ same)


def _plan_points(inputs: Inputs, plan: HubPlan) -> dict[int, tuple[np.ndarray, float]]:
    """Each sized hub's load and charger power (where its prices are tight)."""
    out = {}
    for i, (k, d) in enumerate(zip(plan.hub_sites, plan.designs, strict=True)):
        if d is not None:
            power = sum(n * tl.power_kw for n, tl in zip(d.chargers, inputs.costs.types, strict=True))
            out[int(k)] = (plan.load[i], float(power))
    return out


def _round(
    inputs: Inputs, spec: MasterSpec, solver: Solver, seconds: float, log
) -> tuple[MasterOutcome, HubPlan | None]:
    config = inputs.scenario.solver
    two = inputs.scenario.capacity.size_levels == "relaxed"
    outcome = solve_master(inputs.instance, inputs.core, spec, config, two_stage=two, seconds=seconds, log=log)
    if not outcome.result.has_solution:
        return outcome, None
    return outcome, size_plan(inputs, outcome.model, solver)


@dataclass
class _Search:
    """The rounds so far: the best plan, and each round's proven master bound with its prices."""

    best: HubPlan | None = None
    best_master: MasterOutcome | None = None
    proofs: list[tuple[float, SitePrices]] = field(default_factory=list)
    rounds: list[dict] = field(default_factory=list)
    master_failed: bool = False  # a round's master had no plan (e.g. its session caps left none)


def decompose(inputs: Inputs, *, log: Callable[[str], None]) -> Solution:
    """Run the rounds, bound the result, return the best plan's master as the solution."""
    sc = inputs.scenario
    t0 = time.perf_counter()
    solver = Solver(threads=sc.solver.threads)
    prices = site_prices(
        potential_points(inputs.instance, inputs.hours, inputs.costs, sc.vehicle), inputs.costs, solver
    )
    spec, search = replace(inputs.spec, power_price=prices.power), _Search()
    last = 0.0
    for r in range(sc.hourly.max_rounds):
        left = sc.solver.time_limit_s - (time.perf_counter() - t0)
        if r > 0 and left < last:  # another round would not finish in the time left
            break
        started = time.perf_counter()
        outcome, plan = _round(inputs, spec, solver, max(left, 1.0), log)
        last = time.perf_counter() - started
        if plan is None:
            if search.best is None:
                return Solution(outcome.model, outcome.result)
            search.master_failed = True
            break
        gvolume = group_weight(inputs.instance, outcome.model.variables.groups, inputs.instance.volume)
        if outcome.bound is not None:
            search.proofs.append((outcome.bound - spec.charge_bound(gvolume), prices))
        missed, caps = _cuts(inputs, spec, plan)
        search.rounds.append(
            {
                "hubs_repaired_in_simulation": plan.repaired,
                "round": r + 1,
                "upper_eur_per_year": plan.upper,
                "master_bound_eur_per_year": outcome.bound,
                "hours_added": sum(len(h) for h in missed.values()),
                "session_caps": len(caps),
            }
        )
        failed = sum(d is None for d in plan.designs)
        log(
            f"hourly round {r + 1}: {len(plan.hub_sites)} hubs sized, annual cost {plan.upper:,.0f} EUR, "
            f"{len(missed)} busiest hour(s) outside the master's rows, {failed} hub(s) without a design, "
            f"{plan.repaired} given a larger connection after simulation"
        )
        if search.best is None or _better(plan, search.best):
            search.best, search.best_master = plan, outcome
        if not missed and not caps and _gap(inputs, search) <= sc.solver.mip_gap:
            break
        tight = site_prices(_plan_points(inputs, plan), inputs.costs, solver)
        used, prices = prices, SitePrices({**prices.energy, **tight.energy}, {**prices.power, **tight.power})
        if not missed and not caps and _same_prices(used, prices):
            log(f"hourly: round {r + 1} added no hour, cap or price; another round would repeat it")
            break
        caps = {k: min(v, spec.caps.get(k, np.inf)) for k, v in {**spec.caps, **caps}.items()}
        spec = replace(spec.with_hours(missed), caps=caps, power_price=prices.power)
    best = search.best
    if not np.isfinite(best.upper):
        raise _no_design(inputs, search)
    bound = _bound_block(inputs, search)
    seconds = {"total": time.perf_counter() - t0}
    log(
        f"hourly bound: {bound['lower_eur_per_year']:,.0f} EUR/year (gap {bound['gap']:.2%})"
        if bound["gap"] is not None
        else "hourly bound: none proven"
    )
    result = _result(search.best_master.result, bound, seconds["total"], len(search.rounds), sc.solver.mip_gap)
    decomposition = Decomposition(best, search.best_master, bound, search.rounds, seconds)
    return Solution(best.model, result, extra={"hourly": decomposition})


def _better(plan: HubPlan, best: HubPlan) -> bool:
    """Whether ``plan`` beats ``best``: cheaper, or (neither sizing every hub) fewer hubs without a design, so
    that an error names a hub of the closest plan."""
    if np.isfinite(plan.upper) or np.isfinite(best.upper):
        return plan.upper < best.upper
    return sum(d is None for d in plan.designs) < sum(d is None for d in best.designs)


def _same_prices(a: SitePrices, b: SitePrices) -> bool:
    """Whether two sets of site prices are equal (then the next master, its plan and its proof repeat this round's)."""
    return (
        a.power == b.power
        and a.energy.keys() == b.energy.keys()
        and all(np.array_equal(a.energy[k], b.energy[k]) for k in a.energy)
    )


def _bound_block(inputs: Inputs, search: _Search) -> dict:
    """The best proven bound: over the rounds, master bound + the best plan's energy-and-grid bounds."""
    upper = search.best.upper
    master = lower = lower_any = energy_same = energy_any = None
    for proven, prices in search.proofs:
        e_any, e_same = _energy_bounds(inputs, search.best, prices)
        if lower is None or proven + e_same > lower:
            master, energy_same, energy_any, lower = proven, e_same, e_any, proven + e_same
        lower_any = proven + e_any if lower_any is None else max(lower_any, proven + e_any)
    return {
        "upper_eur_per_year": upper,
        "master_bound_eur_per_year": master,
        "energy_grid_bound_eur_per_year": energy_same,
        "energy_grid_bound_any_energy_eur_per_year": energy_any,
        "lower_eur_per_year": lower,
        "lower_any_energy_eur_per_year": lower_any,
        "gap": None if lower is None else max(upper - lower, 0.0) / upper,
        "gap_any_energy": None if lower_any is None else max(upper - lower_any, 0.0) / upper,
    }


def _gap(inputs: Inputs, search: _Search) -> float:
    gap = _bound_block(inputs, search)["gap"]
    return float("inf") if gap is None else gap


def _result(master: SolveResult, bound: dict, seconds: float, rounds: int, target_gap: float) -> SolveResult:
    gap = bound["gap"]
    return SolveResult(
        status="optimal" if gap is not None and gap <= target_gap + 1e-12 else "feasible",
        solver=master.solver,
        objective=bound["upper_eur_per_year"],
        best_bound=bound["lower_eur_per_year"],
        mip_gap=gap,
        seconds=seconds,
        time_limit_hit=master.time_limit_hit,
        message=f"hourly decomposition: {rounds} round(s); master {master.status} ({master.message}); every hub "
        "sized exactly; bound = master bound + per-flow energy-and-grid bound",
    )
