"""Output folders: what staged_output refuses, and that a refusal leaves the folder as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.errors import OutputError
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
