"""Grid connection capacity, upgrades and battery buffers: ``[grid]``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from planner.scenario.base import MAX_EUR, MAX_KW, Bool, Int, Num, _Section, _unit


class GridConfig(_Section):
    """Grid connection capacity per candidate site, and paid upgrades."""

    enabled: Bool = Field(False, description="Hub power must fit the site's grid capacity plus upgrades.")
    capacity_file: Path | None = Field(
        None,
        description="Grid capacity points: a CSV (available_kw and site_id, or lon/lat) or a GeoPackage/GeoJSON "
        "with one layer of features with an available_kw attribute (optional site_id; otherwise the geometry in "
        "any CRS, non-points at their representative point). Points snap to the nearest candidate within "
        "snap_radius_km (a site takes the largest point snapped to it).",
    )
    snap_radius_km: Num = Field(
        10.0,
        gt=0,
        le=200,
        json_schema_extra=_unit("km"),
        description="Capacity points farther than this from every candidate are an error.",
    )
    default_node_kw: Num = Field(
        10_000.0,
        ge=0,
        le=MAX_KW,
        json_schema_extra=_unit("kW"),
        description="Available capacity at node sites (cities, junctions) without a capacity point (assumption: "
        "a medium-voltage connection near an urban substation).",
    )
    default_edge_kw: Num = Field(
        4_000.0,
        ge=0,
        le=MAX_KW,
        json_schema_extra=_unit("kW"),
        description="Available capacity at sites along edges (motorway service areas) without a capacity point "
        "(assumption: a typical rural medium-voltage feeder).",
    )
    simultaneity: Num = Field(
        0.8,
        gt=0,
        le=1,
        json_schema_extra=_unit("share"),
        description="Share of the installed charger power drawn at the same time (assumption).",
    )
    upgrade_step_kw: Num = Field(
        5_000.0, gt=0, le=MAX_KW, json_schema_extra=_unit("kW"), description="Size of one upgrade step."
    )
    upgrade_eur_per_mw: Num = Field(
        250_000.0,
        ge=0,
        le=MAX_EUR,
        json_schema_extra=_unit("EUR/MW"),
        description="Cost of upgrade capacity (assumption).",
    )
    max_upgrade_steps: Int = Field(4, ge=0, le=100, description="Most upgrade steps per site.")
    start_year: Int = Field(2026, ge=2000, le=2100, description="Year planning starts (upgrades ordered then).")
    plan_year: Int = Field(2030, ge=2000, le=2100, description="Year the plan must work in.")
    upgrade_lead_time_years: Int = Field(
        4, ge=0, le=30, description="Years from ordering to energising an upgrade; none before start + lead time."
    )

    battery_kwh: Num = Field(
        0.0,
        ge=0,
        le=MAX_KW,
        json_schema_extra=_unit("kWh"),
        description="Usable energy of one on-site battery buffer unit (0: no buffers).",
    )
    battery_kw: Num = Field(
        0.0, ge=0, le=MAX_KW, json_schema_extra=_unit("kW"), description="Discharge power of one buffer unit."
    )
    battery_eur: Num = Field(
        0.0, ge=0, le=MAX_EUR, json_schema_extra=_unit("EUR"), description="Capex of one buffer unit incl. inverter."
    )
    max_batteries_per_hub: Int = Field(0, ge=0, le=50, description="Most buffer units at one hub (0: none).")
    peak_duration_h: Num = Field(
        2.0,
        gt=0,
        le=24,
        json_schema_extra=_unit("h"),
        description="Hours a day a hub draws its peak power; a buffer unit adds min(battery_kw, battery_kwh / "
        "peak_duration_h) above the grid connection and recharges off-peak (assumption: a 2-hour peak).",
    )

    @property
    def battery_unit_kw(self) -> float:
        """Power one buffer unit can sustain over the peak (0 without buffers)."""
        if self.max_batteries_per_hub == 0:
            return 0.0
        return min(self.battery_kw, self.battery_kwh / self.peak_duration_h)

    @property
    def upgrades_available(self) -> bool:
        """Whether upgrades ordered at ``start_year`` are energised by ``plan_year``."""
        return self.plan_year >= self.start_year + self.upgrade_lead_time_years
