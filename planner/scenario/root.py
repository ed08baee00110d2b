"""The complete scenario: one field per section."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, PrivateAttr, field_validator

from planner.scenario.afir import AfirConfig
from planner.scenario.base import _Section
from planner.scenario.candidates import CandidatesConfig
from planner.scenario.capacity import CapacityConfig
from planner.scenario.chargers import ChargersConfig
from planner.scenario.costs import CostsConfig
from planner.scenario.demand import DemandConfig
from planner.scenario.grid import GridConfig
from planner.scenario.hourly import HourlyConfig
from planner.scenario.network import NetworkConfig
from planner.scenario.objective import ObjectiveConfig
from planner.scenario.output import OutputConfig
from planner.scenario.rollout import RolloutConfig
from planner.scenario.solver import SolverConfig
from planner.scenario.vehicle import BreaksConfig, VehicleConfig

__all__ = ["SWITCHED_SECTIONS", "Scenario"]

# Names Windows reserves for devices: a run folder must never be called like one.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


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
    hourly: HourlyConfig = Field(default_factory=HourlyConfig)
    afir: AfirConfig = Field(default_factory=AfirConfig)
    rollout: RolloutConfig = Field(default_factory=RolloutConfig)
    solver: SolverConfig = Field(default_factory=SolverConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    _files: tuple[Path, ...] = PrivateAttr(default=())  # scenario file and its extends chain (when loaded)
    _source: str = PrivateAttr(default="")  # how errors name it: its file, or a sweep point of a file

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        # The name becomes a folder under results/: one safe path component, never '.', '..' or a device.
        if value.startswith(".") or value.split(".")[0].lower() in _RESERVED:
            raise ValueError("must be a plain folder name: start with a letter or digit, not a reserved device name")
        return value

    @property
    def where(self) -> str:
        """How messages name this scenario: its file (``sweep.toml [grid point …]`` for a sweep's point)
        when it came from one, else its name."""
        return self._source or self.name

    def switched_off(self, key: str) -> bool:
        """Whether the dotted ``key`` (``capacity.max_wait_min``) is in a section switched off here
        (``[capacity]``, ``[grid]``, ``[hourly]``, ``[breaks]`` with ``enabled = false``): it changes nothing."""
        name, _, field = key.partition(".")
        return name in SWITCHED_SECTIONS and field != "enabled" and not getattr(self, name).enabled

    def inert_settings(self) -> list[str]:
        """Settings given in a section whose switch is off (:meth:`switched_off`) with a value other than
        the default, which therefore change nothing: one line per section.
        """
        notes = []
        for name in SWITCHED_SECTIONS:
            section = getattr(self, name)
            listed = [
                f"{name}.{key}"
                for key in sorted(section.model_fields_set)
                if self.switched_off(f"{name}.{key}") and _not_default(section, key)
            ]
            if listed:
                what = listed[0] + " is" if len(listed) == 1 else ", ".join(listed[:-1]) + f" and {listed[-1]} are"
                it = "it" if len(listed) == 1 else "them"
                notes.append(
                    f"{what} set but [{name}] is not enabled, so unused (set [{name}] enabled = true to use {it})"
                )
        curve = [f"output.{k}" for k in ("tradeoff_points", "tradeoff_time_share") if _not_default(self.output, k)]
        if self.rollout.years and curve and self.output.tradeoff_points > 0:
            what = curve[0] + " is" if len(curve) == 1 else " and ".join(curve) + " are"
            notes.append(f"{what} set but a rollout draws no served-share-vs-hubs curve (one-year plans do), so unused")
        if self.rollout.years and _not_default(self.afir, "year"):
            notes.append(
                f"afir.year = {self.afir.year} is set but a rollout applies each planning year's own AFIR milestone "
                "(its last year's to the plan), so unused"
            )
        return notes


def _not_default(section: _Section, key: str) -> bool:
    """Whether ``key`` differs from its default (a resolved scenario writes every field, defaults too)."""
    return getattr(section, key) != type(section).model_fields[key].get_default(call_default_factory=True)


#: Sections with an ``enabled`` switch: their other settings change nothing while it is off.
SWITCHED_SECTIONS = ("breaks", "capacity", "grid", "hourly")
