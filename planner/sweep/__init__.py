"""Parameter sweeps: one base scenario, a grid of overrides, many runs — locally or on Dask.

A sweep file (TOML) names a base scenario and a grid of dotted scenario keys with lists of
values; every combination (the cartesian product) becomes a scenario that runs like
``planner run`` into ``<out>/runs/<point name>/``. An optional ``[tradeoff]`` table adds an
ε-constraint curve for the base: the cheapest plan (``min_cost``) for each coverage target.

.. code-block:: toml

    base = "europe-2030.toml"          # relative to the sweep file
    name = "battery-x-bev"             # prefix of every run name
    [grid]
    "vehicle.battery_kwh" = [400, 600, 800]
    "demand.bev_share" = [0.1, 0.15, 0.3]
    [tradeoff]
    coverage_targets = [0.5, 0.7, 0.9, 0.95, 1.0]

Everything is validated before anything runs. Runs go in-process, in local worker processes or
on a Dask distributed cluster (the same pure function :func:`run_point` everywhere); local
workers never outlive the sweep (Ctrl-C, SIGTERM, ``kill -9``). A run folder holds
``sweep-point.json`` with the overrides and a hash of the validated scenario (and its data
files), so a second call skips what is done and reruns what changed. A failed point is recorded
and the others go on. The sweep writes ``sweep.csv``, ``sweep.json``, ``failures.json`` and a
comparison (``compare/``) of the successful runs into a sweep folder it owns (marker, lock).

Modules: :mod:`~planner.sweep.keys` (which scenario keys may vary), :mod:`~planner.sweep.naming`
(point names), :mod:`~planner.sweep.hashing` (what a point's hash covers),
:mod:`~planner.sweep.spec` (sweep files and points), :mod:`~planner.sweep.point` (one point at
run time, resume), :mod:`~planner.sweep.pool` (local workers that die with the sweep),
:mod:`~planner.sweep.executors` (in-process, pool, Dask), :mod:`~planner.sweep.folder` (the
sweep folder's rules), :mod:`~planner.sweep.outputs` (the sweep tables) and
:mod:`~planner.sweep.run` (:func:`run_sweep`).
"""

from __future__ import annotations

from planner.sweep.keys import scenario_keys
from planner.sweep.point import MARKER, PointResult, PointTask, run_point
from planner.sweep.run import SweepResult, run_sweep
from planner.sweep.spec import Sweep, SweepPoint, load_sweep, make_sweep

__all__ = [
    "MARKER",
    "PointResult",
    "PointTask",
    "Sweep",
    "SweepPoint",
    "SweepResult",
    "load_sweep",
    "make_sweep",
    "run_point",
    "run_sweep",
    "scenario_keys",
]
