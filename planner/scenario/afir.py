"""AFIR (Regulation (EU) 2023/1804) settings: ``[afir]``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from planner.scenario.base import Int, Num, _Section, _unit


class AfirConfig(_Section):
    """EU Alternative Fuels Infrastructure Regulation (EU) 2023/1804, Art. 4, heavy-duty vehicles."""

    mode: Literal["off", "report", "enforce"] = Field(
        "report",
        description="off: ignore AFIR; report: measure the plan's compliance; enforce: require "
        "pools at the milestone's maximum spacing in each direction on the enforced tiers.",
    )
    year: Int = Field(
        2030, ge=2025, le=2100, description="Plan year: the latest AFIR milestone due by 31 Dec of it applies."
    )
    tiers: list[Literal["core", "comprehensive"]] = Field(
        default_factory=lambda: ["core", "comprehensive"],
        description="TEN-T tiers measured / enforced (only tiers present in the network count).",
    )
    area: Literal["eu", "eu_eea"] = Field(
        "eu",
        description="Where AFIR is measured: eu — road edges lying in the EU-27 member states (the regulation's "
        "scope); eu_eea — also Norway, Iceland and Liechtenstein (EEA). Roads elsewhere (Great Britain, "
        "Switzerland, the Western Balkans) and roads without a TEN-T tier are planned for demand but never measured.",
    )
    end_fraction: Num = Field(
        1.0,
        ge=0,
        le=1,
        json_schema_extra=_unit("share of spacing"),
        description="Network ends (dead ends, ferry terminals) count as a pool this share of the "
        "spacing beyond the end (1: the end itself; 0.5: for cuts at borders).",
    )
