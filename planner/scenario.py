"""Scenario files: the pydantic schema, TOML loading with ``extends``, JSON Schema export.

Every field carries a unit (``json_schema_extra={"unit": ...}``), bounds, a default and a
description. Unknown keys are rejected with the nearest valid key as a hint. Relative paths
in a file are resolved against the folder of the file that names them, so a scenario that
``extends`` a base in another folder keeps the base's data paths working.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from planner.errors import ScenarioError

__all__ = [
    "Scenario",
    "load_scenario",
    "scenario_from_dict",
    "scenario_json_schema",
]


def _unit(unit: str) -> dict[str, Any]:
    return {"unit": unit}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NetworkConfig(_Section):
    """Where the corridor graph comes from."""

    nodes: Path | None = Field(
        None, description="CSV of nodes (id, name, lon, lat, ...). Relative to the scenario file."
    )
    edges: Path | None = Field(None, description="CSV of edges (u, v, length_km, ...). Relative to the scenario file.")
    gpkg: Path | None = Field(
        None,
        description="GeoPackage with layers 'nodes' and 'edges' (and optional 'sites'), instead of nodes/edges CSVs.",
    )
    tiers: list[Literal["core", "comprehensive"]] = Field(
        default_factory=lambda: ["core", "comprehensive"],
        description="Edge tiers kept from the network file; edges of other tiers are dropped.",
    )
    max_detour_ratio: float = Field(
        3.0,
        gt=1.0,
        le=100.0,
        json_schema_extra=_unit("ratio"),
        description="Largest allowed ratio length_km / great-circle distance of a road edge "
        "before the coordinates or length are reported as implausible.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> NetworkConfig:
        if self.gpkg is None and (self.nodes is None or self.edges is None):
            raise ValueError("give either 'gpkg' or both 'nodes' and 'edges'")
        if self.gpkg is not None and (self.nodes is not None or self.edges is not None):
            raise ValueError("give either 'gpkg' or 'nodes'/'edges', not both")
        return self


class CandidatesConfig(_Section):
    """Which places may host a charging hub."""

    include_nodes: bool = Field(True, description="Every network node is a candidate site.")
    spacing_km: float | None = Field(
        None,
        gt=0,
        le=1000,
        json_schema_extra=_unit("km"),
        description="If set, add candidate points along every road edge so that no gap between "
        "consecutive candidates exceeds this spacing.",
    )
    sites: Path | None = Field(
        None,
        description="CSV of user-listed sites (site_id, and node | u,v,offset_km | lon,lat; "
        "locked=true marks existing hubs that stay open).",
    )
    use_gpkg_sites: bool = Field(True, description="Use the 'sites' layer of the network GeoPackage if it has one.")
    snap_radius_km: float = Field(
        5.0,
        gt=0,
        le=100,
        json_schema_extra=_unit("km"),
        description="Sites given by lon/lat are snapped to the nearest network edge within "
        "this radius; farther ones are an error.",
    )


class DemandConfig(_Section):
    """Truck origin-destination flows."""

    flows: Path | None = Field(
        None, description="CSV of flows (origin, destination, volume [trucks/day], optional id)."
    )
    zones: Path | None = Field(
        None,
        description="CSV of freight zones for the gravity model (used when 'flows' is not set).",
    )
    total_trucks_per_day: float = Field(
        1_237_300.0,
        gt=0,
        json_schema_extra=_unit("trucks/day"),
        description="Gravity model scale: heavy-truck trips per day summed over all ordered node pairs at "
        "least min_trip_km apart, before the max_flows cut (default: calibrated to Eurostat road "
        "freight, see data/README.md).",
    )
    distance_decay: float = Field(
        2.85,
        ge=0,
        le=5,
        json_schema_extra=_unit("1"),
        description="Gravity model power-law exponent β in T_ij ∝ W_i W_j d_ij^-β (default: calibrated "
        "to Eurostat tonne-km by distance class, see data/README.md).",
    )
    min_trip_km: float = Field(
        200.0,
        ge=0,
        json_schema_extra=_unit("km"),
        description="Only gravity trips at least this long are kept (trips needing public charging).",
    )
    max_flows: int | None = Field(None, gt=0, description="Keep only the largest gravity flows (deterministic).")
    bev_share: float = Field(
        1.0,
        gt=0,
        le=1,
        json_schema_extra=_unit("share"),
        description="Share of the truck volume that is battery-electric; volumes are multiplied by it.",
    )
    round_trip: bool = Field(
        False,
        description="Route each flow as a round trip origin→destination→origin (the classic "
        "flow-refuelling assumption); the truck must get back to the origin.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> DemandConfig:
        if self.flows is None and self.zones is None:
            raise ValueError("give either 'flows' (a flows CSV) or 'zones' (gravity model)")
        return self


class VehicleConfig(_Section):
    """The battery-electric truck and the range semantics shared by model and verifier."""

    battery_kwh: float = Field(
        600.0, gt=0, le=5000, json_schema_extra=_unit("kWh"), description="Usable battery capacity."
    )
    consumption_kwh_per_km: float = Field(
        1.2,
        gt=0,
        le=10,
        json_schema_extra=_unit("kWh/km"),
        description="Average energy use while driving (40 t long-haul, motorway).",
    )
    soc_min: float = Field(
        0.10,
        ge=0,
        lt=1,
        json_schema_extra=_unit("share of battery"),
        description="State of charge that is never crossed on the road.",
    )
    soc_max: float = Field(
        0.80,
        gt=0,
        le=1,
        json_schema_extra=_unit("share of battery"),
        description="State of charge a truck is charged to at every open hub it passes (a truck "
        "arriving above it does not charge).",
    )
    soc_start: float = Field(
        0.80,
        gt=0,
        le=1,
        json_schema_extra=_unit("share of battery"),
        description="State of charge at the origin (depot charging).",
    )
    soc_arrival_min: float = Field(
        0.10,
        ge=0,
        lt=1,
        json_schema_extra=_unit("share of battery"),
        description="Minimum state of charge on arrival at the destination.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> VehicleConfig:
        if not self.soc_min < self.soc_max:
            raise ValueError("soc_min must be below soc_max")
        if not self.soc_min <= self.soc_start:
            raise ValueError("soc_start must not be below soc_min")
        if not self.soc_min <= self.soc_arrival_min < self.soc_max:
            raise ValueError("soc_arrival_min must lie in [soc_min, soc_max)")
        return self


class BreaksConfig(_Section):
    """Charging aligned with EU driving-time rules (Regulation (EC) No 561/2006, Art. 7)."""

    enabled: bool = Field(
        True,
        description="Charging stops double as the driver's break: at most max_driving_h of "
        "driving between stops (origin, hubs, destination).",
    )
    max_driving_h: float = Field(
        4.5,
        gt=0,
        le=24,
        json_schema_extra=_unit("h"),
        description="Driving time allowed between breaks (4.5 h under Reg. 561/2006).",
    )
    speed_kmh: float = Field(
        80.0,
        gt=0,
        le=130,
        json_schema_extra=_unit("km/h"),
        description="Average driving speed used to turn driving time into distance "
        "(EU heavy trucks are limited to 90 km/h; 80 km/h allows for traffic).",
    )


# Keys of earlier versions that now live in [chargers.mcs] (one charger type became a catalogue).
_MOVED_TO_CHARGERS = {"charger_eur": "capex_eur", "chargers_per_hub": "min_per_hub", "charger_power_kw": "power_kw"}


def _moved_keys(data: Any, section: str, moved: dict[str, str]) -> Any:
    """Reject keys that moved to the charger catalogue with where they went."""
    if isinstance(data, dict):
        for old, new in moved.items():
            if old in data:
                raise ValueError(
                    f"{section}.{old} moved to the charger catalogue: set [chargers.mcs] {new} "
                    "(and [chargers.ccs] for 400 kW CCS points)"
                )
    return data


class ChargerType(_Section):
    """One charger type of the catalogue (a megawatt MCS point or a CCS point)."""

    power_kw: float = Field(
        ..., gt=0, le=3750, json_schema_extra=_unit("kW"), description="Rated power of one charging point."
    )
    capex_eur: float = Field(
        ..., ge=0, json_schema_extra=_unit("EUR"), description="Capex per charging point incl. installation."
    )
    min_per_hub: int = Field(
        0,
        ge=0,
        le=500,
        description="Points of this type every open hub gets; without capacity sizing a hub has exactly these.",
    )
    max_per_hub: int = Field(
        40, ge=0, le=500, description="Most points of this type at one hub (site area, cabling); 0: type unused."
    )
    taper_soc: float | None = Field(
        None,
        ge=0,
        lt=1,
        json_schema_extra=_unit("state of charge"),
        description="Above this state of charge the power falls linearly to taper_floor × power at 100 % "
        "(unset: constant power up to vehicle.soc_max).",
    )
    taper_floor: float = Field(
        0.5, gt=0, le=1, json_schema_extra=_unit("share of power_kw"), description="Power at 100 % with a taper."
    )

    @model_validator(mode="after")
    def _bounds(self) -> ChargerType:
        if self.min_per_hub > self.max_per_hub:
            raise ValueError(f"min_per_hub={self.min_per_hub} exceeds max_per_hub={self.max_per_hub}")
        return self


def _mcs() -> ChargerType:
    return ChargerType(power_kw=1000.0, capex_eur=4.0e5, min_per_hub=4, max_per_hub=40)


def _ccs() -> ChargerType:
    return ChargerType(power_kw=400.0, capex_eur=1.6e5, min_per_hub=0, max_per_hub=40)


class ChargersConfig(_Section):
    """Charger catalogue: megawatt (MCS) and CCS points with power, taper, capex and per-hub limits."""

    mcs: ChargerType = Field(
        default_factory=_mcs,
        description="Megawatt Charging System points (default 1,000 kW, 0.4 M EUR; assumption within ICCT 2023 "
        "and Fraunhofer ISI 2024's 0.3–0.8 M EUR per MW).",
    )
    ccs: ChargerType = Field(
        default_factory=_ccs,
        description="CCS points for trucks (default 400 kW, 0.16 M EUR: the same cost per MW as MCS, assumption).",
    )
    max_session_min: float | None = Field(
        None,
        gt=0,
        le=1440,
        json_schema_extra=_unit("min"),
        description="A type is offered only if its mean session (charging + capacity.plug_overhead_min) fits this "
        "time, e.g. 45 for charging within the driver's break (unset: no limit).",
    )

    @model_validator(mode="before")
    @classmethod
    def _fill(cls, data: Any) -> Any:
        # A [chargers.<type>] table that sets only some keys keeps the type's defaults for the rest.
        if isinstance(data, dict):
            defaults = {"mcs": _mcs(), "ccs": _ccs()}
            data = {
                k: {**defaults[k].model_dump(), **v} if k in defaults and isinstance(v, dict) else v
                for k, v in data.items()
            }
        return data

    @model_validator(mode="after")
    def _some(self) -> ChargersConfig:
        if self.mcs.min_per_hub + self.ccs.min_per_hub < 1:
            raise ValueError("every hub needs a charging point: set min_per_hub >= 1 for mcs or ccs")
        return self

    def types(self) -> dict[str, ChargerType]:
        """The catalogue by name, in a fixed order (mcs, ccs)."""
        return {"mcs": self.mcs, "ccs": self.ccs}


class CostsConfig(_Section):
    """Investment costs of a hub."""

    site_fixed_eur: float = Field(
        1.0e6,
        ge=0,
        json_schema_extra=_unit("EUR"),
        description="Fixed cost of opening a hub (land, civil works, grid connection).",
    )
    opex_share_per_year: float = Field(
        0.03,
        ge=0,
        le=1,
        json_schema_extra=_unit("share of capex per year"),
        description="Operation and maintenance per year (assumption: 2–5 % of capex is typical for DC charging).",
    )
    discount_rate: float = Field(
        0.06, ge=0, le=0.5, json_schema_extra=_unit("1/year"), description="Real discount rate for annualising capex."
    )
    lifetime_years: int = Field(12, ge=1, le=60, description="Economic lifetime of a hub (years) for annualising.")
    margin_eur_per_kwh: float = Field(
        0.10,
        ge=0,
        le=5,
        json_schema_extra=_unit("EUR/kWh"),
        description="Gross margin per kWh sold (price minus energy and grid charges; assumption).",
    )

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: Any) -> Any:
        return _moved_keys(data, "costs", _MOVED_TO_CHARGERS)


class ObjectiveConfig(_Section):
    """What the optimisation pursues."""

    type: Literal["max_coverage", "min_cost"] = Field(
        "max_coverage",
        description="max_coverage: serve as much as possible within max_hubs/budget_eur. "
        "min_cost: cheapest plan reaching coverage_target (or serving all servable flows).",
    )
    metric: Literal["volume", "truck_km"] = Field(
        "volume", description="Coverage is measured in trucks/day (volume) or truck-km/day."
    )
    max_hubs: int | None = Field(None, ge=0, description="Upper limit on new hubs (locked existing hubs do not count).")
    budget_eur: float | None = Field(
        None, ge=0, json_schema_extra=_unit("EUR"), description="Upper limit on the capex of new hubs."
    )
    coverage_target: float | None = Field(
        None,
        gt=0,
        le=1,
        json_schema_extra=_unit("share of total"),
        description="min_cost only: share of the total (volume or truck-km, per metric) that "
        "must be served. Unset: every servable flow must be served.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> ObjectiveConfig:
        if self.type == "max_coverage" and self.max_hubs is None and self.budget_eur is None:
            raise ValueError("max_coverage needs 'max_hubs' and/or 'budget_eur'")
        if self.type == "max_coverage" and self.coverage_target is not None:
            raise ValueError("'coverage_target' applies to min_cost only")
        return self


class CapacityConfig(_Section):
    """Charger sizing by queueing: each served flow's stops are assigned to hubs in the model."""

    enabled: bool = Field(
        False,
        description="Assign every served flow's charging stops to open hubs and size each hub's "
        "chargers so the expected peak-hour wait stays under max_wait_min (M/M/c, Erlang C).",
    )
    peak_hour_share: float = Field(
        0.10,
        gt=0,
        le=1,
        json_schema_extra=_unit("share of daily sessions"),
        description="Share of a hub's daily sessions arriving in its busiest hour (assumption: "
        "truck stops spread over ~14 h of the day with a peak ~1.4× the average).",
    )
    max_wait_min: float = Field(
        10.0, gt=0, le=240, json_schema_extra=_unit("min"), description="Target mean wait in the busiest hour."
    )
    plug_overhead_min: float = Field(
        5.0,
        ge=0,
        le=60,
        json_schema_extra=_unit("min"),
        description="Time a charger is occupied per session besides charging (manoeuvre, plug, pay).",
    )
    size_levels: Literal["integer", "relaxed"] = Field(
        "integer",
        description="integer: one binary per size level in one exact model. relaxed: two stages — the linear "
        "relaxation (a lower bound), then the exact model on the sites the relaxation opens, started from the "
        "relaxation rounded up; the reported gap is the exact plan's cost against the relaxation's bound. Much "
        "faster on large instances (min_cost without budget_eur, max_hubs or grid limits only).",
    )

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: Any) -> Any:
        return _moved_keys(data, "capacity", {"max_chargers_per_hub": "max_per_hub"})


