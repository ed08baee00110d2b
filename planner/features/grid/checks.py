"""Grid verifier check: every hub's power, steps, buffers and (sized) daily energy, from the plan's tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.scenario import ChargersConfig, GridConfig
from planner.verify import Check, listing

__all__ = ["grid_check"]


def grid_check(
    hubs: pd.DataFrame,
    grid: GridConfig,
    chargers: ChargersConfig,
    sessions: dict[str, float],
    session_kwh: float | None,
) -> Check:
    types = chargers.types()
    installed = sum(hubs[f"chargers_{t}"].to_numpy(dtype=float) * spec.power_kw for t, spec in types.items())
    power = installed * grid.simultaneity
    avail = hubs["grid_available_kw"].to_numpy(dtype=float)
    upg = hubs["grid_upgrade_kw"].to_numpy(dtype=float)
    units = hubs["battery_units"].to_numpy(dtype=float) if "battery_units" in hubs else np.zeros(len(hubs))
    steps = upg / grid.upgrade_step_kw
    max_steps = grid.max_upgrade_steps if grid.upgrades_available else 0
    buffer_kw = units * grid.battery_unit_kw
    bad = []
    for sid, p, a, u, s, b, n in zip(hubs["site_id"], power, avail, upg, steps, buffer_kw, units, strict=True):
        if p > a + u + b + 1e-6:
            bad.append(f"{sid} ({p:,.0f} kW > {a:,.0f} + {u:,.0f} + buffer {b:,.0f} kW)")
        elif abs(s - round(s)) > 1e-9 or s > max_steps + 1e-9:
            bad.append(f"{sid} (upgrade {u:,.0f} kW not allowed)")
        elif abs(n - round(n)) > 1e-9 or n > grid.max_batteries_per_hub + 1e-9:
            bad.append(f"{sid} ({n:g} buffer units not allowed)")
        elif session_kwh is not None and sessions.get(sid, 0.0) * session_kwh > 24 * (a + u) * (1 + 1e-6) + 1e-6:
            bad.append(f"{sid} (daily energy {sessions[sid] * session_kwh / 1000:,.1f} MWh > 24 h × {a + u:,.0f} kW)")
    return Check(
        "grid_capacity",
        not bad,
        f"every hub's power (points × power × {grid.simultaneity:g}) fits its grid capacity plus upgrades "
        f"({int(round(steps.sum()))} step(s)) and buffers ({int(round(units.sum()))} unit(s))"
        if not bad
        else f"{len(bad)} hub(s) over grid capacity: {listing(bad, 3)}",
    )
