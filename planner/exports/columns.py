"""Units and meanings of every output column: the one source for ``docs/formats.md`` and the
headers of ``plan.xlsx`` (``volume [trucks/day]``).

CSV column names do not carry units (backward compatibility); this table does. A test keeps it
in sync with :data:`planner.plan.HUB_COLUMNS`, :data:`planner.plan.FLOW_COLUMNS`, the feature
columns added by :mod:`planner.outputs`/:mod:`planner.economics` and ``docs/formats.md``.
"""

from __future__ import annotations

# column -> (unit, meaning); unit "" for ids, text and flags
HUB_UNITS: dict[str, tuple[str, str]] = {
    "site_id": ("", "candidate site id"),
    "name": ("", "site name"),
    "lon": ("degrees", "WGS84 longitude"),
    "lat": ("degrees", "WGS84 latitude"),
    "node_or_edge": ("", "`node:<id>` or `edge:<u>–<v>@<offset>km`: where the site sits on the network"),
    "country": ("", "ISO 3166-1 alpha-2"),
    "tier": ("", "`core` / `comprehensive`"),
    "locked": ("true/false", "existing hub kept open (cost 0)"),
    "chargers": ("points", "charging points, all types"),
    "chargers_mcs": ("points", "MCS charging points"),
    "chargers_ccs": ("points", "CCS charging points"),
    "chargers_mcs_existing": ("points", "MCS points an existing hub had before the plan (not paid)"),
    "chargers_ccs_existing": ("points", "CCS points an existing hub had before the plan (not paid)"),
    "cost_eur": ("EUR", "capex of the hub (site, points, grid upgrade, battery); whole EUR"),
    "flows_charging": ("flows", "served flows that charge here"),
    "volume_charging": ("trucks/day", "trucks per day that charge here (a rollout: in its last year)"),
    "power_kw": ("kW", "installed charging power"),
    "energy_mwh_per_year": ("MWh/year", "energy charged per year"),
    "capex_eur": ("EUR", "capex (as cost_eur); whole EUR"),
    "opex_eur_per_year": ("EUR/year", "operating cost per year; whole EUR"),
    "annualised_cost_eur": ("EUR/year", "capex × capital recovery factor + opex; whole EUR"),
    "margin_eur_per_year": ("EUR/year", "charging margin per year; whole EUR"),
    "payback_years": ("years", "capex / (margin − opex); empty if never paid back"),
    "afir_pool_ok": ("true/false", "the hub's pool meets the AFIR pool requirement of its tier"),
    "opened_year": ("year", "rollouts: planning year the hub opens"),
    "sessions_mcs": ("sessions/day", "capacity runs: daily charging sessions on MCS points"),
    "sessions_ccs": ("sessions/day", "capacity runs: daily charging sessions on CCS points"),
    "sessions_per_day": ("sessions/day", "capacity runs: daily charging sessions"),
    "peak_arrivals_per_hour": ("sessions/h", "capacity runs: arrivals in the peak hour"),
    "utilisation": ("share 0–1", "capacity runs: busy share of the points in the peak hour"),
    "expected_wait_min": ("min", "capacity runs: expected wait in the peak hour (worst type)"),
    "cut_sessions_per_day": ("sessions/day", "sized runs with a max_flows cut: the cut flows' sessions here, at least"),
    "cut_points_short": ("points", "sized runs with a max_flows cut: points lacking for them, at least"),
    "cut_energy_mwh_per_year": ("MWh/year", "sized runs with a max_flows cut: the cut flows' energy here, at least"),
    "cut_connection_short_kw": ("kW", "hourly runs with a max_flows cut: grid connection lacking for them, at least"),
    "grid_available_kw": ("kW", "grid runs: grid capacity available at the site"),
    "grid_upgrade_kw": ("kW", "grid runs: grid upgrade built"),
    "battery_units": ("units", "grid runs: on-site battery units"),
    "battery_kwh": ("kWh", "grid runs: on-site battery energy"),
    "battery_kw": ("kW", "grid runs: on-site battery power"),
    "peak_hour": ("hour 0–23", "hourly runs: hour of the day with the most arrivals"),
    "peak_wait_min": ("min", "hourly runs: expected wait in the peak hour (worst type)"),
    "grid_connection_kw": ("kW", "hourly runs: grid connection built (whole steps)"),
    "grid_avoided_kw": ("kW", "hourly runs: connection the battery saves (same chargers and load without it)"),
    "peak_load_kw": ("kW", "hourly runs: highest hourly charging load"),
    "energy_cost_eur_per_year": ("EUR/year", "hourly runs: grid energy × time-of-use tariff × 365"),
    "capacity_charge_eur_per_year": ("EUR/year", "hourly runs: connection kW × annual capacity charge"),
    "hourly_annual_cost_eur": ("EUR/year", "hourly runs: capex annuities + energy + capacity charge (+ site)"),
    "sizing": ("", "hourly runs: the trade-off the hub made (battery instead of connection, or none)"),
}
FLOW_UNITS: dict[str, tuple[str, str]] = {
    "flow_id": ("", "flow id"),
    "origin": ("", "origin node id"),
    "destination": ("", "destination node id"),
    "volume": (
        "trucks/day",
        "battery-electric trucks per day (a rollout: before its growth and BEV shares; a year's is this × its "
        "volume_factor)",
    ),
    "length_km": ("km", "route length"),
    "drive_km": ("km", "route length driven (without ferry / rail shuttle)"),
    "served": ("true/false", "the flow completes its trip with the plan's hubs"),
    "status": ("", "`served` / `not_selected` / `unservable`"),
    "route_nodes": ("", "node ids along the route, `;`-joined"),
    "stops": ("", "site ids where it charges, `;`-joined"),
    "stops_km": ("km", "position of each stop along the route, `;`-joined"),
    "stops_share": ("share 0–1", "share of the flow's trucks charging at each stop, `;`-joined"),
}
AFIR_UNITS: dict[str, tuple[str, str]] = {
    "edge_id": ("", "network edge id"),
    "direction": ("", "`forward` (u→v) / `backward`"),
    "tier": ("", "`core` / `comprehensive`"),
    "total_km": ("km", "length of the edge in this direction"),
    "compliant_km": ("km", "length with a compliant pool within the AFIR spacing"),
}
#: Prefix of the entries of ``[capacity] every_flow_bound`` (:mod:`planner.features.capacity.every_flow`).
_BOUND = "demand.cut_flows_sessions.every_flow_bound."
SUMMARY_UNITS: dict[str, tuple[str, str]] = {
    "objective_value": ("per objective", "EUR (min_cost) or trucks/day / truck-km/day (max_coverage)"),
    "best_bound": ("per objective", "solver's bound, same unit as objective_value"),
    "mip_gap": ("share 0–1", "relative gap between objective and bound"),
    "solve_seconds": ("s", "solver time"),
    "hub_count": ("hubs", "open hubs (new and existing)"),
    "new_hub_count": ("hubs", "new hubs"),
    "existing_hub_count": ("hubs", "existing (locked) hubs"),
    "total_volume": ("trucks/day", "volume of all flows"),
    "covered_volume": ("trucks/day", "volume of the served flows"),
    "covered_share": ("share 0–1", "covered_volume / total_volume"),
    "total_truck_km": ("truck-km/day", "volume × length of all flows"),
    "covered_truck_km": ("truck-km/day", "volume × length of the served flows"),
    "covered_weight_share": ("share 0–1", "served share of the objective's weight (volume or truck-km)"),
    "total_cost_eur": ("EUR", "capex of the open hubs"),
    "total_chargers": ("points", "charging points, all hubs"),
    "existing_chargers": ("points", "of them, points existing hubs had before the plan (not paid)"),
    "candidates": ("sites", "candidate sites"),
    "flows": ("flows", "flows in the demand"),
    "flows_served": ("flows", "served flows"),
    "demand.trips": ("trips", "rows of the trips file"),
    "demand.flows": ("flows", "distinct origin-destination pairs of the trips, or the gravity model's flows"),
    "demand.flows_kept": ("flows", "the largest of them kept by max_flows (the rest is outside the plan)"),
    "demand.volume_kept_share": ("share 0–1", "the kept flows' share of the trucks/day (trips per day)"),
    "demand.all_flows_served_share": ("share 0–1", "share of every flow's trucks/day (cut ones too) the hubs serve"),
    "demand.cut_flows_sessions.rule": ("", "how the cut flows' trucks choose their stops"),
    "demand.cut_flows_sessions.sessions_per_day": ("sessions/day", "the cut flows' sessions at the hubs, at least"),
    "demand.cut_flows_sessions.planned_sessions_per_day": ("sessions/day", "sessions the hubs are sized for"),
    "demand.cut_flows_sessions.hubs_with_sessions": ("hubs", "hubs the cut flows' trucks stop at"),
    "demand.cut_flows_sessions.max_hub_increase": ("share", "largest rise of one hub's sessions (0.5 = +50 %)"),
    "demand.cut_flows_sessions.energy_mwh_per_year": ("MWh/year", "the energy they charge at the hubs, at least"),
    "demand.cut_flows_sessions.planned_energy_mwh_per_year": ("MWh/year", "the energy the hubs are planned for"),
    "demand.cut_flows_sessions.points_short.mcs": ("points", "MCS points the hubs lack for them (at least)"),
    "demand.cut_flows_sessions.points_short.ccs": ("points", "CCS points the hubs lack for them (at least)"),
    "demand.cut_flows_sessions.hubs_short": ("hubs", "hubs lacking points for them"),
    "demand.cut_flows_sessions.points_short_capex_eur": ("EUR", "those points at their capex"),
    "demand.cut_flows_sessions.hubs_over_max_per_hub": ("hubs", "hubs needing more than chargers.<type>.max_per_hub"),
    "demand.cut_flows_sessions.points_rule": ("", "hourly runs: the limit the points lacking are counted by"),
    "demand.cut_flows_sessions.connection_short_mw": ("MW", "hourly runs: grid connection the hubs lack, at least"),
    "demand.cut_flows_sessions.hubs_connection_short": ("hubs", "hourly runs: hubs lacking grid connection"),
    _BOUND + "every_flow_capex_bound_eur": (
        "EUR",
        "capex of any plan sizing hubs for every flow, at least",
    ),
    _BOUND + "plan_capex_eur": ("EUR", "the plan's capex it is compared with"),
    _BOUND + "status": ("", "the relaxation's solver status"),
    _BOUND + "seconds": ("s", "building and solving it"),
    _BOUND + "rows": ("rows", "the relaxation's rows"),
    _BOUND + "columns": ("columns", "the relaxation's columns"),
    _BOUND + "cut_flows": ("flows", "cut flows that need a hub (all served in it)"),
    _BOUND + "cut_trucks_per_day": ("trucks/day", "their trucks/day"),
    _BOUND + "cut_flows_unservable": (
        "flows",
        "cut flows no plan can serve (left out)",
    ),
    _BOUND + "cover_windows": (
        "windows",
        "distinct windows of theirs that need an open site",
    ),
    _BOUND + "load_windows": (
        "windows",
        "distinct disjoint windows carrying their sessions",
    ),
    _BOUND + "load_sessions_per_day": (
        "sessions/day",
        "the sessions those windows carry",
    ),
}
KPI_UNITS: dict[str, tuple[str, str]] = {
    "run": ("", "run folder name"),
    "scenario": ("", "scenario name"),
    "objective": ("", "`max_coverage` / `min_cost`"),
    "kpi_year": ("year", "rollouts: the planning year the KPIs are of (the last); empty for a one-year plan"),
    "status": ("", "solver status"),
    "mip_gap": ("share 0–1", "relative MIP gap"),
    "hub_count": ("hubs", "open hubs"),
    "new_hub_count": ("hubs", "new hubs"),
    "total_chargers": ("points", "charging points"),
    "points_mcs": ("points", "MCS points"),
    "points_ccs": ("points", "CCS points"),
    "power_mw": ("MW", "installed charging power"),
    "total_cost_eur": ("EUR", "capex; whole EUR"),
    "opex_eur_per_year": ("EUR/year", "opex; whole EUR"),
    "total_volume": ("trucks/day", "volume of all flows"),
    "covered_volume": ("trucks/day", "volume of the served flows"),
    "covered_share": ("share 0–1", "served share of volume"),
    "demand_planned_share": ("share 0–1", "the planned flows' share of the demand's trucks/day (max_flows)"),
    "all_flows_served_share": ("share 0–1", "served share of every flow's trucks/day, the cut ones too"),
    "cut_sessions_per_day": ("sessions/day", "sized runs with a cut: the cut flows' sessions at the hubs, at least"),
    "cut_points_short": ("points", "sized runs with a cut: points the hubs lack for them, at least"),
    "every_flow_capex_bound_eur": (
        "EUR",
        "capacity.every_flow_bound: capex a plan sized for every flow needs, at least",
    ),
    "total_truck_km": ("truck-km/day", "volume × length, all flows"),
    "covered_truck_km": ("truck-km/day", "volume × length, served flows"),
    "cost_per_served_truck_km_day_eur": ("EUR per truck-km/day", "capex / covered_truck_km; cents"),
    "afir_year": ("year", "AFIR rules applied"),
    "afir_share": ("share 0–1", "AFIR compliant share of the measured network"),
    "afir_required_share": ("share 0–1", "share AFIR requires by that year"),
    "afir_met": ("true/false", "AFIR requirement met"),
    "verified": ("true/false", "independent verification passed"),
}
YEAR_UNITS: dict[str, tuple[str, str]] = {
    "year": ("year", "planning year"),
    "hubs": ("hubs", "hubs open at the end of the year"),
    "new_hubs": ("hubs", "hubs opened in the year"),
    "chargers_added": ("points", "charging points added in the year"),
    "points": ("points", "charging points open at the end of the year"),
    "power_mw": ("MW", "power of the charging points open at the end of the year"),
    "grid_upgrade_mw": ("MW", "grid upgrades built by then"),
    "capex_eur": ("EUR", "capex spent in the year; whole EUR"),
    "budget_eur": ("EUR", "the year's budget"),
    "volume_factor": ("factor", "the year's volume relative to the base year"),
    "total_volume": ("trucks/day", "the year's volume"),
    "covered_volume": ("trucks/day", "the year's served volume"),
    "covered_share": ("share 0–1", "served share of volume"),
    "total_truck_km": ("truck-km/day", "the year's truck-km"),
    "covered_truck_km": ("truck-km/day", "served truck-km"),
    "discounted_capex_cumulative_eur": ("EUR", "discounted capex up to the year"),
    "afir_milestone": ("year", "AFIR milestone due by the end of the year"),
    "afir_required_share": ("share 0–1", "share that milestone requires"),
    "afir_share": ("share 0–1", "AFIR compliant share of the year's hubs"),
    "afir_met": ("true/false", "milestone met"),
}
HOURLY_UNITS: dict[str, tuple[str, str]] = {
    "site_id": ("", "hub's site id"),
    "hour": ("hour 0–23", "hour of the representative day (0 = 00:00–01:00, the departure profile's clock)"),
    "arrivals": ("sessions/h", "expected charging arrivals in the hour"),
    "arrivals_mcs": ("sessions/h", "arrivals at MCS points"),
    "arrivals_ccs": ("sessions/h", "arrivals at CCS points"),
    "sessions": ("points", "points busy on average in the hour (arrivals × session time)"),
    "utilisation": ("share 0–1", "busy share of the hub's points"),
    "load_kw": ("kW", "charging load (energy of the hour's sessions)"),
    "grid_kw": ("kW", "drawn from the grid"),
    "battery_charge_kw": ("kW", "battery charging"),
    "battery_discharge_kw": ("kW", "battery discharging"),
    "battery_soc_kwh": ("kWh", "battery state of charge at the end of the hour"),
    "price_eur_per_mwh": ("EUR/MWh", "time-of-use energy price of the hour"),
    "wait_min": ("min", "expected wait (M/M/c per hour, worst type)"),
    "grid_connection_kw": ("kW", "the hub's connection (repeated per hour)"),
    "battery_kwh": ("kWh", "the hub's battery energy (repeated per hour)"),
}
SIMULATION_UNITS: dict[str, tuple[str, str]] = {
    "site_id": ("", "hub's site id"),
    "trucks": ("trucks", "trucks arriving in the measured days"),
    "mean_wait_min": ("min", "mean wait for a point"),
    "p95_wait_min": ("min", "95th percentile of the wait"),
    "max_wait_min": ("min", "longest wait"),
    "demanded_kwh": ("kWh", "energy the measured trucks asked for"),
    "served_kwh": ("kWh", "energy delivered to them"),
    "expected_kwh": ("kWh", "energy the plan expects over the measured days"),
    "unfinished": ("trucks", "measured trucks still charging when the simulation ends"),
    "max_grid_kw": ("kW", "highest grid draw (never above the connection)"),
    "min_battery_kwh": ("kWh", "lowest battery state of charge"),
    "throttled_share": ("share 0–1", "share of session steps whose power was cut under the connection"),
}
ALL_UNITS = {
    "hubs.csv": HUB_UNITS,
    "flows.csv": FLOW_UNITS,
    "afir.csv": AFIR_UNITS,
    "summary.json": SUMMARY_UNITS,
    "kpis.csv": KPI_UNITS,
    "years": YEAR_UNITS,
    "hub_hourly.csv": HOURLY_UNITS,
    "hub_simulation.csv": SIMULATION_UNITS,
}


def unit_of(column: str, table: dict[str, tuple[str, str]]) -> str:
    """The unit of ``column`` in ``table``; by-type columns (``chargers_added_by_type_mcs``) by
    their base; empty if unknown."""
    if column in table:
        return table[column][0]
    for sep in ("_by_type_", "_"):
        base = column.rsplit(sep, 1)[0]
        if base in table and base != column:
            return table[base][0]
    return ""


def header(column: str, table: dict[str, tuple[str, str]]) -> str:
    """Column name with its unit, e.g. ``volume [trucks/day]`` (no brackets without a unit)."""
    unit = unit_of(column, table)
    return f"{column} [{unit}]" if unit else column


def markdown_table(table: dict[str, tuple[str, str]]) -> str:
    """The units table as Markdown (as in ``docs/formats.md``)."""
    lines = ["| column | unit | meaning |", "|---|---|---|"]
    lines += [f"| `{c}` | {u or '–'} | {m} |" for c, (u, m) in table.items()]
    return "\n".join(lines)
