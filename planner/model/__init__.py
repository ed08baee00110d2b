"""The mixed-integer program, built from constraint families (one module each).

``build_model`` assembles a PuLP problem from a :class:`~planner.instance.PlanningInstance`;
each ``add_<family>`` function names its constraints and returns early when there is
nothing to add. The formulation is written down in docs/model.md.
"""

from planner.model.build import ModelSpec, PlanningModel, build_model

__all__ = ["ModelSpec", "PlanningModel", "build_model"]
