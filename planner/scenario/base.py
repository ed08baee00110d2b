"""Shared building blocks of the scenario sections: the strict base model and value types.

Values are strict: a number must be a TOML number (``true`` or ``"600"`` are refused, not
converted), finite (``inf``/``nan`` are refused), and an integer field takes integers only.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AllowInfNan, BaseModel, ConfigDict, Strict

__all__ = ["Bool", "Int", "Num", "_Section", "_unit", "_moved_keys", "_MOVED_TO_CHARGERS", "MAX_EUR", "MAX_KW"]

#: A finite number (an int is accepted and becomes a float; bools and strings are refused).
Num = Annotated[float, Strict(), AllowInfNan(False)]
#: An integer (bools, floats and strings are refused).
Int = Annotated[int, Strict()]
#: A boolean (numbers and strings are refused).
Bool = Annotated[bool, Strict()]

#: Upper bound for money fields (EUR): 10 trillion, far above any network's capex, keeps sums finite.
MAX_EUR = 1e13
#: Upper bound for power fields (kW): 100 GW.
MAX_KW = 1e8


def _unit(unit: str) -> dict[str, Any]:
    return {"unit": unit}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
