"""When trucks reach a stop: the timetable rule and the hour shares of arrivals and energy.

A truck departs in hour ``d`` with its flow's departure share ``w_d`` (uniformly within the hour) and
reaches a stop ``δ`` hours later. The timetable depends on the stop's position only (assumption,
documented in docs/model.md §11): ``δ`` = driving time (driven km / ``breaks.speed_kmh``) + one
break of ``break_min`` for every completed ``break_after_driving_h`` of driving + one daily rest of
``daily_rest_h`` for every completed ``daily_driving_h`` (which replaces the break due then) + the
crossing time of every ferry or rail-shuttle edge passed (its ``crossing_h`` edge column, or
``length_km / speed + crossing_wait_h``). A charging stop is the break due there; a stop earlier than
the break clock asks for is not counted as a break (at most one break off per stop).

Arrival shares: the arrival instant is ``d + U + δ`` (``U`` uniform on one hour). Energy shares: a
session charges at constant power for ``D`` hours after arrival, so the energy falls on the hours of
``d + U + δ + S`` with ``S`` uniform on ``[0, D]``; both are exact circular convolutions of the
departure shape with a kernel in closed form (:func:`hour_shares`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.errors import DataError
from planner.network import Network
from planner.scenario import Scenario

__all__ = ["Timetable", "crossing_hours", "hour_shares", "route_crossings"]

_HOURS = 24
_EPS = 1e-9


@dataclass(frozen=True)
class Timetable:
    """The timetable rule: speed, breaks, daily rests (hours)."""

    speed_kmh: float
    break_after_h: float
    break_h: float
    daily_driving_h: float
    daily_rest_h: float

    @classmethod
    def of(cls, scenario: Scenario) -> Timetable:
        """The scenario's rule (``breaks.speed_kmh`` and the ``[hourly]`` break and rest fields)."""
        hc = scenario.hourly
        speed = scenario.breaks.speed_kmh
        return cls(speed, hc.break_after_driving_h, hc.break_min / 60.0, hc.daily_driving_h, hc.daily_rest_h)

    def elapsed_h(self, drive_km: np.ndarray, crossing_h: np.ndarray) -> np.ndarray:
        """Hours from departure to a stop at ``drive_km`` driven km after ``crossing_h`` hours of crossings."""
        drive = np.asarray(drive_km, dtype=float) / self.speed_kmh
        breaks = np.maximum(np.ceil(drive / self.break_after_h - _EPS) - 1, 0)
        elapsed = drive + np.asarray(crossing_h, dtype=float)
        if self.daily_rest_h > 0:
            rests = np.maximum(np.ceil(drive / self.daily_driving_h - _EPS) - 1, 0)
            ratio = self.daily_driving_h / self.break_after_h
            # A daily rest replaces the break due at the same moment (when the daily limit is a whole
            # number of break periods, as 9 h = 2 × 4.5 h).
            breaks = breaks - (rests if abs(ratio - round(ratio)) < 1e-9 else 0)
            elapsed = elapsed + rests * self.daily_rest_h
        return elapsed + breaks * self.break_h


def crossing_hours(network: Network, scenario: Scenario) -> dict[str, float]:
    """Crossing time per ferry or rail-shuttle edge (by ``edge_id``).

    The optional edge column ``crossing_h`` gives it; otherwise ``length_km / speed + crossing_wait_h``.

    Raises
    ------
    DataError
        A ``crossing_h`` that is not a number ≥ 0.
    """
    hc = scenario.hourly
    edges = network.edges
    out: dict[str, float] = {}
    given = edges["crossing_h"].astype(str).str.strip() if "crossing_h" in edges.columns else None
    for i, e in enumerate(edges.itertuples(index=False)):
        if e.mode == "road":
            continue
        text = "" if given is None else given.iloc[i]
        if text in ("", "nan", "None"):
            speed = hc.ferry_speed_kmh if e.mode == "ferry" else hc.shuttle_speed_kmh
            out[e.edge_id] = float(e.length_km) / speed + hc.crossing_wait_h
            continue
        value = pd.to_numeric(text, errors="coerce")
        if not np.isfinite(value) or value < 0:
            raise DataError(
                f"{network.source} (edges): edge {e.u}–{e.v} has crossing_h {text!r}; give hours ≥ 0 or leave it empty."
            )
        out[e.edge_id] = float(value)
    return out


def route_crossings(route: list[str], network: Network, crossing: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Route km at the end of each crossing along ``route`` and its hours."""
    g = network.graph
    ends, hours = [], []
    km = 0.0
    for a, b in zip(route[:-1], route[1:], strict=True):
        arc = g.edges[a, b]
        km += arc["length_km"]
        if arc["edge_id"] in crossing:
            ends.append(km)
            hours.append(crossing[arc["edge_id"]])
    return np.array(ends, dtype=float), np.array(hours, dtype=float)


def _uniform_sum_cdf(x: np.ndarray, spread_h: float) -> np.ndarray:
    """CDF of ``U + S``, ``U`` uniform on [0, 1], ``S`` uniform on [0, spread_h]."""
    if spread_h <= 0:
        return np.clip(x, 0.0, 1.0)

    def g(y: np.ndarray) -> np.ndarray:  # ∫_0^y clip(t, 0, 1) dt
        return np.where(y <= 0, 0.0, np.where(y <= 1, 0.5 * y * y, y - 0.5))

    return (g(x) - g(x - spread_h)) / spread_h


def _kernel(offset_h: np.ndarray, spread_h: float) -> np.ndarray:
    """Share of ``U + S + δ`` in each hour of the day (``n × 24``, hour 0 = departure hour)."""
    offset = np.asarray(offset_h, dtype=float)
    base = np.floor(offset)
    frac = offset - base
    span = int(np.ceil(1.0 + spread_h)) + 1
    kern = np.zeros((len(offset), _HOURS))
    rows = np.arange(len(offset))
    for j in range(span + 1):
        mass = _uniform_sum_cdf(j + 1 - frac, spread_h) - _uniform_sum_cdf(j - frac, spread_h)
        np.add.at(kern, (rows, ((base + j) % _HOURS).astype(int)), mass)
    return kern


def hour_shares(offset_h: np.ndarray, spread_h: float, shapes: np.ndarray, shape_index: np.ndarray) -> np.ndarray:
    """Share of arrivals (``spread_h = 0``) or of energy (``spread_h`` = charging hours) in each hour.

    Parameters
    ----------
    offset_h
        Hours from departure to the stop, per row.
    spread_h
        Hours over which a session's energy is drawn after arrival (0 for arrivals).
    shapes, shape_index
        Departure shapes (``n_classes × 24``, rows summing to 1) and each row's shape.

    Returns
    -------
    numpy.ndarray
        ``n × 24``; each row sums to 1.
    """
    kern = _kernel(offset_h, spread_h)
    out = np.zeros_like(kern)
    lag = (np.arange(_HOURS)[None, :] - np.arange(_HOURS)[:, None]) % _HOURS  # lag[j, h] = h − j
    for c in np.unique(shape_index):
        rows = shape_index == c
        out[rows] = kern[rows] @ shapes[c][lag]
    return out
