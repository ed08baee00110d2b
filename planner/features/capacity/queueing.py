"""Charger sizing by queueing: Erlang C (M/M/c), session times, piecewise levels for a MILP.

A hub with ``c`` chargers is modelled as an M/M/c queue: trucks arrive at random (Poisson, rate
``λ`` per hour in the busiest hour), each session takes an exponentially distributed time with
mean ``s`` hours (service rate ``μ = 1/s``), and a truck that finds all chargers busy waits. The
offered load is ``a = λ s`` Erlangs; the queue is stable only if ``a < c``.

* :func:`erlang_c`: probability that an arriving truck waits, ``C(c, a)``.
* :func:`expected_wait_h`: mean wait in the queue, ``Wq = C(c, a) / (c μ - λ)``.
* :func:`min_servers`: fewest chargers that keep ``Wq`` within a target.
* :func:`size_levels`: for ``c = 1, 2, ...`` chargers, the largest daily session count that meets
  the wait target, as a table of levels for a linear model.

Conventions: zero arrivals need zero chargers and never wait.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

__all__ = [
    "erlang_c",
    "expected_wait_h",
    "min_servers",
    "SizeLevel",
    "size_levels",
]

_BISECTION_STEPS = 60
_REL_TOL = 1e-9  # waits within this relative margin of the target count as meeting it (float noise)


def _count(value: object, name: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def _number(value: object, name: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    x = float(value)
    if x < 0 or (positive and x == 0):
        raise ValueError(f"{name} must be {'> 0' if positive else '>= 0'}, got {value!r}.")
    return x


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival has to wait in an M/M/c queue (Erlang C formula).

    Computed from the Erlang B recursion ``B(0) = 1``, ``B(k) = a B(k-1) / (k + a B(k-1))`` and
    ``C = c B / (c - a (1 - B))``, which is stable for large ``c`` and ``a`` (no factorials).

    Parameters
    ----------
    servers
        Number of chargers ``c`` (>= 0).
    offered_load
        ``a = λ / μ`` in Erlangs (>= 0).

    Returns
    -------
    float
        ``C(c, a)`` in [0, 1]; 1.0 if ``a >= c`` (unstable: every arrival waits), 0.0 if
        ``a == 0`` and ``c >= 1``.
    """
    c = _count(servers, "servers")
    a = _number(offered_load, "offered_load")
    if a >= c:
        return 1.0
    if a == 0:
        return 0.0
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return c * b / (c - a * (1.0 - b))


def expected_wait_h(servers: int, arrival_rate_per_h: float, service_time_h: float) -> float:
    """Mean time in the queue (before charging), hours, of an M/M/c queue.

    ``Wq = C(c, a) / (c μ - λ)`` with ``μ = 1 / service_time_h`` and ``a = λ / μ``.

    Parameters
    ----------
    servers
        Number of chargers (>= 0).
    arrival_rate_per_h
        Arrivals per hour ``λ`` (>= 0).
    service_time_h
        Mean session time in hours (> 0).

    Returns
    -------
    float
        0.0 without arrivals; ``inf`` if the queue is unstable (``a >= c``).
    """
    c = _count(servers, "servers")
    lam = _number(arrival_rate_per_h, "arrival_rate_per_h")
    s = _number(service_time_h, "service_time_h", positive=True)
    if lam == 0:
        return 0.0
    a = lam * s
    if a >= c:
        return math.inf
    return erlang_c(c, a) / (c / s - lam)


