"""Property-based: malformed scenarios and data files end in one clean line, and lose nothing.

Hypothesis mutates a small valid run (scenario TOML and its CSVs) — wrong types, infinite and
huge values, empty cells, broken bytes, ragged rows, unbalanced quotes, unknown keys — and runs
``planner run`` in-process through the CLI's guard. Whatever the mutation, the run either succeeds
with a verified plan, or exits non-zero with at most a few lines on stderr, starting with
``error:`` (a user error, not ``internal error:``), no traceback, no output folder, and the
existing folders untouched.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.cli import main
from tests.conftest import base_scenario, line_network, toml_value, write_scenario

FLOWS = ["A,N0,N4,10", "B,N1,N3,5", "C,N2,N4,2"]
NASTY = [
    True,
    False,
    "600",
    "",
    "x" * 300,
    -1,
    0,
    -1e300,
    1e300,
    float("inf"),
    float("-inf"),
    float("nan"),
    [],
    [1, 2],
    {},
    {"a": 1},
    1.5,
    10**30,
]
FILES = os.environ.get("PLANNER_FUZZ_FILES", "nodes.csv,edges.csv,flows.csv,sites.csv").split(",")
CELLS = ["", "nan", "inf", "-inf", "abc", "1e300", "-5", "0", "N9", "NaN", '"', "1,2", "\u00e9", "1e-300"]
SETTINGS = settings(
    max_examples=int(os.environ.get("PLANNER_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    }


def _run(folder: Path, capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, str]:
    argv = sys.argv
    sys.argv = ["planner", *args]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = argv
    return code, capsys.readouterr().err


def _fresh(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    line_network(folder, 5)
    existing = folder / "existing"
    existing.mkdir()
    (existing / "notes.txt").write_text("mine\n")
    return folder


def _check(folder: Path, code: int, err: str, before: dict[str, str]) -> None:
    out = folder / "out"
    assert _digest(folder / "existing") == before
    if code == 0:
        assert (out / "summary.json").is_file()
        assert '"passed": true' in (out / "summary.json").read_text()
        return
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    assert 1 <= len(lines) <= 4, err
    assert lines[-1].startswith(("error:", "Error:")), err  # a user error, never "internal error:"
    assert not out.exists()
    assert not [p for p in folder.iterdir() if p.name.startswith(".out.")]


def _scenario(folder: Path) -> dict:
    data = base_scenario(folder, flows=FLOWS, objective={"type": "max_coverage", "max_hubs": 2})
    data["candidates"] = {"include_nodes": True, "spacing_km": 50.0}
    return data


@st.composite
def scenario_mutation(draw: st.DrawFn) -> tuple[str, str, object]:
    section = draw(
        st.sampled_from(
            [
                "vehicle",
                "breaks",
                "costs",
                "objective",
                "candidates",
                "solver",
                "demand",
                "grid",
                "capacity",
                "afir",
                "output",
                "network",
            ]
        )
    )
    key = draw(
        st.sampled_from(
            [
                "battery_kwh",
                "consumption_kwh_per_km",
                "soc_min",
                "soc_start",
                "speed_kmh",
                "max_driving_h",
                "site_fixed_eur",
                "lifetime_years",
                "max_hubs",
                "budget_eur",
                "spacing_km",
                "time_limit_s",
                "bev_share",
                "enabled",
                "default_node_kw",
                "upgrade_step_kw",
                "year",
                "tradeoff_points",
                "tiers",
                "nodes",
                "mode",
                "unknown_key",
            ]
        )
    )
    return section, key, draw(st.sampled_from(NASTY))


@given(mutation=scenario_mutation())
@SETTINGS
def test_scenario_values(tmp_path: Path, capsys: pytest.CaptureFixture[str], mutation) -> None:
    section, key, value = mutation
    folder = _fresh(tmp_path, "s")
    data = _scenario(folder)
    data.setdefault(section, {})[key] = value
    path = write_scenario(folder / "s.toml", data)  # nan / inf / -inf are TOML floats too
    before = _digest(folder / "existing")
    code, err = _run(folder, capsys, ["run", str(path), "--out", str(folder / "out"), "-q", "--no-maps"])
    _check(folder, code, err, before)


@st.composite
def csv_mutation(draw: st.DrawFn) -> tuple[str, str, int, int, str]:
    name = draw(st.sampled_from(FILES))
    how = draw(st.sampled_from(["cell", "ragged", "quote", "bytes", "empty", "no_header", "truncate", "dup_row"]))
    return name, how, draw(st.integers(0, 5)), draw(st.integers(0, 4)), draw(st.sampled_from(CELLS))


@given(mutation=csv_mutation())
@SETTINGS
def test_data_files(tmp_path: Path, capsys: pytest.CaptureFixture[str], mutation) -> None:
    name, how, row, col, cell = mutation
    folder = _fresh(tmp_path, "d")
    data = _scenario(folder)
    (folder / "sites.csv").write_text("site_id,node,lon,lat,locked\nS1,N2,,,false\nS2,,11.0,45.6,false\n")
    data["candidates"]["sites"] = "sites.csv"
    path = write_scenario(folder / "s.toml", data)
    target = folder / name
    lines = target.read_text().splitlines()
    r = 1 + row % max(1, len(lines) - 1)
    if how == "cell":
        cells = lines[r].split(",")
        cells[col % len(cells)] = cell
        lines[r] = ",".join(cells)
    elif how == "ragged":
        lines[r] += ",extra,more"
    elif how == "quote":
        lines[r] = '"' + lines[r]
    elif how == "empty":
        lines = []
    elif how == "no_header":
        lines = lines[1:]
    elif how == "truncate":
        lines[r] = lines[r][: max(1, len(lines[r]) // 2)]
    elif how == "dup_row":
        lines.append(lines[r])
    text = "\n".join(lines) + ("\n" if lines else "")
    target.write_bytes(text.encode() + (b"\xff\xfe bad" if how == "bytes" else b""))
    before = _digest(folder / "existing")
    code, err = _run(folder, capsys, ["run", str(path), "--out", str(folder / "out"), "-q", "--no-maps"])
    _check(folder, code, err, before)


@pytest.mark.parametrize("target", ["existing", "existing/notes.txt", ".", "s.toml"])
def test_foreign_outputs_are_refused_and_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    folder = _fresh(tmp_path, "o")
    path = write_scenario(folder / "s.toml", _scenario(folder))
    before = _digest(folder)
    code, err = _run(folder, capsys, ["run", str(path), "--out", str(folder / target), "-q", "--no-maps"])
    assert code == 7 and err.startswith("error:") and "Traceback" not in err
    assert _digest(folder) == before


def test_values_are_written_as_toml() -> None:
    # The mutations above rely on the fixture writer spelling infinities and NaN the TOML way.
    assert (toml_value(float("inf")), toml_value(float("-inf")), toml_value(float("nan"))) == ("inf", "-inf", "nan")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("summary.json", b"{broken"),
        ("summary.json", b'{"scenario": 1}'),
        ("summary.json", b"\xff\xfe"),
        ("summary.json", b"[1, 2]"),
        ("hubs.csv", b"\xff\xfe,bad"),
        ("flows.csv", b'flow_id,origin\n"A,B\n'),
    ],
)
@pytest.mark.parametrize("command", ["compare", "render"])
def test_broken_run_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, command: str
) -> None:
    folder = _fresh(tmp_path, "r")
    path = write_scenario(folder / "s.toml", _scenario(folder))
    assert _run(folder, capsys, ["run", str(path), "--out", str(folder / "good"), "-q", "--no-maps"])[0] == 0
    shutil.copytree(folder / "good", folder / "bad")
    (folder / "bad" / name).write_bytes(content)
    args = ["compare", str(folder / "good"), str(folder / "bad"), "--out", str(folder / "cmp")]
    code, err = _run(folder, capsys, args if command == "compare" else ["render", str(folder / "bad")])
    assert code != 0 and err.startswith("error:") and "Traceback" not in err and len(err.splitlines()) == 1
    assert not (folder / "cmp").exists()
