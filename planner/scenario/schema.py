"""JSON Schema of scenario files (``planner schema``), generated from the pydantic sections."""

from __future__ import annotations

import json

from planner.scenario.root import Scenario

__all__ = ["scenario_json_schema"]


def scenario_json_schema() -> str:
    """Return the JSON Schema of scenario files as an indented JSON string."""
    schema = Scenario.model_json_schema()
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "Another scenario file whose values this one overrides (relative path).",
    }
    return json.dumps(schema, indent=2, sort_keys=True)
