"""Hubs sized hour by hour: ``[hourly]`` (arrival profiles, grid connection, on-site battery, tariff).

Defaults are labelled assumptions; the two built-in 24-hour shapes are recalled published shapes
(see :data:`DEFAULT_DEPARTURE_SHARES` and :data:`DEFAULT_TARIFF_EUR_PER_MWH`). docs/hourly.md lists
every figure with its source.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from planner.scenario.base import MAX_EUR, MAX_KW, Bool, Int, Num, _Section, _unit

__all__ = ["DEFAULT_DEPARTURE_SHARES", "DEFAULT_TARIFF_EUR_PER_MWH", "HourlyConfig"]

# fmt: off
#: Share of a day's departures in each hour 0–23 (percent). Assumption: the weekday hourly shape of
#: heavy-goods-vehicle (> 3.5 t) traffic at German motorway automatic counting stations (BASt,
#: "Automatische Zählstellen auf Autobahnen und Bundesstraßen", annual evaluations), used as the
#: departure shape; recalled and rounded to 0.5 %, not re-measured offline. Traffic on the road lags
#: departures, so this shape is flatter than long-haul departures (which cluster in the early morning).
DEFAULT_DEPARTURE_SHARES: tuple[float, ...] = (
    2.0, 1.5, 1.5, 2.0, 2.5, 4.0, 5.0, 6.0, 6.0, 6.0, 6.0, 6.0,
    6.0, 6.0, 6.0, 5.5, 5.0, 4.5, 4.0, 3.5, 3.0, 3.0, 2.5, 2.5,
)
# fmt: on

# fmt: off
#: Energy price in each hour 0–23 (EUR/MWh). Assumption: the shape of the 2024 hourly averages of the
#: EPEX SPOT day-ahead price for the DE-LU bidding zone (morning and evening peaks, a midday solar
#: dip), at a daily mean of ~85 EUR/MWh (between the 2023 and 2024 annual means of ~95 and ~78);
#: recalled and rounded to 5 EUR/MWh, not re-measured offline.
DEFAULT_TARIFF_EUR_PER_MWH: tuple[float, ...] = (
    80.0, 75.0, 70.0, 70.0, 70.0, 80.0, 90.0, 105.0, 100.0, 90.0, 80.0, 70.0,
    60.0, 55.0, 60.0, 70.0, 80.0, 100.0, 120.0, 130.0, 115.0, 100.0, 90.0, 85.0,
)
# fmt: on


class HourlyConfig(_Section):
    """Hubs sized hour by hour: chargers per hour, grid connection, battery and dispatch, energy cost.

    Needs ``[capacity] enabled`` (the stop assignment and the charger catalogue's wait target) and
    replaces its peak-hour sizing; with ``[grid] enabled`` the site's grid capacity and upgrade
    options bound the connection, and the old peak-kW buffers (``grid.max_batteries_per_hub``) must
    stay off.
    """

    enabled: Bool = Field(
        False,
        description="Size every hub hour by hour: chargers per type meeting capacity.max_wait_min in every hour, "
        "grid connection, battery units and a 24-hour dispatch at the cheapest annualised cost; checked by a "
        "queue simulation.",
    )
    departure_profile: list[Num] = Field(
        default_factory=lambda: list(DEFAULT_DEPARTURE_SHARES),
        json_schema_extra=_unit("share of departures per hour 0–23 (any scale, normalised)"),
        description="Hourly departure shape of every flow without a class in flow_classes_file (default: "
        "BASt heavy-vehicle weekday shape, assumption).",
    )
    profiles_file: Path | None = Field(
        None,
        description="CSV of departure shapes per flow class: columns class, h0 … h23 (shares, normalised).",
    )
    flow_classes_file: Path | None = Field(
        None, description="CSV assigning flows to classes of profiles_file: columns flow_id, class."
    )
    tariff_eur_per_mwh: list[Num] = Field(
        default_factory=lambda: list(DEFAULT_TARIFF_EUR_PER_MWH),
        json_schema_extra=_unit("EUR/MWh, per hour 0–23"),
        description="Time-of-use energy price (default: DE-LU day-ahead 2024 hourly shape at ~85 EUR/MWh, assumption).",
    )
    energy_adder_eur_per_mwh: Num = Field(
        50.0,
        ge=0,
        le=10_000,
        json_schema_extra=_unit("EUR/MWh"),
        description="Added to every hour's price: network working charge, electricity tax and levies "
        "(assumption: German medium voltage, ~2024).",
    )
    capacity_charge_eur_per_kw_year: Num = Field(
        100.0,
        ge=0,
        le=10_000,
        json_schema_extra=_unit("EUR/kW/year"),
        description="Annual network capacity charge on the connection (assumption: German medium-voltage "
        "Leistungspreis for ≥ 2,500 h/year).",
    )
    connection_step_kw: Num = Field(
        500.0, gt=0, le=MAX_KW, json_schema_extra=_unit("kW"), description="Connections come in whole steps."
    )
    connection_eur_per_kw: Num = Field(
        200.0,
        ge=0,
        le=100_000,
        json_schema_extra=_unit("EUR/kW"),
        description="Capex of the connection per kW (assumption: medium-voltage construction cost contribution "
        "plus the site's transformer station).",
    )
    connection_lifetime_years: Int = Field(40, ge=1, le=100, description="Years over which a connection is annualised.")
    max_connection_kw: Num = Field(
        100_000.0,
        gt=0,
        le=MAX_KW,
        json_schema_extra=_unit("kW"),
        description="Largest connection at any site when [grid] is off (with [grid] on: the site's available kW "
        "plus allowed upgrades).",
    )
    battery_unit_kwh: Num = Field(
        2_000.0, gt=0, le=1e6, json_schema_extra=_unit("kWh"), description="Usable energy of one battery unit."
    )
    battery_unit_kw: Num = Field(
        1_000.0, gt=0, le=MAX_KW, json_schema_extra=_unit("kW"), description="Charge and discharge power of one unit."
    )
    battery_unit_eur: Num = Field(
        500_000.0,
        ge=0,
        le=MAX_EUR,
        json_schema_extra=_unit("EUR"),
        description="Capex of one unit incl. inverter and installation (assumption: 250 EUR/kWh for a 2-hour "
        "LFP container system in 2030).",
    )
    battery_round_trip_efficiency: Num = Field(
        0.88,
        gt=0,
        le=1,
        json_schema_extra=_unit("share"),
        description="AC-to-AC round trip; charge and discharge each take its square root (assumption: LFP).",
    )
    battery_lifetime_years: Int = Field(15, ge=1, le=50, description="Years over which a battery unit is annualised.")
    max_battery_units: Int = Field(10, ge=0, le=200, description="Most battery units at one hub (0: no batteries).")
    simultaneity: Num = Field(
        0.8,
        gt=0,
        le=1,
        json_schema_extra=_unit("share of installed power"),
        description="Connection plus battery power must cover this share of the chargers' power at any moment "
        "(assumption: load management shares the rest).",
    )
    reserve_sd: Num = Field(
        2.0,
        ge=0,
        le=10,
        json_schema_extra=_unit("standard deviations of a day's energy"),
        description="Connection and battery must also carry a busy day: every hour's load raised in proportion by "
        "this many standard deviations of the hub's daily energy (Poisson day-to-day variation; assumption: "
        "2 ≈ 98 % of days).",
    )
    break_after_driving_h: Num = Field(
        4.5, gt=0, le=24, json_schema_extra=_unit("h"), description="A break after this much driving (Reg. 561/2006)."
    )
    break_min: Num = Field(
        45.0, ge=0, le=600, json_schema_extra=_unit("min"), description="Length of a break (Reg. 561/2006 Art. 7)."
    )
    daily_driving_h: Num = Field(
        9.0, gt=0, le=24, json_schema_extra=_unit("h"), description="Driving before a daily rest (Art. 6)."
    )
    daily_rest_h: Num = Field(
        11.0, ge=0, le=48, json_schema_extra=_unit("h"), description="Daily rest (Reg. 561/2006 Art. 8; 0: none)."
    )
    ferry_speed_kmh: Num = Field(
        30.0,
        gt=0,
        le=200,
        json_schema_extra=_unit("km/h"),
        description="Crossing speed of ferry edges without a crossing_h column (assumption: ~16 knots).",
    )
    shuttle_speed_kmh: Num = Field(
        80.0,
        gt=0,
        le=300,
        json_schema_extra=_unit("km/h"),
        description="Crossing speed of rail_shuttle edges without a crossing_h column (assumption).",
    )
    crossing_wait_h: Num = Field(
        1.0,
        ge=0,
        le=48,
        json_schema_extra=_unit("h"),
        description="Check-in and boarding added to every crossing without a crossing_h column (assumption).",
    )
    master_hours: Int = Field(
        24,
        ge=1,
        le=24,
        description="Hours per site whose arrivals the master's queueing rows bound (the site's busiest hours "
        "by potential arrivals); fewer keep the European master small, the bound stays valid.",
    )
    max_rounds: Int = Field(
        3, ge=1, le=20, description="Most master/subproblem rounds (peak hours or grid limits the master missed)."
    )
    simulation_days: Int = Field(3, ge=1, le=60, description="Days simulated per hub after the warm-up.")
    simulation_warmup_days: Int = Field(1, ge=0, le=10, description="Days simulated and discarded first.")
    simulation_seed: Int = Field(0, ge=0, le=2**31 - 1, description="Seed of the queue simulation (deterministic).")
    simulation_step_s: Num = Field(
        60.0,
        ge=1,
        le=600,
        json_schema_extra=_unit("s"),
        description="Time step of the simulation's power sharing (charger power, grid cap, battery).",
    )
    wait_tolerance: Num = Field(
        0.25,
        ge=0,
        le=5,
        json_schema_extra=_unit("share of max_wait_min"),
        description="The simulated mean wait of every hub must stay within (1 + this) × capacity.max_wait_min "
        "(sampling noise of a few simulated days).",
    )

    @model_validator(mode="after")
    def _shapes(self) -> HourlyConfig:
        for name in ("departure_profile", "tariff_eur_per_mwh"):
            values = getattr(self, name)
            if len(values) != 24:
                raise ValueError(f"{name} needs 24 values (hours 0–23), got {len(values)}")
            if any(v < 0 for v in values):
                raise ValueError(f"{name} values must be ≥ 0")
        if sum(self.departure_profile) <= 0:
            raise ValueError("departure_profile needs at least one positive share")
        if max(self.tariff_eur_per_mwh) > 10_000:
            raise ValueError("tariff_eur_per_mwh values must be ≤ 10,000 EUR/MWh")
        if self.flow_classes_file is not None and self.profiles_file is None:
            raise ValueError("flow_classes_file needs profiles_file (the shapes its classes name)")
        return self

    @property
    def charge_efficiency(self) -> float:
        """Share of grid energy stored when charging (square root of the round trip)."""
        return self.battery_round_trip_efficiency**0.5

    @property
    def discharge_efficiency(self) -> float:
        """Share of stored energy delivered when discharging (square root of the round trip)."""
        return self.battery_round_trip_efficiency**0.5
