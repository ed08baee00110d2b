"""One hub sized exactly, given its 24 arrival rates and loads: chargers, connection, battery, dispatch.

Per hub, with arrivals ``λ_h`` (trucks/h) and load ``L_h`` (kW, the hour's mean):

* chargers: one binary per level and type, ``Σ_l z[t,l] = 1``; every hour's arrivals fit the levels'
  hourly capacities, ``max_h λ_h ≤ Σ_t Σ_l cap[t,l] z[t,l]`` (each hour's arrivals can then be split
  over the types so that every type's M/M/c wait meets the target in that hour);
* connection ``C = step · m`` (``m`` integer), at most the site's available kW plus paid upgrade steps
  (``[grid]``) or ``max_connection_kw``; battery units ``b`` (integer);
* dispatch over a representative day: ``L_h = g_h + d_h − c_h``, ``g_h ≤ C``,
  ``s_h = s_{h−1} + η_c c_h − d_h / η_d`` (cyclic), ``0 ≤ s_h ≤ b E_u``, ``c_h, d_h ≤ b P_u``;
* power at any moment: ``σ Σ_t n_t P_t ≤ C + b P_u``;
* the load above the connection within each hour (:mod:`planner.features.hourly.excess`):
  ``d_h ≥ E[(D_h − C)⁺] − allowance`` (without a battery the connection leaves no more), by tangents of
  the convex excess, one more at the chosen connection until it holds there exactly;
* a busy day (every hour's load raised by ``reserve_sd`` standard deviations of the daily energy, in
  proportion) has a dispatch on the same connection and battery too (unpriced).

Minimise the annual cost: chargers' annuity, connection annuity and capacity charge, upgrades,
battery annuity, and ``365 Σ_h price_h g_h``. :func:`load_duals` solves the energy-and-grid part's
linear relaxation without any site, unit, excess or busy-day limit; its duals price load hour by hour
and charger power, ``V(L, P) ≥ π · L + ψ P`` for every ``L, P ≥ 0`` (a homogeneous LP), which makes
them valid cuts for the global bound (:mod:`planner.features.hourly.bound`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from planner.features.hourly.costs import HubCosts
from planner.features.hourly.excess import excess_allowance, excess_tangents, expected_excess, load_spread
from planner.features.hourly.lp import INF, LinearModel, Solver

__all__ = ["HubDesign", "infeasible_reason", "load_duals", "size_hub"]

_H = 24
_EXCESS_ROUNDS = 4
# Levels sit 1e-4 below the exact Erlang-C capacity (costs.py); a hub's arrivals may exceed a level by half
# that (the master meets its rows within solver tolerances, the stops' shares are stated to 6 decimals).
_LEVEL_SLACK = 5e-5


@dataclass(frozen=True)
class HubDesign:
    """A sized hub.

    Attributes
    ----------
    chargers
        Points per type (order of ``HubCosts.types``).
    connection_kw, upgrade_kw, battery_units
        Connection, the part of it bought as upgrades above the site's available kW, battery units.
    grid_kw, charge_kw, discharge_kw, soc_kwh
        Hourly dispatch (means over the hour; state of charge at the hour's end).
    annual, capex
        Annual cost and capex by part (EUR/year, EUR).
    """

    chargers: tuple[int, ...]
    connection_kw: float
    upgrade_kw: float
    battery_units: int
    grid_kw: np.ndarray
    charge_kw: np.ndarray
    discharge_kw: np.ndarray
    soc_kwh: np.ndarray
    annual: dict[str, float] = field(default_factory=dict)
    capex: dict[str, float] = field(default_factory=dict)

    @property
    def annual_total(self) -> float:
        """Annual cost of the hub's sizing (site not included)."""
        return float(sum(self.annual.values()))


@dataclass
class _Columns:
    levels: list[list[int]]  # per type, the column of each level it may take
    servers: list[tuple[int, ...]]  # per type, the points of those levels
    steps: int
    upgrades: int | None
    units: int | None
    grid: list[int]
    charge: list[int] = field(default_factory=list)
    discharge: list[int] = field(default_factory=list)
    soc: list[int] = field(default_factory=list)


def _excess_rows(
    m: LinearModel, load: np.ndarray, costs: HubCosts, conn: list[tuple[int, float]], cols, at_kw: tuple[float, ...]
) -> None:
    """The battery's discharge covers the load above the connection within each hour, up to an allowance
    (without a battery the connection leaves no more than it): tangents of the convex expected excess, at
    the standard points and at ``at_kw``."""
    spread = load_spread(load, costs.max_power_kw)
    for h in range(_H):
        cuts = excess_tangents(float(load[h]), float(spread[h]), at_kw)
        if not cuts:
            continue
        allowance = excess_allowance(float(load[h]))
        x = m.add_var(ub=INF if cols.discharge else allowance)
        for a, b in cuts:
            m.add_row([x] + [i for i, _ in conn], [1.0] + [a * k for _, k in conn], lo=b)
        if cols.discharge:
            m.add_row([cols.discharge[h], x], [1.0, -1.0], lo=-allowance)


def _dispatch(
    m: LinearModel,
    load: np.ndarray,
    costs: HubCosts,
    conn: list[tuple[int, float]],
    units: int | None,
    *,
    excess: tuple[float, ...] | None,
    priced: bool = True,
):
    """Grid, battery and state-of-charge columns and rows; ``conn`` is the connection as (column, kW).
    ``priced``: the grid energy is paid (the representative day) or only has to be possible (a busy day)."""
    grid = [m.add_var(cost=float(c) if priced else 0.0) for c in costs.energy_eur_per_kw]
    cols = _Columns([], [], -1, None, units, grid)
    for h in range(_H):
        m.add_row([grid[h]] + [i for i, _ in conn], [1.0] + [-a for _, a in conn], hi=0.0)
    if units is None:
        for h in range(_H):
            m.add_row([grid[h]], [1.0], lo=float(load[h]), hi=float(load[h]))
        if excess is not None:
            _excess_rows(m, load, costs, conn, cols, excess)
        return cols
    cols.charge = m.add_vars(_H)
    cols.discharge = m.add_vars(_H)
    cols.soc = m.add_vars(_H)
    for h in range(_H):
        m.add_row([grid[h], cols.discharge[h], cols.charge[h]], [1.0, 1.0, -1.0], lo=float(load[h]), hi=float(load[h]))
        prev = cols.soc[h - 1]
        m.add_row(
            [cols.soc[h], prev, cols.charge[h], cols.discharge[h]],
            [1.0, -1.0, -costs.eta_charge, 1.0 / costs.eta_discharge],
            lo=0.0,
            hi=0.0,
        )
        m.add_row([cols.soc[h], units], [1.0, -costs.battery_kwh], hi=0.0)
        m.add_row([cols.charge[h], units], [1.0, -costs.battery_kw], hi=0.0)
        m.add_row([cols.discharge[h], units], [1.0, -costs.battery_kw], hi=0.0)
    if excess is not None:
        _excess_rows(m, load, costs, conn, cols, excess)
    return cols


def _build(
    arrivals: np.ndarray,
    load: np.ndarray,
    available_kw: float | None,
    costs: HubCosts,
    at_kw: tuple,
    reserve: float,
    min_kw: float = 0.0,
    existing: tuple[int, ...] = (),
):
    m = LinearModel()
    levels, servers, caps = [], [], []
    for ti, tl in enumerate(costs.types):
        e = existing[ti] if existing else 0
        first = next((li for li, c in enumerate(tl.servers) if c >= e), len(tl.servers) - 1)
        servers.append(tl.servers[first:])  # no level below the points already standing, which cost nothing
        caps.append(tl.capacity[first:])
        cols = [m.add_var(ub=1.0, cost=max(s - e, 0) * costs.charger_annual(ti), integer=True) for s in servers[-1]]
        m.add_row(cols, [1.0] * len(cols), lo=1.0, hi=1.0)
        levels.append(cols)
    peak = float(np.max(arrivals)) * (1 - _LEVEL_SLACK) if len(arrivals) else 0.0
    m.add_row([c for cols in levels for c in cols], [cap for cp in caps for cap in cp], lo=peak)
    top = math.floor(costs.limit_kw(available_kw) / costs.step_kw + 1e-9)
    low = float(min(math.ceil(min_kw / costs.step_kw - 1e-9), top))
    steps = m.add_var(lb=low, ub=float(top), cost=costs.step_kw * costs.connection_annual_per_kw, integer=True)
    upgrades = None
    if available_kw is not None and costs.max_upgrades > 0:
        upgrades = m.add_var(
            ub=float(costs.max_upgrades), cost=costs.upgrade_step_eur * costs.connection_factor, integer=True
        )
        m.add_row([steps, upgrades], [costs.step_kw, -costs.upgrade_step_kw], hi=available_kw)
    elif available_kw is not None:
        m.add_row([steps], [costs.step_kw], hi=available_kw)
    units = None
    if costs.max_units > 0:
        units = m.add_var(ub=float(costs.max_units), cost=costs.battery_annual, integer=True)
    cols = _dispatch(m, load, costs, [(steps, costs.step_kw)], units, excess=at_kw)
    cols.levels, cols.servers, cols.steps, cols.upgrades = levels, servers, steps, upgrades
    if reserve > 0 and load.sum() > 0:  # a busy day (the reserve's share more of every hour) must fit too
        busy = load * (1.0 + reserve / float(load.sum()))
        _dispatch(m, busy, costs, [(steps, costs.step_kw)], units, excess=at_kw, priced=False)
    power = [
        (c, costs.simultaneity * s * tl.power_kw)
        for tl, lv, sv in zip(costs.types, levels, servers, strict=True)
        for c, s in zip(lv, sv, strict=True)
    ]
    idx = [c for c, _ in power] + [steps] + ([units] if units is not None else [])
    val = [v for _, v in power] + [-costs.step_kw] + ([-costs.battery_kw] if units is not None else [])
    m.add_row(idx, val, hi=0.0)
    return m, cols


def _excess_met(x: np.ndarray, cols: _Columns, load: np.ndarray, conn: float, costs: HubCosts) -> bool:
    need = expected_excess(load, load_spread(load, costs.max_power_kw), conn) - excess_allowance(load)
    delivered = x[cols.discharge] if cols.discharge else np.zeros(_H)
    return bool(np.all(delivered >= need - 1e-6 * (1.0 + need)))


def size_hub(
    arrivals: np.ndarray,
    load_kw: np.ndarray,
    available_kw: float | None,
    costs: HubCosts,
    solver: Solver,
    *,
    energy_sd_kwh: float = 0.0,
    min_connection_kw: float = 0.0,
    existing: tuple[int, ...] = (),
) -> HubDesign | None:
    """The cheapest design of one hub (``None`` if none exists: see :func:`infeasible_reason`).

    ``available_kw`` is the site's grid capacity with ``[grid]`` on (``None``: no site limit);
    ``energy_sd_kwh`` the standard deviation of its daily energy: a busy day, every hour's load raised by
    ``costs.reserve_sd`` of it in proportion, must have a dispatch on the same connection and battery too;
    ``min_connection_kw`` a floor on the connection (a design that failed in simulation asks for more);
    ``existing`` the points of each type already standing there: kept, and not paid again.
    """
    load = np.asarray(load_kw, float)
    at_kw: tuple[float, ...] = ()
    reserve = costs.reserve_sd * energy_sd_kwh
    for _ in range(_EXCESS_ROUNDS):  # add a tangent at the chosen connection until the excess is met there
        m, cols = _build(
            np.asarray(arrivals, float), load, available_kw, costs, at_kw, reserve, min_connection_kw, existing
        )
        sol = solver.solve(m)
        if sol.status == "infeasible" or not len(sol.x):
            return None
        x = sol.x
        conn = round(x[cols.steps]) * costs.step_kw
        if conn in at_kw or _excess_met(x, cols, load, conn, costs):
            break
        at_kw += (conn,)
    stand = existing or (0,) * len(costs.types)
    chosen = [
        int(sum(s for c, s in zip(lv, sv, strict=True) if x[c] > 0.5))
        for lv, sv in zip(cols.levels, cols.servers, strict=True)
    ]
    chargers = tuple(max(n, e) for n, e in zip(chosen, stand, strict=True))  # points already standing stay
    ups = round(x[cols.upgrades]) if cols.upgrades is not None else 0
    units = round(x[cols.units]) if cols.units is not None else 0
    zeros = np.zeros(_H)

    def col(idx: list[int]) -> np.ndarray:
        return np.maximum(x[idx], 0.0) if idx else zeros.copy()

    grid, charge, discharge, soc = col(cols.grid), col(cols.charge), col(cols.discharge), col(cols.soc)
    charger_capex = float(sum((n - e) * tl.capex_eur for n, e, tl in zip(chargers, stand, costs.types, strict=True)))
    capex = {
        "chargers": charger_capex,
        "connection": conn * costs.connection_eur_per_kw,
        "upgrades": ups * costs.upgrade_step_eur,
        "battery": units * costs.battery_eur,
    }
    annual = {
        "chargers": charger_capex * costs.charger_factor,
        "connection": conn * costs.connection_eur_per_kw * costs.connection_factor,
        "capacity_charge": conn * costs.capacity_charge,
        "upgrades": ups * costs.upgrade_step_eur * costs.connection_factor,
        "battery": units * costs.battery_annual,
        "energy": float(np.dot(costs.energy_eur_per_kw, grid)),
    }
    return HubDesign(chargers, conn, ups * costs.upgrade_step_kw, units, grid, charge, discharge, soc, annual, capex)


def chargers_suffice(arrivals: np.ndarray, costs: HubCosts) -> bool:
    """Whether the largest pools of every type take the hub's busiest hour."""
    return float(np.max(arrivals)) * (1 - _LEVEL_SLACK) <= sum(tl.capacity[-1] for tl in costs.types) + 1e-9


def infeasible_reason(
    arrivals: np.ndarray,
    load_kw: np.ndarray,
    available_kw: float | None,
    costs: HubCosts,
    *,
    energy_sd_kwh: float = 0.0,
) -> tuple[str, str]:
    """Why no design exists (one clause with the numbers) and the fix."""
    limit = costs.top_connection_kw(available_kw)
    where = "the site's grid capacity plus allowed upgrades" if available_kw is not None else "max_connection_kw"
    grid_fix = (
        "raise the site's grid capacity ([grid] capacity_file, upgrades) or hourly.max_connection_kw, or add "
        "candidate sites nearby"
    )
    daily = float(np.sum(load_kw))
    reserve = costs.reserve_sd * energy_sd_kwh
    if daily + reserve > 24 * limit * (1 + 1e-9):
        extra = f" (+ a reserve of {reserve / 1000:,.1f} MWh for busy days)" if reserve > 0 else ""
        why = (
            f"its {daily / 1000:,.1f} MWh a day{extra} exceed 24 h × {limit:,.0f} kW ({where}) whatever the battery "
            "(a battery shifts energy, it does not add any)"
        )
        return why, grid_fix
    if not chargers_suffice(arrivals, costs):
        top = sum(tl.capacity[-1] for tl in costs.types)
        why = f"its peak of {np.max(arrivals):.1f} arrivals/h exceeds what the largest charger pools take ({top:.1f}/h)"
        return why, "raise chargers.<type>.max_per_hub or add candidate sites nearby"
    why = f"its load does not fit {limit:,.0f} kW ({where}) and {costs.max_units} battery unit(s) hour by hour"
    return why, grid_fix + ", or allow more hourly.max_battery_units"


def load_duals(load_kw: np.ndarray, power_kw: float, costs: HubCosts, solver: Solver) -> tuple[np.ndarray, float]:
    """Prices ``π_h`` (EUR/year per kW of load in hour ``h``) and ``ψ`` (EUR/year per kW of chargers) with
    ``V(L, P) ≥ π · L + ψ P`` for every load ``L ≥ 0`` and charger power ``P ≥ 0``.

    ``V`` is the energy-and-grid cost's linear relaxation: continuous connection (annuity and capacity
    charge per kW) and battery (per unit), dispatch and power cover as in :func:`size_hub`, no site,
    upgrade or unit limits (each dropped limit only lowers ``V``). Every right-hand side but ``L`` and
    ``σ P`` is 0, so ``V`` is positively homogeneous and the duals at ``(load_kw, power_kw)`` bound it
    everywhere (weak duality); they are tight at that point.
    """
    m = LinearModel()
    conn = m.add_var(cost=costs.connection_annual_per_kw)
    units = m.add_var(cost=costs.battery_annual) if costs.max_units > 0 else None
    first = len(m.row_lower)
    _dispatch(m, np.asarray(load_kw, float), costs, [(conn, 1.0)], units, excess=None)
    cover = m.add_row(
        [conn] + ([units] if units is not None else []),
        [1.0] + ([costs.battery_kw] if units is not None else []),
        lo=costs.simultaneity * power_kw,
    )
    sol = solver.solve(m)
    if sol.status != "optimal":  # cannot happen for loads ≥ 0; the weakest valid prices then
        return np.zeros(_H), 0.0
    balance = [first + _H + (5 * h if units is not None else h) for h in range(_H)]
    safe = 1 - 1e-9  # below the duals by more than the solver's tolerance
    return np.array([sol.row_dual[r] for r in balance]) * safe, float(sol.row_dual[cover]) * costs.simultaneity * safe
