"""The run summary (summary.json): solver figures, per-store use of limits, changes, data report."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import pandas as pd

from planner.config import PlanConfig
from planner.inputs import ChainData
from planner.optimize import PlanResult
from planner.profiles import Profiles
from planner.schemas import STORE_ID, Change, Role


def build_summary(result: PlanResult, chain: ChainData, profiles: Profiles, config: PlanConfig, timings: dict[str, float],
                  week: str, monday: date) -> dict[str, Any]:
    """Everything a person or a scheduler needs to judge the run, in plain JSON types; `week` is the
    planned ISO week, starting on `monday`."""
    solve = result.solve
    limit = config.stability.max_changes_per_store_per_week
    first_week = result.changes[result.changes["week"] == 1].groupby([STORE_ID, "change"]).size()
    weeks_to_target = result.weeks_to_target
    current_profit = result.baselines["current"].store_profit
    stores = _store_summaries(result, first_week)
    last_day = last_pos_day(chain, monday)
    core = sorted(result.plan.loc[result.plan["role"] == Role.CORE, "sku"].unique())
    return {
        "solver": solve.solver,
        "status": str(solve.status),
        "objective": round(solve.objective or 0.0, 4),
        "recomputed_objective": round(result.recomputed_objective, 4),
        "best_bound": None if solve.best_bound is None else round(solve.best_bound, 4),
        "mip_gap": None if solve.mip_gap is None else round(solve.mip_gap, 6),
        "fallback_stores": list(solve.fallback_stores),  # on their greedy plan: no MILP plan within their time budget
        "solve_seconds": round(solve.seconds, 3),
        "units": {"money": "EUR", "profit": "EUR per week", "shelf": "shelf units", "inventory": "EUR tied up"},
        "core_items": len(core),
        "current_assortment_profit_per_week": round(float(current_profit.sum()), 2),
        "quality": quality(result),
        "stores": stores,
        "notes": result.notes,
        "planned_week": {"week": week, "first_day": monday.isoformat(), "last_day": (monday + timedelta(days=6)).isoformat()},
        "transition": {"max_changes_per_store_per_week": limit, "weeks_to_target": int(weeks_to_target.max()) if len(weeks_to_target) else 0,
                       "changes_this_week": int(first_week.sum())},
        "data": _data_report(chain, profiles, last_day, week, monday),
        "warnings": chain.warnings,
        "model": result.model_size,
        "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
        "config": config.to_dict(),
    }


def _store_summaries(result: PlanResult, first_week: pd.Series) -> dict[str, dict[str, Any]]:
    """store_id -> its use of the limits, expected figures, changes and limit values; `first_week`
    counts the changes of the plan's first week by (store_id, change)."""
    weeks_to_target = result.weeks_to_target
    current_profit = result.baselines["current"].store_profit
    uplifts = {name: result.store_uplift(name) for name in result.baselines}
    stores = {}
    for row in result.stores.itertuples(index=False):
        stores[row.store_id] = {
            "name": row.name,
            "shelf_used": round(float(row.shelf_used), 2),
            "shelf_capacity": float(row.shelf_capacity),
            "budget_used": round(float(row.budget_used), 2),
            "inventory_budget": float(row.inventory_budget),
            "core_items": int(row.core_items),
            "addon_items": int(row.addon_items),
            "expected_sales_per_week": round(float(row.expected_sales_per_week), 2),
            "expected_profit_per_week": round(float(row.expected_profit_per_week), 2),
            "waste_cost_per_week": round(float(row.waste_cost_per_week), 2),
            "current_assortment_profit_per_week": round(float(current_profit[row.store_id]), 2),
            "uplift_per_week": {name: round(float(uplift[row.store_id]), 2) for name, uplift in uplifts.items()},
            "adds": int(row.adds),
            "drops": int(row.drops),
            "adds_this_week": int(first_week.get((row.store_id, Change.ADD), 0)),
            "drops_this_week": int(first_week.get((row.store_id, Change.DROP), 0)),
            "weeks_to_target": int(weeks_to_target[row.store_id]),
            "shelf_unit_value_per_week": _rounded(row.shelf_value, 4),
            "budget_euro_value_per_week": _rounded(row.budget_value, 4),
            "binding_limit": binding_limit(row.shelf_value, row.budget_value),
        }
    return stores


