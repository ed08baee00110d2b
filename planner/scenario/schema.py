"""JSON Schema of scenario files (``planner schema``), generated from the pydantic sections."""

from __future__ import annotations

import json
from typing import Any

from planner.scenario.loader import UNSET
from planner.scenario.root import Scenario

__all__ = ["scenario_json_schema"]


def scenario_json_schema() -> str:
    """Return the JSON Schema of scenario files as an indented JSON string."""
    schema = Scenario.model_json_schema()
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "Another scenario file whose values this one overrides (relative path). A setting "
        f'without a default that file gives is removed with the value "{UNSET}".',
    }
    for section in (schema, *schema.get("$defs", {}).values()):
        for prop in section.get("properties", {}).values():
            _accept_unset(prop)
    return json.dumps(schema, indent=2, sort_keys=True)


def _accept_unset(prop: dict[str, Any]) -> None:
    """Let an optional property (one that may be null) take the string that removes it."""
    alternatives = prop.get("anyOf")
    if isinstance(alternatives, list) and {"type": "null"} in alternatives:
        alternatives.append({"const": UNSET})
