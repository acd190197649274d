"""Reading MongoDB ``explain()`` output in tests: which stages and indexes a query plan uses."""

from __future__ import annotations

from typing import Any


def stages(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every stage of a (winning) plan, depth first."""
    found = [plan]
    for key in ("inputStage", "queryPlan"):
        if isinstance(plan.get(key), dict):
            found += stages(plan[key])
    for child in plan.get("inputStages", []):
        found += stages(child)
    return found