class GridConfig(_Section):
    """Grid connection capacity per candidate site, and paid upgrades."""

    enabled: bool = Field(False, description="Hub power must fit the site's grid capacity plus upgrades.")
    capacity_file: Path | None = Field(
        None,
        description="Grid capacity points: a CSV (available_kw and site_id, or lon/lat) or a GeoPackage/GeoJSON "
        "with one layer of features with an available_kw attribute (optional site_id; otherwise the geometry in "
        "any CRS, non-points at their representative point). Points snap to the nearest candidate within "
        "snap_radius_km (a site takes the largest point snapped to it).",
    )
    snap_radius_km: float = Field(
        10.0,
        gt=0,
        le=200,
        json_schema_extra=_unit("km"),
        description="Capacity points farther than this from every candidate are an error.",
    )
    default_node_kw: float = Field(
        10_000.0,
        ge=0,
        json_schema_extra=_unit("kW"),
        description="Available capacity at node sites (cities, junctions) without a capacity point (assumption: "
        "a medium-voltage connection near an urban substation).",
    )
    default_edge_kw: float = Field(
        4_000.0,
        ge=0,
        json_schema_extra=_unit("kW"),
        description="Available capacity at sites along edges (motorway service areas) without a capacity point "
        "(assumption: a typical rural medium-voltage feeder).",
    )
    simultaneity: float = Field(
        0.8,
        gt=0,
        le=1,
        json_schema_extra=_unit("share"),
        description="Share of the installed charger power drawn at the same time (assumption).",
    )
    upgrade_step_kw: float = Field(
        5_000.0, gt=0, json_schema_extra=_unit("kW"), description="Size of one upgrade step."
    )
    upgrade_eur_per_mw: float = Field(
        250_000.0, ge=0, json_schema_extra=_unit("EUR/MW"), description="Cost of upgrade capacity (assumption)."
    )
    max_upgrade_steps: int = Field(4, ge=0, le=100, description="Most upgrade steps per site.")
    start_year: int = Field(2026, ge=2000, le=2100, description="Year planning starts (upgrades ordered then).")
    plan_year: int = Field(2030, ge=2000, le=2100, description="Year the plan must work in.")
    upgrade_lead_time_years: int = Field(
        4, ge=0, le=30, description="Years from ordering to energising an upgrade; none before start + lead time."
    )

    battery_kwh: float = Field(
        0.0,
        ge=0,
        json_schema_extra=_unit("kWh"),
        description="Usable energy of one on-site battery buffer unit (0: no buffers).",
    )
    battery_kw: float = Field(
        0.0, ge=0, json_schema_extra=_unit("kW"), description="Discharge power of one buffer unit."
    )
    battery_eur: float = Field(
        0.0, ge=0, json_schema_extra=_unit("EUR"), description="Capex of one buffer unit incl. inverter."
    )
    max_batteries_per_hub: int = Field(0, ge=0, le=50, description="Most buffer units at one hub (0: none).")
    peak_duration_h: float = Field(
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


class RolloutConfig(_Section):
    """Multi-year rollout: hubs open year by year and stay open (empty years: one-shot plan)."""

    years: list[int] = Field(
        default_factory=list, description="Planning years, increasing (e.g. [2026, 2028, 2030]); empty: off."
    )
    bev_share: list[float] | None = Field(
        None,
        json_schema_extra=_unit("share of trucks, per year"),
        description="BEV share per year (share of trucks), replacing demand.bev_share year by year; "
        "default: demand.bev_share every year.",
    )
    demand_growth_per_year: float = Field(
        0.0,
        ge=-0.5,
        le=0.5,
        json_schema_extra=_unit("1/year"),
        description="Growth of all truck volumes per year from the first planning year.",
    )
    budget_per_year_eur: list[float] | None = Field(
        None,
        json_schema_extra=_unit("EUR per year"),
        description="Capex allowed in each planning year (EUR), one value per year.",
    )
    budget_total_eur: float | None = Field(
        None,
        ge=0,
        json_schema_extra=_unit("EUR"),
        description="Capex allowed over all planning years together (undiscounted).",
    )
    coverage_target: list[float] | None = Field(
        None,
        json_schema_extra=_unit("share, per year"),
        description="min_cost: share of each year's volume (or truck-km) to serve, one value per year.",
    )
    mode: Literal["foresight", "myopic"] = Field(
        "foresight",
        description="foresight: all years in one MILP; myopic: year by year, each keeping earlier hubs.",
    )

    @model_validator(mode="after")
    def _lengths(self) -> RolloutConfig:
        if self.years != sorted(set(self.years)):
            raise ValueError("years must be strictly increasing")
        for name in ("bev_share", "budget_per_year_eur", "coverage_target"):
            values = getattr(self, name)
            if values is not None and len(values) != len(self.years):
                raise ValueError(f"{name} needs one value per year ({len(self.years)})")
        if self.bev_share is not None and not all(0 < v <= 1 for v in self.bev_share):
            raise ValueError("bev_share values must lie in (0, 1]")
        if self.coverage_target is not None and not all(0 < v <= 1 for v in self.coverage_target):
            raise ValueError("coverage_target values must lie in (0, 1]")
        if self.budget_per_year_eur is not None and not all(v >= 0 for v in self.budget_per_year_eur):
            raise ValueError("budget_per_year_eur values must be ≥ 0 EUR")
        return self


class AfirConfig(_Section):
    """EU Alternative Fuels Infrastructure Regulation (EU) 2023/1804, Art. 4, heavy-duty vehicles."""

    mode: Literal["off", "report", "enforce"] = Field(
        "report",
        description="off: ignore AFIR; report: measure the plan's compliance; enforce: require "
        "pools at the milestone's maximum spacing in each direction on the enforced tiers.",
    )
    year: int = Field(
        2030, ge=2025, le=2100, description="Plan year: the latest AFIR milestone due by 31 Dec of it applies."
    )
    tiers: list[Literal["core", "comprehensive"]] = Field(
        default_factory=lambda: ["core", "comprehensive"],
        description="TEN-T tiers measured / enforced (only tiers present in the network count).",
    )
    end_fraction: float = Field(
        1.0,
        ge=0,
        le=1,
        json_schema_extra=_unit("share of spacing"),
        description="Network ends (dead ends, ferry terminals) count as a pool this share of the "
        "spacing beyond the end (1: the end itself; 0.5: for cuts at borders).",
    )


class SolverConfig(_Section):
    """Solver choice and limits."""

    name: Literal["highs", "cbc"] = Field("highs", description="HiGHS (via highspy) or CBC (bundled with PuLP).")
    fallback: bool = Field(True, description="Fall back to CBC if HiGHS is unavailable or fails.")
    time_limit_s: float = Field(300.0, gt=0, le=86400, json_schema_extra=_unit("s"), description="Wall-clock limit.")
    mip_gap: float = Field(
        0.001,
        ge=0,
        le=1,
        json_schema_extra=_unit("relative"),
        description="Stop when the relative gap between incumbent and bound is below this.",
    )
    threads: int | None = Field(None, ge=1, le=256, description="Solver threads (default: the solver's own choice).")


class OutputConfig(_Section):
    """What `planner run` writes."""

    dir: Path | None = Field(
        None, description="Output folder (default results/<scenario name>/ in the working folder)."
    )
    maps: bool = Field(True, description="Write map.png, map.svg, map.html and report.html.")
    tradeoff_points: int = Field(
        8,
        ge=0,
        le=50,
        description="Also solve max_coverage for this many hub counts up to the plan's, for the "
        "served-share-vs-hubs curve in summary.json and the report (0: off).",
    )


class Scenario(_Section):
    """A complete planning scenario."""

    name: str = Field(
        ...,
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="Scenario name (letters, digits, '.', '_', '-'); names the output folder.",
    )
    description: str = Field("", description="Free text shown in reports.")
    network: NetworkConfig
    candidates: CandidatesConfig = Field(default_factory=CandidatesConfig)
    demand: DemandConfig
    vehicle: VehicleConfig = Field(default_factory=VehicleConfig)
    breaks: BreaksConfig = Field(default_factory=BreaksConfig)
    costs: CostsConfig = Field(default_factory=CostsConfig)
    chargers: ChargersConfig = Field(default_factory=ChargersConfig)
    objective: ObjectiveConfig
    capacity: CapacityConfig = Field(default_factory=CapacityConfig)
    grid: GridConfig = Field(default_factory=GridConfig)
    afir: AfirConfig = Field(default_factory=AfirConfig)
    rollout: RolloutConfig = Field(default_factory=RolloutConfig)
    solver: SolverConfig = Field(default_factory=SolverConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)


# Keys that hold file paths, resolved against the folder of the file that sets them.
_PATH_KEYS: dict[str, tuple[str, ...]] = {
    "network": ("nodes", "edges", "gpkg"),
    "candidates": ("sites",),
    "demand": ("flows", "zones"),
    "grid": ("capacity_file",),
}


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ScenarioError(f"{path}: scenario file not found; check the path.")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML ({exc}); fix the syntax.") from None


def _resolve_paths(raw: dict[str, Any], base: Path) -> None:
    for section, keys in _PATH_KEYS.items():
        table = raw.get(section)
        if not isinstance(table, dict):
            continue
        for key in keys:
            value = table.get(key)
            if isinstance(value, str) and not Path(value).is_absolute():
                table[key] = str((base / value).resolve())


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _load_raw(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    path = path.resolve()
    if path in seen:
        chain = " → ".join(p.name for p in (*seen, path))
        raise ScenarioError(f"{seen[-1]}: 'extends' forms a cycle ({chain}); remove one link.")
    raw = _read_toml(path)
    _resolve_paths(raw, path.parent)
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: 'extends' must be a file name string.")
    parent_path = Path(parent) if Path(parent).is_absolute() else path.parent / parent
    if not parent_path.is_file():
        raise ScenarioError(f"{path}: 'extends' names {parent_path}, which does not exist; fix the path.")
    base = _load_raw(parent_path, (*seen, path))
    return _merge(base, raw)


def _model_for(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Scenario
    for part in loc:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return model
        annotation = model.model_fields[part].annotation
        model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return model


def _format_error(err: dict[str, Any], source: str) -> str:
    loc = tuple(err["loc"])
    field = ".".join(str(p) for p in loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        parent = _model_for(loc[:-1])
        valid = sorted(parent.model_fields) if parent else []
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(valid)}"
        return f"{source}: unknown key '{field}'; {hint}"
    if err["type"] == "missing":
        return f"{source}: missing required key '{field}'; add it (see `planner schema`)."
    msg = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    got_txt = "" if isinstance(got, dict) else f" (got {got!r})"
    return f"{source}: '{field}': {msg}{got_txt}; fix the value (see `planner schema`)."


def scenario_from_dict(raw: dict[str, Any], *, source: str = "<scenario>") -> Scenario:
    """Validate a raw scenario mapping.

    Parameters
    ----------
    raw
        Parsed TOML content (paths already resolved).
    source
        Name of the file, used in error messages.

    Raises
    ------
    ScenarioError
        With one line naming the file, the field and the fix.
    """
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        first = _format_error(errors[0], source)
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ScenarioError(first + more) from None


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario TOML file, following ``extends``.

    Parameters
    ----------
    path
        The scenario file.

    Returns
    -------
    Scenario
        The validated scenario, with data paths made absolute.
    """
    path = Path(path)
    raw = _load_raw(path, ())
    return scenario_from_dict(raw, source=str(path))


def scenario_json_schema() -> str:
    """Return the JSON Schema of scenario files as an indented JSON string."""
    schema = Scenario.model_json_schema()
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "Another scenario file whose values this one overrides (relative path).",
    }
    return json.dumps(schema, indent=2, sort_keys=True)
