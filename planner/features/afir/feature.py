"""The AFIR feature: measure every plan against Regulation (EU) 2023/1804 Art. 4, or enforce it."""

from __future__ import annotations

from planner.context import RunContext
from planner.features.afir.checks import afir_checks
from planner.features.afir.model import afir_part
from planner.features.afir.report import afir_outputs
from planner.features.afir.requirements import afir_requirement, rollout_final_afir
from planner.features.base import Feature
from planner.features.coverage.model import build_model, open_site_ids
from planner.features.coverage.variables import served_mask
from planner.plan import Plan
from planner.scenario import Scenario
from planner.solve import solve_problem
from planner.verify import Check, check_hub_sets

__all__ = ["AfirFeature"]


class AfirFeature(Feature):
    """``[afir] mode``: ``report`` measures the plan; ``enforce`` adds the milestone to the model,
    reports the cost of compliance against the same plan without AFIR, and verifies it.

    In rollouts each year's requirement is the rollout feature's (it asks this package for it).
    """

    name = "afir"

    def enabled(self, scenario: Scenario) -> bool:
        return scenario.afir.mode != "off"

    def prepare(self, ctx: RunContext) -> None:
        sc = ctx.scenario
        if sc.afir.mode != "enforce" or sc.rollout.years:
            return
        req = afir_requirement(sc.afir, sc.chargers, ctx.network, ctx.sites, where=sc.name)
        if req.share is None:
            ctx.log(f"AFIR {sc.afir.year}: {len(req.windows):,} spacing windows enforced")
        else:
            ctx.log(
                f"AFIR {sc.afir.year}: {req.share.share:.0%} of the network length enforced over "
                f"{len(req.share.length_km):,} segments"
            )
        ctx.parts[self.name] = afir_part(req, ctx.instance.site_locked)

    def outputs(self, plan: Plan, ctx: RunContext) -> None:
        sc = ctx.scenario
        afir_outputs(plan, sc, ctx.network, ctx.sites)
        if self.name in ctx.parts and "milestone" in plan.summary["afir"]:
            reference, check = self._reference(ctx)
            ctx.side_checks.append(check)
            plan.summary["afir"]["reference_without_afir"] = reference
            ref_cost = reference.get("total_cost_eur")
            plan.summary["afir"]["cost_of_compliance_eur"] = (
                None if ref_cost is None else plan.summary["total_cost_eur"] - ref_cost
            )

    def checks(self, plan: Plan, ctx: RunContext) -> list[Check]:
        sc = ctx.scenario
        afir = rollout_final_afir(sc.afir, sc.rollout.years) if sc.rollout.years else sc.afir
        if afir.mode != "enforce":
            return []
        return afir_checks(ctx.network, ctx.sites, plan.hubs, afir, sc.chargers)

    def _reference(self, ctx: RunContext) -> tuple[dict, Check]:
        """The same model without AFIR: what compliance costs (its hub set re-simulated)."""
        from planner.verify import served_by_simulation

        instance, sc = ctx.instance, ctx.scenario
        model = build_model(instance, ctx.data["spec"].without(self.name))
        result = solve_problem(model.problem, sc.solver)
        ctx.log(f"reference without AFIR: {result.describe()}")
        if not result.has_solution:
            return {"status": result.status}, check_hub_sets("afir_reference_simulated", "reference plan(s)", [])
        cost = sum(float(instance.site_cost[k]) for k, x in model.variables.open.items() if (x.value() or 0) > 0.5)
        hubs = sum(1 for x in model.variables.open.values() if (x.value() or 0) > 0.5) + int(instance.site_locked.sum())
        simulated = served_by_simulation(ctx.network, ctx.sites, ctx.flows, open_site_ids(model), sc.vehicle, sc.breaks)
        claimed = [("reference", served_mask(model.free, model.variables.groups, model.variables.served), simulated)]
        reference = {"status": result.status, "mip_gap": result.mip_gap, "hub_count": hubs, "total_cost_eur": cost}
        return reference, check_hub_sets("afir_reference_simulated", "reference plan(s)", claimed)
