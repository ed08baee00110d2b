"""The shape the code keeps (issue 11): small modules, short functions, a short pipeline entry."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "planner"


def test_no_module_over_600_lines() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text("utf-8").splitlines())) > 600
    }
    assert not long


def test_no_function_over_80_lines() -> None:
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno >= 80:
                long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}")
    assert not long


def test_pipeline_entry_is_short_and_has_no_feature_branches() -> None:
    text = (PACKAGE / "pipeline.py").read_text("utf-8")
    assert len(text.splitlines()) < 60
    for feature in ("capacity", "afir", "rollout", "grid", "hourly", "tradeoff"):
        assert f".{feature}" not in text and f"if {feature}" not in text, feature
