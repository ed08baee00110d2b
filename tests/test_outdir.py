"""Output folders: what staged_output refuses, and that a refusal leaves the folder as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.errors import OutputError, RunInterruptedError
from planner.outdir import MARKER, read_marker, staged_output
from tests.conftest import listing


def _write(target: Path, *, force: bool = False, content: str = "new") -> None:
    with staged_output(target, kind="run", force=force) as (tmp, files):
        (tmp / "hubs.csv").write_text(content)
        files.append("hubs.csv")


def test_force_into_a_folder_whose_entry_has_a_plan_files_name_changes_nothing(tmp_path: Path) -> None:
    # The user's folder holds a sub-folder called hubs.csv: --force would have to replace it, so the run is
    # refused before anything moves. Until 2026-12-05 the marker moved in first, so the folder was then taken
    # for a planner folder and the next run without --force deleted that sub-folder.
    user = tmp_path / "mine"
    (user / "hubs.csv").mkdir(parents=True)
    (user / "hubs.csv" / "notes.txt").write_text("keep")
    before = listing(user)
    for force in (True, False):
        with pytest.raises(OutputError, match="hubs.csv"):
            _write(user, force=force)
        assert listing(user) == before and read_marker(user) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # no temporary folder left behind


def test_a_run_refuses_a_folder_named_like_its_files_before_it_solves(tmp_path: Path) -> None:
    # The same with `planner run --force`: refused at once, not after the solve (until 2026-12-06 the
    # clash was found when the finished output was to be moved in, a five-minute solve later).
    from typer.testing import CliRunner

    from planner.cli import app
    from tests.conftest import ROOT

    user = tmp_path / "mine"
    (user / "years.csv").mkdir(parents=True)
    before = listing(user)
    res = CliRunner().invoke(
        app, ["run", str(ROOT / "scenarios" / "example-corridor.toml"), "-o", str(user), "--force"]
    )
    assert res.exit_code == 7 and "planner: network" not in res.output  # before loading anything
    assert f"{user}: holds a folder 'years.csv', where the output has a file of that name" in res.stderr
    assert listing(user) == before


def test_run_files_names_every_file_a_run_writes(tmp_path: Path) -> None:
    from planner.api import run
    from planner.export import RUN_FILES
    from tests.conftest import ROOT

    rollout = tmp_path / "rollout.toml"
    rollout.write_text(f'extends = "{ROOT / "scenarios" / "example-corridor.toml"}"\n[rollout]\nyears = [2026, 2030]\n')
    written = set()
    for path in (ROOT / "scenarios" / "example-hourly.toml", rollout):
        run(path, out_dir=tmp_path / path.stem)
        written |= {p.name for p in (tmp_path / path.stem).iterdir()} - {MARKER}
    assert {"hub_hourly.csv", "hub_simulation.csv", "report.html", "afir.csv", "years.csv"} <= written
    assert written <= set(RUN_FILES), written - set(RUN_FILES)


def test_a_plan_folder_holding_a_users_folder_with_a_plan_files_name_is_refused(tmp_path: Path) -> None:
    run = tmp_path / "run"
    _write(run, content="old")
    (run / "hubs.csv").unlink()
    (run / "hubs.csv").mkdir()
    (run / "hubs.csv" / "notes.txt").write_text("keep")
    before = listing(run)
    with pytest.raises(OutputError, match="holds 'hubs.csv', which the plan would replace"):
        _write(run)
    assert listing(run) == before


def test_a_users_sub_folder_in_a_plan_folder_is_carried_over(tmp_path: Path) -> None:
    run = tmp_path / "run"
    _write(run, content="old")
    (run / "notes").mkdir()
    (run / "notes" / "mine.txt").write_text("keep")
    _write(run, content="new")
    assert (run / "hubs.csv").read_text() == "new" and (run / "notes" / "mine.txt").read_text() == "keep"
    assert read_marker(run)["files"] == ["hubs.csv"] and (run / MARKER).exists()


def test_the_working_folder_and_a_path_below_a_file_are_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for target in (tmp_path, tmp_path.parent):
        with pytest.raises(OutputError, match="is the working folder or one of its parents"):
            _write(target, force=True)
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(OutputError, match="a.txt is a file, not a folder"):
        _write(tmp_path / "a.txt" / "run")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_a_full_disk_is_one_line_and_leaves_no_folder(tmp_path: Path, monkeypatch) -> None:
    import errno

    def full(self, target):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "rename", full)
    with pytest.raises(OutputError) as err:
        _write(tmp_path / "run")
    text = str(err.value)
    assert "cannot be written (No space left on device)" in text and "free disk space" in text and "\n" not in text
    assert list(tmp_path.iterdir()) == []  # neither the target nor the temporary folder


def test_force_twice_into_a_users_folder_keeps_the_users_files(tmp_path: Path) -> None:
    # The first --force writes the plan in place and marks the folder; until 2026-12-05 the second --force
    # then swapped the whole folder and deleted notes.txt with the earlier plan.
    user = tmp_path / "mine"
    user.mkdir()
    (user / "notes.txt").write_text("keep")
    _write(user, force=True, content="first")
    _write(user, force=True, content="second")
    assert (user / "notes.txt").read_text() == "keep" and (user / "hubs.csv").read_text() == "second"
    assert read_marker(user)["files"] == ["hubs.csv"]  # the user's file stays the user's
    with pytest.raises(OutputError, match="holds 'notes.txt', which the planner did not write"):
        _write(user)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_a_run_written_inside_a_plan_folder_survives_the_next_run_into_it(tmp_path: Path) -> None:
    # `planner run a -o out`, `planner run b -o out/b`, then `planner run a -o out` again: out/b is another
    # run, not this folder's output; until 2026-12-05 it was deleted with the earlier plan.
    out = tmp_path / "out"
    _write(out, content="a1")
    _write(out / "b", content="b")
    _write(out, content="a2")
    assert (out / "hubs.csv").read_text() == "a2" and (out / "b" / "hubs.csv").read_text() == "b"
    assert read_marker(out / "b")["files"] == ["hubs.csv"]


def test_the_earlier_plans_own_files_are_dropped(tmp_path: Path) -> None:
    # What the marker lists and the new output does not write (here map.png of an earlier run with maps) goes.
    out = tmp_path / "out"
    with staged_output(out, kind="run") as (tmp, files):
        for name in ("hubs.csv", "map.png"):
            (tmp / name).write_text("old")
            files.append(name)
    _write(out)
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "hubs.csv"]


def test_an_earlier_versions_run_keeps_its_sub_folders_not_its_files(tmp_path: Path) -> None:
    import json

    out = tmp_path / "out"  # a run folder from before the marker: summary.json names scenario and status
    out.mkdir()
    (out / "summary.json").write_text(json.dumps({"scenario": "x", "status": "optimal", "verification": {}}))
    (out / "map.png").write_text("old")
    (out / "notes").mkdir()
    (out / "notes" / "a.txt").write_text("keep")
    _write(out)
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "hubs.csv", "notes"]
    assert (out / "notes" / "a.txt").read_text() == "keep"


def test_a_planner_folder_of_another_kind_is_refused_even_with_force(tmp_path: Path) -> None:
    import json

    legacy = tmp_path / "legacy"  # an earlier version's run (no marker) is a run folder too
    legacy.mkdir()
    (legacy / "summary.json").write_text(json.dumps({"scenario": "x", "status": "optimal", "verification": {}}))
    for folder in (legacy, tmp_path / "run"):
        if not folder.exists():
            _write(folder)
        before = listing(folder)
        for force in (False, True):
            with (
                pytest.raises(OutputError, match="is a planner run folder, not a compare folder"),
                staged_output(folder, kind="compare", force=force) as (tmp, files),
            ):
                (tmp / "kpis.csv").write_text("x")
                files.append("kpis.csv")
            assert listing(folder) == before


def test_a_link_to_a_plan_folder_is_written_through_and_kept(tmp_path: Path) -> None:
    # Until 2026-12-05 the link itself was swapped: it became a folder, the user's file moved out of the
    # folder it named, and a stale link was left beside it.
    real, link = tmp_path / "real", tmp_path / "link"
    _write(real, content="old")
    (real / "notes.txt").write_text("keep")
    link.symlink_to(real, target_is_directory=True)
    _write(link, content="new", force=True)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert (real / "hubs.csv").read_text() == "new" and (real / "notes.txt").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


def _killed_between_the_renames(out: Path) -> Path:
    """The state a run into ``out`` killed by SIGKILL between the swap's two renames leaves: ``out`` moved
    aside (with a folder of the user's in it), the finished new output still in its temporary folder."""
    _write(out, content="old")
    (out / "notes").mkdir()
    (out / "notes" / "mine.txt").write_text("keep")
    old = out.parent / f".{out.name}.old-999999"
    out.rename(old)
    _write(out.parent / "scratch", content="new")
    (out.parent / "scratch").rename(out.parent / f".{out.name}.tmp-999999")
    return old


def test_a_run_killed_between_the_renames_loses_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _killed_between_the_renames(out)
    _write(out, content="next")  # the next run puts the earlier output back first, then replaces it
    assert (out / "hubs.csv").read_text() == "next" and (out / "notes" / "mine.txt").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_run_killed_before_its_carry_over_ended_loses_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    old = _killed_between_the_renames(out)
    (tmp_path / f".{out.name}.tmp-999999").rename(out)  # the second rename happened, the carry-over did not
    _write(out, content="next")
    assert (out / "hubs.csv").read_text() == "next" and (out / "notes" / "mine.txt").read_text() == "keep"
    assert not old.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_failed_second_rename_puts_the_earlier_output_back(tmp_path: Path, monkeypatch) -> None:
    import errno

    out = tmp_path / "out"
    _write(out, content="old")
    before = listing(out)
    real = Path.rename

    def rename(self, target):
        if self.name.startswith(".out.tmp-"):
            raise OSError(errno.EIO, "Input/output error")
        return real(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(OutputError, match="out: cannot be written \\(Input/output error\\)"):
        _write(out, content="new")
    assert listing(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_ctrl_c_during_the_swap_arrives_after_it(tmp_path: Path, monkeypatch) -> None:
    import os
    import signal

    from planner import outdir

    out = tmp_path / "out"
    _write(out, content="old")
    real = outdir._swap

    def swap(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # without the mask Python raises KeyboardInterrupt right here
        real(*args, **kwargs)

    monkeypatch.setattr(outdir, "_swap", swap)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # Python's own, as in `planner run`
    try:
        # it stops the run, saying the output is in place (a KeyboardInterrupt reads "nothing was written")
        with pytest.raises(RunInterruptedError, match="just as .*out was written; its output is complete"):
            _write(out, content="new")
    finally:
        signal.signal(signal.SIGINT, before)
    assert (out / "hubs.csv").read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_term_that_comes_with_a_ctrl_c_during_the_swap_is_not_dropped(tmp_path: Path, monkeypatch) -> None:
    # Both signals held back during the swap: the TERM's handler runs (a service manager stopping the
    # run is obeyed), then the Ctrl-C says the output is in place.
    import os
    import signal

    from planner import outdir

    out = tmp_path / "out"
    _write(out, content="old")
    real = outdir._swap
    terms: list[int] = []

    def swap(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
        real(*args, **kwargs)

    monkeypatch.setattr(outdir, "_swap", swap)
    before = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
        signal.SIGTERM: signal.signal(signal.SIGTERM, lambda signum, _frame: terms.append(signum)),
    }
    try:
        with pytest.raises(RunInterruptedError, match="its output is complete"):
            _write(out, content="new")
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
    assert terms == [signal.SIGTERM]
    assert (out / "hubs.csv").read_text() == "new"


def test_a_second_run_into_a_folder_a_run_is_solving_into_is_refused_at_its_start(tmp_path: Path) -> None:
    """A run holds its folder's lock from before its solve until its files are in place. Until 2026-12-06
    the lock was taken only to write, so two runs into one folder both solved, both said "→ folder" with
    exit 0, and the later one silently replaced the earlier one's plan."""
    from planner.api import run
    from planner.outdir import claim_folder
    from tests.conftest import ROOT

    example = ROOT / "scenarios" / "example-corridor.toml"
    target = tmp_path / "results" / "plan"
    stages: list[str] = []
    with claim_folder(target):  # as a first run holds it while it solves
        with pytest.raises(OutputError) as err:
            run(example, out_dir=target, log=stages.append)
        assert not stages  # refused before loading the network, not after the solve
    assert str(err.value) == f"{target}: another planner process is writing this folder; wait for it to finish."
    assert listing(tmp_path) == {"results": None}  # the first run's lock folder, now empty; no lock file left
    plan = run(example, out_dir=target)  # free again
    assert read_marker(target)["kind"] == "run" and plan.extras["out_dir"] == target
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["plan"]


def test_a_failed_run_leaves_no_folder_made_for_its_lock(tmp_path: Path) -> None:
    from planner.api import run
    from planner.errors import PlannerError
    from tests.conftest import ROOT, write_scenario

    scenario = write_scenario(
        tmp_path / "s.toml",
        {
            "extends": str(ROOT / "scenarios" / "example-corridor.toml"),
            "objective": {"type": "min_cost", "max_hubs": 1},
        },
    )
    with pytest.raises(PlannerError, match="no plan meets the limit objective.max_hubs = 1"):
        run(scenario, out_dir=tmp_path / "new" / "deeper" / "plan")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]
