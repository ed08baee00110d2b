"""The sweep folder (--out): only the planner's sweep folders are written, locked, marked, cleaned; broken
run folders found when resuming are one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.api import run
from planner.cli import app
from planner.errors import OutputError
from planner.outdir import MARKER as OUTPUT_MARKER
from planner.outdir import lock_folder, read_marker
from planner.sweep import MARKER, SweepResult, load_sweep, run_sweep
from planner.sweep.folder import check_sweep_folder
from tests.conftest import base_scenario, line_network, listing, write_scenario

FLOWS = ["A,N0,N4,10", "B,N0,N2,7", "C,N2,N4,6", "D,N1,N2,5"]
POINTS = ["bx-vehicle.battery_kwh_150", "bx-vehicle.battery_kwh_300"]


def make_sweep_file(folder: Path) -> Path:
    line_network(folder, 5)
    write_scenario(folder / "base.toml", base_scenario(folder, flows=FLOWS))
    path = folder / "sweep.toml"
    path.write_text('base = "base.toml"\nname = "bx"\n[grid]\n"vehicle.battery_kwh" = [150, 300]\n')
    return path


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, SweepResult]:
    """A finished two-point sweep: (sweep file, sweep folder, result); copy the folder before changing it."""
    folder = tmp_path_factory.mktemp("sweep")
    path = make_sweep_file(folder)
    return path, folder / "out", run_sweep(load_sweep(path), folder / "out")


def copy_of(finished: tuple[Path, Path, SweepResult], name: str) -> Path:
    _, out, _ = finished
    return Path(shutil.copytree(out, out.parent / name))


def cli_error(path: Path, out: Path, *args: str) -> tuple[int, list[str]]:
    res = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "--quiet", *args])
    return res.exit_code, res.stderr.strip().splitlines()


def test_the_sweep_folder_is_marked_with_the_files_it_holds(finished: tuple[Path, Path, SweepResult]) -> None:
    _, out, result = finished
    marker = read_marker(out)
    assert marker is not None and marker["kind"] == "sweep" and marker["sweep"] == "bx"
    assert marker["files"] == sorted(
        [
            "sweep.csv",
            "sweep.json",
            "failures.json",
            "compare/kpis.csv",
            "compare/kpis.json",
            "compare/inputs.csv",
            "compare/sites.csv",
        ]
    )
    assert sorted(f.relative_to(out).as_posix() for f in result.files) == marker["files"]
    assert all((out / name).is_file() for name in marker["files"])
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out")]  # no lock or temporary file left


def test_a_foreign_folder_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = make_sweep_file(tmp_path)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes\n")
    before = listing(out)
    with pytest.raises(OutputError) as info:
        run_sweep(load_sweep(path), out)
    msg = str(info.value)
    assert msg.startswith(f"{out}: exists and was not written by a planner sweep (it holds 'notes.txt')")
    assert "another --out folder" in msg and "--force" in msg and "\n" not in msg
    assert listing(out) == before
    assert cli_error(path, out) == (7, [f"error: {msg}"])
    assert listing(out) == before

    # --force writes the sweep into it and deletes nothing; the file stays foreign to later sweeps.
    result = run_sweep(load_sweep(path), out, force=True)
    assert [p.status for p in result.points] == ["ok", "ok"]
    assert (out / "notes.txt").read_text() == "my notes\n"
    assert read_marker(out)["kind"] == "sweep"
    with pytest.raises(OutputError, match="holds 'notes.txt', which the planner did not write, beside an earlier"):
        run_sweep(load_sweep(path), out)


def test_another_planner_folder_is_no_sweep_folder_even_with_force(tmp_path: Path) -> None:
    path = make_sweep_file(tmp_path)
    out = tmp_path / "a-run"
    run(tmp_path / "base.toml", out_dir=out)
    before = listing(out)
    for force in (False, True):
        with pytest.raises(OutputError, match=r"a-run: is a run folder, not a sweep folder; choose another --out"):
            run_sweep(load_sweep(path), out, force=force)
    assert listing(out) == before
    with pytest.raises(OutputError, match="is a file, not a folder"):
        run_sweep(load_sweep(path), tmp_path / "base.toml")


def test_a_second_sweep_into_a_locked_folder_is_refused(tmp_path: Path) -> None:
    # (A real concurrent `planner sweep` is refused in test_sweep_interrupt.py; this holds the same lock.)
    path = make_sweep_file(tmp_path)
    out = tmp_path / "out"
    with lock_folder(out), pytest.raises(OutputError) as info:
        run_sweep(load_sweep(path), out)
    assert str(info.value) == f"{out}: another planner process is writing this folder; wait for it to finish."
    assert not out.exists()


def test_leftovers_of_a_killed_sweep_are_removed_and_it_resumes(
    finished: tuple[Path, Path, SweepResult],
) -> None:
    path = finished[0]
    out = copy_of(finished, "killed")
    runs = out / "runs"
    # What a sweep killed with -9 leaves: a worker's temporary run folder (marked), its lock file,
    # the sweep's own half-written table, and a half-written marker in a finished run.
    tmp_run = runs / f".{POINTS[1]}.tmp-4242"
    tmp_run.mkdir()
    (tmp_run / OUTPUT_MARKER).write_text('{"written_by": "planner", "kind": "run", "files": []}')
    (tmp_run / "hubs.csv").write_text("half")
    (runs / f".{POINTS[1]}.lock").write_text("")
    (out / ".sweep.csv.tmp-k2j4h1").write_text("half")
    (runs / POINTS[0] / f".{MARKER}.tmp-abc123").write_text("{")
    shutil.rmtree(runs / POINTS[1])  # that point never finished
    (runs / ".notes").write_text("mine")  # not the planner's: kept

    check_sweep_folder(out)  # the sweep's own temporary file is not taken for a foreign one
    result = run_sweep(load_sweep(path), out)
    assert [p.status for p in result.points] == ["skipped", "ok"]
    assert sorted(p.name for p in runs.iterdir()) == [".notes", *POINTS]
    own = [OUTPUT_MARKER, "compare", "failures.json", "runs", "sweep.csv", "sweep.json"]
    assert sorted(p.name for p in out.iterdir()) == own
    assert not [p for p in (runs / POINTS[0]).iterdir() if ".tmp-" in p.name]


def test_a_sweep_folder_from_before_the_marker_is_resumed(finished: tuple[Path, Path, SweepResult]) -> None:
    path = finished[0]
    out = copy_of(finished, "legacy")
    (out / OUTPUT_MARKER).unlink()
    result = run_sweep(load_sweep(path), out)
    assert [p.status for p in result.points] == ["skipped", "skipped"]
    assert "sweep.json" in read_marker(out)["files"]
    # Without its sweep.json, such a folder is no longer recognisable as the planner's.
    (out / OUTPUT_MARKER).unlink()
    (out / "sweep.json").unlink()
    with pytest.raises(OutputError, match="exists and was not written by a planner sweep"):
        run_sweep(load_sweep(path), out)


def _corrupt_marker(run_dir: Path) -> None:
    (run_dir / MARKER).write_text('{"scenario_hash": ')


def _marker_without_hash(run_dir: Path) -> None:
    marker = json.loads((run_dir / MARKER).read_text())
    del marker["scenario_hash"]
    (run_dir / MARKER).write_text(json.dumps(marker))


def _summary_gone(run_dir: Path) -> None:
    (run_dir / "summary.json").unlink()


def _kpi_as_text(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    summary["covered_share"] = "42 %"
    (run_dir / "summary.json").write_text(json.dumps(summary))


def _other_scenario(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    summary["scenario"] = "someone-else"
    (run_dir / "summary.json").write_text(json.dumps(summary))


def _foreign_file(run_dir: Path) -> None:
    (run_dir / "my-notes.txt").write_text("mine")


def _a_file(run_dir: Path) -> None:
    shutil.rmtree(run_dir)
    run_dir.write_text("not a folder")


@pytest.mark.parametrize(
    ("damage", "file", "expected"),
    [
        (_corrupt_marker, MARKER, "not valid JSON (Expecting value: line 1 column 19 (char 18))"),
        (_marker_without_hash, MARKER, "field 'scenario_hash' is missing or not text"),
        (_summary_gone, "summary.json", "missing from a finished run folder"),
        (_kpi_as_text, "summary.json", "field 'covered_share' is '42 %', not a number"),
        (_other_scenario, "summary.json", f"field 'scenario' is 'someone-else', not '{POINTS[1]}'"),
        (_foreign_file, "", "which the planner did not write"),
        (_a_file, "", "is a file, not a run folder; move it away or choose another --out folder."),
    ],
    ids=["corrupt_marker", "no_hash", "no_summary", "kpi_text", "other_scenario", "foreign_file", "a_file"],
)
def test_broken_run_folders_found_when_resuming_are_one_line_errors(
    finished: tuple[Path, Path, SweepResult], damage, file: str, expected: str
) -> None:
    path = finished[0]
    out = copy_of(finished, f"broken-{damage.__name__}")
    run_dir = out / "runs" / POINTS[1]
    damage(run_dir)
    before = listing(out)
    with pytest.raises(OutputError) as info:
        run_sweep(load_sweep(path), out)
    msg = str(info.value)
    where = run_dir / file if file else run_dir
    assert msg.startswith(f"{where}: ") and expected in msg and "\n" not in msg
    if file:
        assert msg.endswith(f"; delete the folder {run_dir} to run this point again.")
    assert listing(out) == before  # nothing ran, nothing was rewritten
    assert cli_error(path, out) == (7, [f"error: {msg}"])
