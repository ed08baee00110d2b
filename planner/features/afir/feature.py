"""The AFIR feature: measure every plan against Regulation (EU) 2023/1804 Art. 4, or enforce it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pulp

from planner.context import RunContext
from planner.features.afir.checks import afir_checks
from planner.features.afir.model import afir_part
from planner.features.afir.report import afir_outputs
from planner.features.afir.requirements import afir_requirement, rollout_final_afir
from planner.features.afir.start import start_share_model
from planner.features.afir.trim import finish_share_model
from planner.features.base import Feature
from planner.features.coverage.model import build_model, open_site_ids, open_sites, start_from_open
from planner.plan import Plan
from planner.scenario import Scenario
from planner.solve import solve_lexicographic
from planner.verify import Check, check_hub_sets, served_by_simulation

__all__ = ["AfirFeature"]


#: Share milestones from which the single-year model gets every cover row at once instead of lazily.
#: europe-2030-afir, 120 s, 2 cores, side by side on 2026-12-04 (the same start, moves and bounds): at
#: the 2027 milestone (50 %) every row gave 800 M EUR at 6.50 % against 808 M at 8.42 % lazily (4,000
#: flows) and 928 M at 12.93 % against 972 M at 16.46 % (every flow); at the 2025 milestone (15 %) lazy
#: rows were a hub better: 432 M at 7.41 % against 436 M at 9.17 %, 596 M at 8.05 % against 600 M at 9.33 %.
_ALL_ROWS_FROM = 0.5


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
        req = afir_requirement(sc.afir, sc.chargers, ctx.network, ctx.sites, where=sc.where)
        if req.share is None:
            ctx.log(f"AFIR {sc.afir.year}: {len(req.windows):,} spacing windows enforced")
        else:
            ctx.log(
                f"AFIR {sc.afir.year}: {req.share.share:.0%} of the network length enforced over "
                f"{len(req.share.length_km):,} segments"
            )
        part = afir_part(req, ctx.instance.site_locked)
        what = "its spacing" if req.share is None else f"{req.share.share:.0%} of the network"
        ctx.data.setdefault("limits", []).append(f"afir.mode='enforce' (the {sc.afir.year} milestone: {what})")
        if req.share is not None:
            # A share milestone makes the MIP hard: HiGHS starts from a plan (see .start). After the
            # solve, .trim closes and exchanges sites while the plan stays feasible, and reports the
            # bound of the model without AFIR where it is tighter. Cover rows: every one at once for
            # a share of at least _ALL_ROWS_FROM, lazily below it (measured: docs/measurements.md, *AFIR compliance*).
            all_rows = req.share.share >= _ALL_ROWS_FROM
            part = replace(part, start=start_share_model, finish=finish_share_model, all_cover_rows=all_rows)
        ctx.parts[self.name] = part

    def outputs(self, plan: Plan, ctx: RunContext) -> None:
        sc = ctx.scenario
        afir_outputs(plan, sc, ctx.network, ctx.sites)
        if self.name in ctx.parts and "milestone" in plan.summary["afir"]:
            reference, check = self._reference(ctx, plan)
            ctx.side_checks.append(check)
            plan.summary["afir"]["reference_without_afir"] = reference
            own = plan.summary["total_cost_eur"]
            plan.summary["afir"]["cost_of_compliance_eur"] = own - reference["total_cost_eur"]
            plan.summary["afir"]["cost_of_compliance_note"] = (
                "capex of this plan minus the cheapest plan without AFIR found that serves at least as much "
                f"({reference['covered_weight_share']:.4%} of the {sc.objective.metric}); never negative, since "
                "this plan is itself such a plan"
            )

    def checks(self, plan: Plan, ctx: RunContext) -> list[Check]:
        sc = ctx.scenario
        afir = rollout_final_afir(sc.afir, sc.rollout.years) if sc.rollout.years else sc.afir
        if afir.mode != "enforce":
            return []
        return afir_checks(ctx.network, ctx.sites, plan.hubs, afir, sc.chargers)

    def _reference(self, ctx: RunContext, plan: Plan) -> tuple[dict, Check]:
        """The cheapest plan without AFIR serving at least what this plan serves (lexicographic: then
        the most coverage at that cost). This plan is feasible for it, so its capex bounds the
        reference's from above: the reference reported is the cheaper of the two."""
        instance, sc = ctx.instance, ctx.scenario
        share = float(plan.summary["covered_weight_share"])
        spec = ctx.data["spec"].without(self.name)
        if not (spec.objective == "min_cost" and spec.coverage_target is None):  # else: every servable flow
            spec = replace(spec, objective="min_cost", coverage_target=max(share * (1 - 1e-9), 1e-12))
        model = build_model(instance, spec)
        start_from_open(model, np.isin(np.asarray(instance.site_ids), plan.hubs["site_id"].to_numpy()))
        lex = solve_lexicographic(model.problem, *model.goals(), sc.solver, warm_start=True, log=ctx.solve_log)
        result = lex.combined
        ctx.log(f"reference without AFIR: {result.describe()}")
        own_cost = float(plan.summary["total_cost_eur"])
        reference = {"status": result.status, "mip_gap": result.mip_gap, "lexicographic": lex.to_dict()}
        if not result.has_solution or float(pulp.value(model.capex())) >= own_cost:
            reference.update(
                source="this plan (no cheaper plan without AFIR found)",
                hub_count=int(plan.summary["hub_count"]),
                total_cost_eur=own_cost,
                covered_weight_share=share,
            )
            return reference, check_hub_sets("afir_reference_simulated", "reference plan(s)", [])
        is_open = open_sites(model)
        ids = open_site_ids(model)
        served = served_by_simulation(
            ctx.network, ctx.sites, ctx.flows, ids, sc.vehicle, sc.breaks, refuel_at_origin=ctx.refuel_at_origin
        )
        weight = model.weight
        reference.update(
            source="solver",
            hub_count=int(is_open.sum()),
            total_cost_eur=float(pulp.value(model.capex())),
            covered_weight_share=float(weight[served].sum() / weight.sum()) if weight.sum() else 0.0,
            best_bound_eur=result.best_bound,
        )
        claimed = [("reference", model.claimed_served(), served)]
        return reference, check_hub_sets("afir_reference_simulated", "reference plan(s)", claimed)
