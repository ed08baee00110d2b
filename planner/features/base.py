"""The feature interface: what a feature package provides to the pipeline.

The core of the planner is coverage under range (:mod:`planner.features.coverage`); everything
else — charger sizing, grid connection, AFIR, rollouts, the trade-off curve, economics — is a
*feature*: a package with one class derived from :class:`Feature`, registered in
:data:`planner.features.FEATURES`. The pipeline (:mod:`planner.pipeline`) runs the stages in
order and asks every enabled feature for its part at each stage; it never branches on a feature.

A feature keeps its data, its model rows, its outputs and its verifier checks together:

``enabled(scenario)``
    Whether the scenario switches it on.
``check_scenario(scenario)``
    Refuse settings it cannot honour, from the scenario alone (before any data is read), so that
    ``planner validate``, a run and every point of a sweep (when the sweep loads) refuse them alike.
``prepare(ctx)``
    Requirements derived from the data (e.g. AFIR windows, queueing size levels, grid capacity per
    site), stored as a :class:`~planner.features.coverage.model.ModelPart` in ``ctx.parts`` when it
    adds rows to the model. May raise :class:`~planner.errors.PlannerError` for impossible requests.
``solve(ctx)``
    Take over solving (a multi-year model, a two-stage solve) and return a
    :class:`~planner.features.coverage.model.Solution`; ``None`` leaves it to the core.
``decode(plan, ctx)``
    Read its variables off the solved model into the plan's tables and summary.
``outputs(plan, ctx)``
    Further results that need the decoded plan: tables, layers, summary blocks, plans solved on
    the side (their re-simulation checks go to ``ctx.side_checks``).
``recomputed_capex(plan, ctx)``
    The capex it adds (e.g. grid upgrades), recomputed from the plan's tables for the verifier's
    cost check.
``cut_flows_load(plan, ctx, sessions, flows)``
    After a ``demand.max_flows`` cut, what the cut flows' charging sessions at the plan's hubs
    (:mod:`planner.demand_cut`) mean for what it sized (e.g. the points the hubs would lack), as
    entries of ``summary["demand"]["cut_flows_sessions"]``; ``flows`` are the cut flows, routed.
``checks(plan, ctx)``
    Its verifier checks, computed from the plan's tables and the scenario only — never from the
    model — so that verification stays independent of the optimisation.

Adding a feature = a new package under ``planner/features/`` + one line in
:data:`planner.features.FEATURES`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from planner.context import RunContext
    from planner.features.coverage.model import Solution
    from planner.plan import Plan
    from planner.scenario import Scenario
    from planner.verify import Check

__all__ = ["Feature"]


class Feature:
    """Base class of features: every hook does nothing by default."""

    name: ClassVar[str] = ""
    #: The feature assigns each flow's stops to hubs in the model (trucks then charge only there), so
    #: the instance keeps the windows that an existing hub already satisfies.
    assigns_stops: ClassVar[bool] = False
    #: Features this one replaces when both are on (e.g. hourly sizing replaces the peak-hour sizing of
    #: ``capacity`` and the peak-kW buffers of ``grid``): the pipeline then runs only this one.
    supersedes: ClassVar[tuple[str, ...]] = ()

    def enabled(self, scenario: Scenario) -> bool:
        """Whether ``scenario`` switches this feature on."""
        return False

    def check_scenario(self, scenario: Scenario) -> None:
        """Raise :class:`~planner.errors.ScenarioError` for settings this feature cannot honour (scenario only)."""
        return None

    def prepare(self, ctx: RunContext) -> None:
        """Derive the feature's requirements from the data (and its model part, if any)."""

    def solve(self, ctx: RunContext) -> Solution | None:
        """Solve the scenario in the feature's own way, or ``None`` to leave it to the core."""
        return None

    def decode(self, plan: Plan, ctx: RunContext) -> None:
        """Read the feature's variables off ``ctx.solution`` into ``plan``."""

    def outputs(self, plan: Plan, ctx: RunContext) -> None:
        """Add the feature's further outputs (tables, layers, summary blocks) to ``plan``."""

    def recomputed_capex(self, plan: Plan, ctx: RunContext) -> float:
        """Capex the feature adds to the plan, recomputed from the plan's tables and the scenario
        (the verifier's cost check adds it to the hubs' own capex)."""
        return 0.0

    def cut_flows_load(self, plan: Plan, ctx: RunContext, sessions: np.ndarray, flows: pd.DataFrame) -> dict:
        """What the cut flows' ``sessions`` per day at each of ``plan.hubs``' rows (a lower bound: each
        truck stops as rarely as its range allows) mean for the feature's sizing; entries for the summary.
        ``flows`` are every cut flow, routed (served by the plan's hubs or not)."""
        return {}

    def checks(self, plan: Plan, ctx: RunContext) -> list[Check]:
        """The feature's verifier checks (from the plan's tables and the scenario only)."""
        return []
