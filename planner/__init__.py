"""planner: charging hubs for battery-electric heavy trucks on Europe's freight corridors.

>>> import planner
>>> plan = planner.run("scenarios/example-corridor.toml", write=False)  # doctest: +SKIP
>>> plan.hubs_gdf  # doctest: +SKIP
"""

from planner.api import run, solve_scenario
from planner.errors import (
    DataError,
    InfeasibleError,
    PlannerError,
    ScenarioError,
    SolverError,
    VerificationError,
)
from planner.plan import Plan
from planner.scenario import Scenario, load_scenario

__version__ = "0.1.0"

__all__ = [
    "DataError",
    "InfeasibleError",
    "Plan",
    "PlannerError",
    "Scenario",
    "ScenarioError",
    "SolverError",
    "VerificationError",
    "load_scenario",
    "run",
    "solve_scenario",
]
