"""Scenario files: the pydantic schema (one module per section), TOML loading with ``extends``,
JSON Schema export.

Every field carries a unit (``json_schema_extra={"unit": ...}``), bounds, a default and a
description; values are strict (see :mod:`planner.scenario.base`). Unknown keys are rejected
with the nearest valid key as a hint.
"""

from planner.scenario.afir import AfirConfig
from planner.scenario.candidates import CandidatesConfig
from planner.scenario.capacity import CapacityConfig
from planner.scenario.chargers import ChargersConfig, ChargerType
from planner.scenario.costs import CostsConfig
from planner.scenario.demand import DemandConfig
from planner.scenario.grid import GridConfig
from planner.scenario.hourly import HourlyConfig
from planner.scenario.loader import PATH_KEYS, UNSET, load_raw, load_scenario, scenario_from_dict
from planner.scenario.network import NetworkConfig
from planner.scenario.objective import ObjectiveConfig
from planner.scenario.output import OutputConfig
from planner.scenario.rollout import RolloutConfig
from planner.scenario.root import Scenario
from planner.scenario.schema import scenario_json_schema
from planner.scenario.solver import SolverConfig
from planner.scenario.vehicle import BreaksConfig, VehicleConfig

__all__ = [
    "AfirConfig",
    "BreaksConfig",
    "CandidatesConfig",
    "CapacityConfig",
    "ChargerType",
    "ChargersConfig",
    "CostsConfig",
    "DemandConfig",
    "GridConfig",
    "HourlyConfig",
    "NetworkConfig",
    "ObjectiveConfig",
    "OutputConfig",
    "PATH_KEYS",
    "RolloutConfig",
    "Scenario",
    "SolverConfig",
    "UNSET",
    "VehicleConfig",
    "load_raw",
    "load_scenario",
    "scenario_from_dict",
    "scenario_json_schema",
]
