"""A discrete-event simulation of one hub (SimPy): Poisson arrivals hour by hour, FIFO queues per charger
type, charging power shared under the grid connection and the battery.

Trucks arrive as a Poisson process with the hub's rate of each hour (conditioned on the planned total
over the simulated days, :func:`_arrivals`), join the queue of a charger type
(with the hour's split), wait first-in first-out for a point, plug in (``plug_overhead_min``) and draw
their energy at the type's power (tapered above ``taper_soc``). Every ``step`` the hub draws the
chargers' demand from the grid up to the connection; above it the battery discharges (within its power
and charge), and if that is not enough every session's power is cut by the same factor (load
management: the session then takes longer). Below the connection the battery recharges at the
dispatch's planned rate for that hour, within the headroom. The grid draw therefore never exceeds the
connection and the battery never goes below empty — the simulation records both anyway — and the
waits measured include every slowdown. Deterministic: a fixed seed per hub.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import simpy

__all__ = ["SimHub", "SimResult", "simulate_hub"]


@dataclass(frozen=True)
class SimHub:
    """One hub as the simulation sees it (from the plan's tables).

    Attributes
    ----------
    site_id
        The hub (seeds its random stream).
    points, power_kw, taper
        Points per type, their power, and ``(taper_soc or None, taper_floor)``.
    rate, split
        Arrivals per hour (24) and each type's share of them (24 per type).
    stop_kwh, stop_soc, stop_weight
        Energy and arrival state of charge of the hub's stops, and their weight in each hour (``m × 24``).
    connection_kw, battery_kwh, battery_kw, eta_charge, eta_discharge
        Grid connection and battery.
    charge_plan_kw, soc_plan_kwh
        Planned battery charging per hour and state of charge at each hour's end (the last: midnight).
    truck_kwh, overhead_h
        Truck battery (for the taper) and the plug overhead.
    """

    site_id: str
    points: dict[str, int]
    power_kw: dict[str, float]
    taper: dict[str, tuple[float | None, float]]
    rate: np.ndarray
    split: dict[str, np.ndarray]
    stop_kwh: np.ndarray
    stop_soc: np.ndarray
    stop_weight: np.ndarray
    connection_kw: float
    battery_kwh: float
    battery_kw: float
    eta_charge: float
    eta_discharge: float
    charge_plan_kw: np.ndarray
    soc_plan_kwh: np.ndarray
    truck_kwh: float
    overhead_h: float


@dataclass(frozen=True)
class SimResult:
    """What the simulation measured over its measured days (trucks arriving in them)."""

    trucks: int
    mean_wait_min: float
    p95_wait_min: float
    max_wait_min: float
    demanded_kwh: float
    served_kwh: float
    expected_kwh: float
    unfinished: int
    max_grid_kw: float
    min_battery_kwh: float
    throttled_share: float


@dataclass
class _Session:
    left_kwh: float
    soc: float
    power_kw: float
    taper: tuple[float | None, float]
    done: simpy.Event
    measured: bool


@dataclass
class _State:
    active: list[_Session] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    served_kwh: float = 0.0
    finished: int = 0
    max_grid: float = 0.0
    min_soc: float = float("inf")
    session_steps: int = 0
    throttled_steps: int = 0


def _arrivals(hub: SimHub, days: int, rng: np.random.Generator) -> list[tuple[float, str, float, float]]:
    """(time h, type, kWh, state of charge) of every arrival, in time order.

    A Poisson process with each hour's rate, conditioned on its total: the planned number of trucks over
    all simulated days (rounded) is spread over the day-hours in proportion to their rates (multinomial),
    so a hub is judged on the demand it was sized for while hours and days still vary at random.
    """
    types = [t for t in hub.points if hub.points[t] > 0]
    rates = np.tile(np.asarray(hub.rate, dtype=float), days)
    total = int(round(float(rates.sum())))
    if total == 0:
        return []
    counts = rng.multinomial(total, rates / rates.sum()).reshape(days, 24)
    out = []
    for day in range(days):
        for h in range(24):
            n = int(counts[day, h])
            if n == 0:
                continue
            times = day * 24 + h + np.sort(rng.random(n))
            share = np.array([hub.split[t][h] for t in types])
            kinds = rng.choice(len(types), size=n, p=share / share.sum())
            weight = hub.stop_weight[:, h]
            stops = rng.choice(len(weight), size=n, p=weight / weight.sum())
            out += [
                (float(a), types[k], float(hub.stop_kwh[s]), float(hub.stop_soc[s]))
                for a, k, s in zip(times, kinds, stops, strict=True)
            ]
    return out


def _requested(s: _Session) -> float:
    tau, floor = s.taper
    if tau is None or s.soc <= tau:
        return s.power_kw
    return s.power_kw * max(1.0 - (1.0 - floor) * (s.soc - tau) / (1.0 - tau), floor)


def _planned_soc(hub: SimHub, t: float) -> float:
    """The dispatch's state of charge at time ``t`` (linear within the hour)."""
    h = int(t // 1)
    start, end = hub.soc_plan_kwh[(h - 1) % 24], hub.soc_plan_kwh[h % 24]
    return float(start + (t - h) * (end - start))


def _power(env: simpy.Environment, hub: SimHub, state: _State, step: float, soc: list[float]):
    """Share power every ``step`` hours: grid up to the connection, then the battery, then a cut. The
    battery recharges in the moments with headroom until it has taken the hour's planned energy, and
    beyond it while it is below the dispatch's state of charge (a busy spell drained it)."""
    hour_seen, charged = -1, 0.0
    while True:
        yield env.timeout(step)
        demand = [_requested(s) for s in state.active]
        total = sum(demand)
        factor, charge = 1.0, 0.0
        hour = int((env.now - 0.5 * step) // 1)
        if hour != hour_seen:
            hour_seen, charged = hour, 0.0
        if total <= hub.connection_kw:
            room = (hub.battery_kwh - soc[0]) / (hub.eta_charge * step)
            plan = (hub.charge_plan_kw[hour % 24] - charged) / step
            behind = (_planned_soc(hub, env.now) - soc[0]) / (hub.eta_charge * step)
            charge = max(min(max(plan, behind), hub.connection_kw - total, hub.battery_kw, room), 0.0)
            charged += charge * step
            soc[0] += hub.eta_charge * charge * step
        else:
            discharge = min(total - hub.connection_kw, hub.battery_kw, soc[0] * hub.eta_discharge / step)
            soc[0] -= discharge / hub.eta_discharge * step
            factor = (hub.connection_kw + discharge) / total
        state.max_grid = max(state.max_grid, min(total, hub.connection_kw) + charge)
        state.min_soc = min(state.min_soc, soc[0])
        state.session_steps += len(state.active)
        state.throttled_steps += len(state.active) if factor < 1 - 1e-9 else 0
        for s, p in zip(list(state.active), demand, strict=True):
            kwh = min(p * factor * step, s.left_kwh)
            s.left_kwh -= kwh
            s.soc += kwh / hub.truck_kwh
            if s.measured:
                state.served_kwh += kwh
            if s.left_kwh <= 1e-9:
                state.active.remove(s)
                s.done.succeed()


def simulate_hub(hub: SimHub, *, days: int, warmup_days: int, step_s: float, seed: int) -> SimResult:
    """Simulate ``warmup_days + days`` days of ``hub`` (and one more day for the last trucks to finish)."""
    rng = np.random.default_rng([seed, zlib.crc32(hub.site_id.encode())])
    env = simpy.Environment()
    queues = {t: simpy.Resource(env, capacity=n) for t, n in hub.points.items() if n > 0}
    state, soc, step = _State(), [float(hub.soc_plan_kwh[-1])], step_s / 3600.0
    start, end = float(warmup_days * 24), float((warmup_days + days) * 24)
    arrivals = _arrivals(hub, warmup_days + days, rng)
    demanded = sum(kwh for at, _, kwh, _ in arrivals if start <= at < end)
    measured_n = sum(1 for at, *_ in arrivals if start <= at < end)

    def truck(kind: str, kwh: float, soc_in: float, at: float):
        measured = start <= at < end
        with queues[kind].request() as req:
            yield req
            if measured:
                state.waits.append(env.now - at)
            yield env.timeout(hub.overhead_h)
            if kwh > 1e-9:
                done = env.event()
                state.active.append(_Session(kwh, soc_in, hub.power_kw[kind], hub.taper[kind], done, measured))
                yield done
        state.finished += measured

    def source():
        for at, kind, kwh, soc_in in arrivals:
            yield env.timeout(at - env.now)
            env.process(truck(kind, kwh, soc_in, at))

    env.process(source())
    env.process(_power(env, hub, state, step, soc))
    env.run(until=end + 24.0)
    waits = np.array(state.waits) * 60.0
    expected = days * float(
        sum(
            hub.rate[h] * (hub.stop_weight[:, h] @ hub.stop_kwh) / max(hub.stop_weight[:, h].sum(), 1e-12)
            for h in range(24)
        )
    )
    return SimResult(
        trucks=measured_n,
        mean_wait_min=float(waits.mean()) if len(waits) else 0.0,
        p95_wait_min=float(np.percentile(waits, 95)) if len(waits) else 0.0,
        max_wait_min=float(waits.max()) if len(waits) else 0.0,
        demanded_kwh=demanded,
        served_kwh=state.served_kwh,
        expected_kwh=expected,
        unfinished=measured_n - state.finished,
        max_grid_kw=state.max_grid,
        min_battery_kwh=state.min_soc if np.isfinite(state.min_soc) else float(hub.soc_plan_kwh[-1]),
        throttled_share=state.throttled_steps / state.session_steps if state.session_steps else 0.0,
    )