def min_servers(
    arrival_rate_per_h: float, service_time_h: float, max_wait_h: float, *, max_servers: int = 200
) -> int | None:
    """Fewest chargers whose mean queueing time is at most ``max_wait_h``.

    Parameters
    ----------
    arrival_rate_per_h
        Arrivals per hour in the hour that sizes the hub (>= 0).
    service_time_h
        Mean session time, hours (> 0).
    max_wait_h
        Target mean wait, hours (>= 0; a target of 0 cannot be met with arrivals).
    max_servers
        Largest number of chargers considered.

    Returns
    -------
    int or None
        0 without arrivals; ``None`` if even ``max_servers`` chargers miss the target.
    """
    lam = _number(arrival_rate_per_h, "arrival_rate_per_h")
    s = _number(service_time_h, "service_time_h", positive=True)
    target = _number(max_wait_h, "max_wait_h")
    top = _count(max_servers, "max_servers")
    if lam == 0:
        return 0
    for c in range(math.floor(lam * s) + 1, top + 1):
        if expected_wait_h(c, lam, s) <= target * (1 + _REL_TOL):
            return c
    return None


@dataclass(frozen=True)
class SizeLevel:
    """One charger level for a piecewise-linear sizing model.

    Attributes
    ----------
    servers
        Number of chargers ``c``.
    max_sessions_per_day
        Largest daily session count ``c`` chargers serve within the wait target.
    peak_arrivals_per_h
        Arrivals in the busiest hour at that count.
    utilisation
        Busy share of the chargers in the busiest hour, ``λ s / c``.
    wait_h
        Mean queueing time in the busiest hour at that count.
    """

    servers: int
    max_sessions_per_day: float
    peak_arrivals_per_h: float
    utilisation: float
    wait_h: float


def size_levels(
    max_sessions_per_day: float,
    service_time_h: float,
    peak_factor: float,
    max_wait_h: float,
    *,
    max_servers: int,
) -> list[SizeLevel]:
    """Capacity of 1, 2, ... chargers at a wait target, for a linear (MILP) sizing model.

    For each ``c``, the largest daily session count ``n`` (found by bisection) whose busiest-hour
    arrivals ``λ = n × peak_factor`` keep ``Wq(c, λ, s) <= max_wait_h``. The list stops at the
    first level that takes ``max_sessions_per_day`` (more chargers would add nothing) or at
    ``max_servers``. Capacities are non-decreasing in ``c``.

    Parameters
    ----------
    max_sessions_per_day
        Most sessions a hub may have to serve per day (>= 0); 0 gives an empty list (no chargers).
    service_time_h
        Mean session time, hours (> 0).
    peak_factor
        Share of the daily sessions that arrive in the busiest hour, in (0, 1].
    max_wait_h
        Target mean wait in the busiest hour, hours (> 0).
    max_servers
        Largest number of chargers (>= 1).

    Returns
    -------
    list of SizeLevel
    """
    top_n = _number(max_sessions_per_day, "max_sessions_per_day")
    s = _number(service_time_h, "service_time_h", positive=True)
    pf = _number(peak_factor, "peak_factor", positive=True)
    if pf > 1:
        raise ValueError(f"peak_factor is the share of daily sessions in the busiest hour, in (0, 1]; got {pf!r}.")
    target = _number(max_wait_h, "max_wait_h", positive=True)
    top_c = _count(max_servers, "max_servers", minimum=1)
    if top_n == 0:
        return []

    def ok(c: int, n: float) -> bool:
        return expected_wait_h(c, n * pf, s) <= target * (1 + _REL_TOL)

    levels: list[SizeLevel] = []
    prev = 0.0
    for c in range(1, top_c + 1):
        if ok(c, top_n):
            cap = top_n
        else:
            lo, hi = prev, min(top_n, c / (s * pf))  # ok(c, lo) holds; ok(c, hi) fails
            for _ in range(_BISECTION_STEPS):
                mid = 0.5 * (lo + hi)
                if ok(c, mid):
                    lo = mid
                else:
                    hi = mid
                if hi - lo <= 1e-9 * max(1.0, hi):
                    break
            cap = lo
        lam = cap * pf
        levels.append(SizeLevel(c, cap, lam, lam * s / c, expected_wait_h(c, lam, s)))
        prev = cap
        if cap >= top_n:
            break
    return levels