def _data_report(chain: ChainData, profiles: Profiles, last_day: date, week: str, monday: date) -> dict[str, Any]:
    """What the plan was made from: history window, POS line counts, what was left out, substitution."""
    weeks = profiles.history.weeks
    report = chain.pos_report
    return {
        "history_weeks": [weeks[0].date().isoformat(), weeks[-1].date().isoformat()],
        "last_pos_day": last_day.isoformat(),
        "stale_warning": stale_warning(last_day, week, monday),
        "stores": len(chain.stores),
        "products": len(chain.products),
        "pos_files": len(report.files),
        "pos_lines": report.counts.lines,
        "return_lines": report.counts.return_lines,
        "unknown_sku_lines": report.counts.unknown_sku_lines,
        "bulk_lines": report.counts.bulk_lines,
        "bulk_units_left_out": report.counts.bulk_units,
        "promo_lines": report.counts.promo_lines,
        "excluded_weeks": profiles.history.excluded_weeks,
        "promotion_weeks_left_out": int(profiles.pairs["promo_weeks"].sum()),
        "listing_gap_weeks_left_out": int(profiles.pairs["gap_weeks"].sum()),
        "substitution": {
            "transfer_rate": round(profiles.substitution.transfer_rate, 4),
            "transfer_rate_interval_90": [round(v, 4) for v in profiles.substitution.interval],
            "source": profiles.substitution.source,
            "substitute_pairs": len(profiles.substitution.pairs),
        },
        "index_dimensions": profiles.dimensions,
    }


def quality(result: PlanResult) -> dict[str, Any]:
    """The plan against its baselines, all valued the same way and solved in the same run."""
    value = result.value
    baselines = {name: round(b.profit, 2) for name, b in result.baselines.items()}
    return {
        "mip_gap": None if result.solve.mip_gap is None else round(result.solve.mip_gap, 6),
        "expected_profit_per_week": round(value.profit, 2),
        "own_profit_per_week": round(value.own_profit, 2),
        "substitution_profit_per_week": round(value.transfer_profit, 2),
        "listing_cost_per_week": round(value.listing_cost, 2),
        "change_penalty_per_week": round(value.penalty, 2),
        "adds": value.adds,
        "drops": value.drops,
        "baseline_profit_per_week": baselines,
        "uplift_per_week": {name: round(result.uplift(name), 2) for name in result.baselines},
        "uplift_pct": {name: _pct(result.uplift(name), b.profit) for name, b in result.baselines.items()},
        "current_over_limits": {
            row.store_id: {"shelf_used": round(row.shelf_used, 2), "shelf_capacity": row.shelf_capacity,
                           "budget_used": round(row.budget_used, 2), "inventory_budget": row.inventory_budget,
                           "products": row.products, "kept_in_trim": row.kept}
            for row in result.today.limits[result.today.limits["over_limits"]].itertuples(index=False)
        },
    }


STALE_DAYS = 7  # a whole week without POS data before the planned week is a missing delivery


def last_pos_day(chain: ChainData, monday: date) -> date:
    """The last day with POS data the plan used (data from the planned week on is left out)."""
    days = [info.last_date for info in chain.pos_report.files if info.last_date is not None and not info.skipped_reason]
    last_week_end = (chain.weekly["week_start"].max() + pd.Timedelta(days=6)).date()
    return min([max(days, default=last_week_end), last_week_end, monday - timedelta(days=1)])


def stale_warning(last_day: date, week: str, monday: date) -> str:
    """A warning when the POS data ends more than STALE_DAYS days before the planned week, else ""."""
    gap = (monday - last_day).days - 1
    if gap < STALE_DAYS:
        return ""
    return (f"the POS data ends on {last_day:%d %b %Y}, {gap} days before the planned week {week} ({monday:%d %b}): "
            f"the sales of {last_day + timedelta(days=1):%d %b} to {monday - timedelta(days=1):%d %b} are missing; "
            "deliver the latest POS exports and run again")


def binding_limit(shelf_value: float, budget_value: float) -> str:
    """Which store limit holds the plan back, from the values of one more shelf unit and one more euro."""
    shelf, budget = (v > 1e-6 for v in (shelf_value, budget_value))  # False for NaN (no LP values)
    return {(True, True): "shelf and budget", (True, False): "shelf", (False, True): "budget"}.get((shelf, budget), "neither")


def _pct(part: float, whole: float) -> float | None:
    return round(100 * part / abs(whole), 3) if abs(whole) > 1e-9 else None


def _rounded(value: float, digits: int) -> float | None:
    return None if math.isnan(value) else round(float(value), digits)  # NaN (no LP solution) -> null
