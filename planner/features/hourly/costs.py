"""What hour-by-hour sizing costs and allows: charger levels per hour, connection, battery, tariff.

:class:`HubCosts` gathers everything the master and the per-hub subproblems price, from the
scenario, in annual EUR: capex turned into an annuity over each asset's life (``costs.discount_rate``)
plus ``costs.opex_share_per_year`` of it, the capacity charge per kW of connection, and energy at the
time-of-use price. Charger levels are in arrivals per hour: for ``c`` points of a type, the most
arrivals in one hour whose M/M/c mean wait meets ``capacity.max_wait_min`` (pointwise-stationary:
every hour on its own).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from planner.chargers import TYPES, offered_types, standing_points
from planner.features.capacity.model import TypeLevels
from planner.features.capacity.queueing import size_levels
from planner.features.economics.money import capital_recovery_factor
from planner.scenario import Scenario

__all__ = ["HubCosts", "hourly_split", "hub_costs"]

_MARGIN = 1e-4  # levels sit this share below the exact Erlang-C capacity (solver tolerances)


@dataclass(frozen=True)
class HubCosts:
    """Prices and limits of one hub's sizing (annual EUR unless stated).

    Attributes
    ----------
    types
        Charger levels per offered type: points and the arrivals per hour they take at the wait target.
    session_h, charge_h
        Mean session time per type (full swing plus plug overhead) and the hours a session's energy is
        drawn over (the fastest type's full-swing charging time).
    charger_factor
        Annual cost per EUR of site or charger capex (annuity over ``costs.lifetime_years`` + opex).
    site_annual_eur
        Annual cost of a new site.
    step_kw, connection_eur_per_kw, connection_factor, capacity_charge
        Connection steps, capex per kW, its annual factor and the capacity charge per kW and year.
    max_connection_kw
        Largest connection when the site has no grid limit.
    upgrade_step_kw, upgrade_step_eur, max_upgrades
        Paid grid upgrades above the site's available kW ([grid] on, lead time permitting).
    battery_kwh, battery_kw, battery_eur, battery_factor, max_units
        One battery unit and its annual factor; the most units per hub.
    eta_charge, eta_discharge
        Charge and discharge efficiency.
    price
        Price per hour (EUR/MWh: tariff plus adder).
    simultaneity
        Share of the chargers' power connection plus battery must cover at once.
    reserve_sd
        Standard deviations of a hub's daily energy the connection must deliver beyond the dispatch.
    existing
        Points already standing at existing hubs, by ``(site, type index)``: kept, not paid again.
    """

    types: tuple[TypeLevels, ...]
    session_h: dict[str, float]
    charge_h: float
    charger_factor: float
    site_annual_eur: float
    step_kw: float
    connection_eur_per_kw: float
    connection_factor: float
    capacity_charge: float
    max_connection_kw: float
    upgrade_step_kw: float
    upgrade_step_eur: float
    max_upgrades: int
    battery_kwh: float
    battery_kw: float
    battery_eur: float
    battery_factor: float
    max_units: int
    eta_charge: float
    eta_discharge: float
    price: np.ndarray
    simultaneity: float
    reserve_sd: float = 0.0
    existing: Mapping[tuple[int, int], int] = field(default_factory=dict)

    def standing(self, k: int) -> tuple[int, ...]:
        """Points of each type already standing at site ``k``."""
        return tuple(int(self.existing.get((k, ti), 0)) for ti in range(len(self.types)))

    @property
    def energy_eur_per_kw(self) -> np.ndarray:
        """Annual cost of one kW drawn from the grid through hour ``h`` every day (EUR/year)."""
        return 365.0 * self.price / 1000.0

    @property
    def connection_annual_per_kw(self) -> float:
        """Annual cost of one kW of connection: annuity and opex of its capex plus the capacity charge."""
        return self.connection_eur_per_kw * self.connection_factor + self.capacity_charge

    @property
    def battery_annual(self) -> float:
        """Annual cost of one battery unit."""
        return self.battery_eur * self.battery_factor

    @property
    def max_power_kw(self) -> float:
        """Power of the fastest offered charger type (the load's variance, conservatively)."""
        return max(tl.power_kw for tl in self.types)

    def charger_annual(self, ti: int) -> float:
        """Annual cost of one point of type ``ti``."""
        return self.types[ti].capex_eur * self.charger_factor

    def limit_kw(self, available_kw: float | None) -> float:
        """Largest connection at a site: ``max_connection_kw``, or with a grid limit its available kW plus
        every allowed upgrade."""
        if available_kw is None:
            return self.max_connection_kw
        return available_kw + self.max_upgrades * self.upgrade_step_kw

    def top_connection_kw(self, available_kw: float | None) -> float:
        """Largest connection in whole steps at a site (:meth:`limit_kw` rounded down to ``step_kw``)."""
        return math.floor(self.limit_kw(available_kw) / self.step_kw + 1e-9) * self.step_kw

    def power_room_kw(self, available_kw: float | None) -> float:
        """Most power connection and battery give at once at a site (its largest connection, every battery
        unit): ``simultaneity`` × a hub's chargers' power may not exceed it."""
        return self.top_connection_kw(available_kw) + self.max_units * self.battery_kw


def _levels(scenario: Scenario, max_rate: float) -> tuple[tuple[TypeLevels, ...], dict[str, float], float]:
    wait_h = scenario.capacity.max_wait_min / 60.0
    overhead_h = scenario.capacity.plug_overhead_min / 60.0
    types, session = [], {}
    for t in offered_types(scenario):
        found = size_levels(max(max_rate * 1.01, 1e-9), t.session_h, 1.0, wait_h, max_servers=t.spec.max_per_hub)
        lo = t.spec.min_per_hub
        kept = [(lv.servers, lv.max_sessions_per_day * (1 - _MARGIN)) for lv in found if lv.servers >= lo]
        if lo == 0:
            kept.insert(0, (0, 0.0))
        elif not kept:  # the smallest allowed pool already takes every arrival
            kept = [(lo, max_rate * 1.01)]
        servers, capacity = zip(*kept, strict=True)
        types.append(TypeLevels(t.name, tuple(servers), tuple(capacity), t.spec.capex_eur, t.spec.power_kw))
        session[t.name] = t.session_h
    charge_h = min(session[t.name] for t in types) - overhead_h
    return tuple(types), session, max(charge_h, 0.0)


def hub_costs(scenario: Scenario, max_rate: float, existing: Mapping[str, np.ndarray] | None = None) -> HubCosts:
    """The scenario's hub prices and limits; ``max_rate`` bounds any hub's arrivals per hour; ``existing``
    the points already standing per type at each site (:func:`planner.chargers.existing_by_type`)."""
    hc, costs, grid = scenario.hourly, scenario.costs, scenario.grid
    opex = costs.opex_share_per_year
    types, session, charge_h = _levels(scenario, max_rate)
    charger_factor = capital_recovery_factor(costs.discount_rate, costs.lifetime_years) + opex
    upgrades = grid.enabled and grid.upgrades_available and grid.max_upgrade_steps > 0
    return HubCosts(
        types=types,
        session_h=session,
        charge_h=charge_h,
        charger_factor=charger_factor,
        site_annual_eur=costs.site_fixed_eur * charger_factor,
        step_kw=hc.connection_step_kw,
        connection_eur_per_kw=hc.connection_eur_per_kw,
        connection_factor=capital_recovery_factor(costs.discount_rate, hc.connection_lifetime_years) + opex,
        capacity_charge=hc.capacity_charge_eur_per_kw_year,
        max_connection_kw=hc.max_connection_kw,
        upgrade_step_kw=grid.upgrade_step_kw if upgrades else 0.0,
        upgrade_step_eur=grid.upgrade_eur_per_mw * grid.upgrade_step_kw / 1000.0 if upgrades else 0.0,
        max_upgrades=grid.max_upgrade_steps if upgrades else 0,
        battery_kwh=hc.battery_unit_kwh,
        battery_kw=hc.battery_unit_kw,
        battery_eur=hc.battery_unit_eur,
        battery_factor=capital_recovery_factor(costs.discount_rate, hc.battery_lifetime_years) + opex,
        max_units=hc.max_battery_units,
        eta_charge=hc.charge_efficiency,
        eta_discharge=hc.discharge_efficiency,
        price=np.asarray(hc.tariff_eur_per_mwh, dtype=float) + hc.energy_adder_eur_per_mwh,
        simultaneity=hc.simultaneity,
        reserve_sd=hc.reserve_sd,
        existing=standing_points(existing, [t.name for t in types]),
    )


def hourly_split(arrivals: np.ndarray, chargers: dict[str, int], costs: HubCosts) -> dict[str, np.ndarray]:
    """Arrivals per hour of each type: in proportion to the hourly capacity of the type's points (each type
    then meets the wait target in every hour the pool as a whole does)."""
    cap = {tl.name: tl.capacity[tl.servers.index(chargers[tl.name])] for tl in costs.types}
    total = sum(cap.values())
    return {t: arrivals * (cap.get(t, 0.0) / total if total > 0 else 0.0) for t in TYPES}
