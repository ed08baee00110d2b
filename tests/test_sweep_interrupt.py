"""Sweep interrupts for real: `kill -9` of `planner sweep --workers 2`, Ctrl-C, a worker killed under a point.

The points solve a 12 × 12 grid network with 400 flows and up to 8 hubs (several seconds to
optimality, so a solve is still running when the signal arrives); worker processes are found
through Linux's /proc.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.errors import OutputError
from planner.sweep import load_sweep, run_sweep
from tests.conftest import ROOT, base_scenario, write_csv, write_scenario

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc to see processes")

TIMEOUT = 60.0  # seconds to wait for a sub-process line; normally 2–4 s


def slow_sweep(folder: Path, max_hubs: list[int], *, time_limit_s: float, n: int = 12) -> Path:
    """A sweep over ``objective.max_hubs`` on an n × n grid of 50 km edges with 400 random flows."""
    step = 50 / 111 / 0.7
    nodes, edges = [], []
    for i in range(n):
        for j in range(n):
            nodes.append(f"N{i}_{j},n,{i * step * 0.9:.6f},{45 + j * step * 0.63:.6f}")
            edges += [f"N{i}_{j},N{i + 1}_{j},50"] if i + 1 < n else []
            edges += [f"N{i}_{j},N{i}_{j + 1},50"] if j + 1 < n else []
    write_csv(folder / "nodes.csv", "id,name,lon,lat", nodes)
    write_csv(folder / "edges.csv", "u,v,length_km", edges)
    rng = random.Random(1)
    ids = [f"N{i}_{j}" for i in range(n) for j in range(n)]
    flows = [f"F{k},{','.join(rng.sample(ids, 2))},{rng.randint(1, 20)}" for k in range(400)]
    write_scenario(folder / "base.toml", base_scenario(folder, flows=flows, solver={"time_limit_s": time_limit_s}))
    path = folder / "sweep.toml"
    path.write_text(f'base = "base.toml"\nname = "slow"\n[grid]\n"objective.max_hubs" = {max_hubs}\n')
    return path


class Sweep:
    """`planner sweep` in a sub-process, its stderr lines read as they come."""

    def __init__(self, path: Path, out: Path, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        cmd = [sys.executable, "-m", "planner.cli", "sweep", str(path), "--out", str(out), *args]
        # A shell that started the tests in the background may ignore SIGINT; a terminal user's sweep does not.
        self.proc = subprocess.Popen(
            cmd,
            cwd=path.parent,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, *fragments: str) -> None:
        """Read stderr until every fragment has appeared on some line."""
        missing = list(fragments)
        deadline = time.monotonic() + TIMEOUT
        while missing:
            line = self._queue.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, f"sweep ended early (still waiting for {missing}):\n" + "\n".join(self.lines)
            self.lines.append(line)
            missing = [f for f in missing if f not in line]

    def rest(self) -> list[str]:
        """The remaining stderr lines, once the process has ended."""
        while (line := self._queue.get(timeout=TIMEOUT)) is not None:
            self.lines.append(line)
        return self.lines


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # [state, ppid, ...]


def descendants(pid: int) -> list[int]:
    """Every living process below ``pid``."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _stat(int(entry))) is not None:
            children.setdefault(int(st[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return sorted(found)


def alive(pid: int) -> bool:
    st = _stat(pid)
    return st is not None and st[0] not in ("Z", "X")  # a zombie is dead, only not yet reaped


def wait_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := [p for p in pids if alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def kill_all(pids: list[int]) -> None:
    for p in pids:
        if alive(p):
            os.kill(p, signal.SIGKILL)


def leftovers(folder: Path) -> list[str]:
    """Temporary folders, old copies and lock files anywhere below ``folder``."""
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob(".*")
        if ".tmp-" in p.name or ".old-" in p.name or p.name.endswith(".lock")
    )


def test_kill_9_of_the_sweep_takes_its_workers_along(tmp_path: Path) -> None:
    path = slow_sweep(tmp_path, [8, 9], time_limit_s=60.0)
    sweep = Sweep(path, tmp_path / "out", "--workers", "2")
    workers: list[int] = []
    try:
        sweep.wait_for("max_hubs_8: model:", "max_hubs_9: model:")  # both workers are solving
        workers = descendants(sweep.proc.pid)
        assert len(workers) >= 2  # the two workers (and multiprocessing's resource tracker)
        os.kill(sweep.proc.pid, signal.SIGKILL)
        assert sweep.proc.wait(timeout=TIMEOUT) == -signal.SIGKILL
        assert wait_gone(workers, 5.0) == []
    finally:
        kill_all([sweep.proc.pid, *workers])
    assert not (tmp_path / "out" / "runs" / "slow-objective.max_hubs_8").exists()


def test_ctrl_c_stops_the_solves_at_once_and_the_sweep_resumes(tmp_path: Path) -> None:
    path = slow_sweep(tmp_path, [1, 8], time_limit_s=60.0)
    out = tmp_path / "out"
    sweep = Sweep(path, out, "--workers", "2")
    workers: list[int] = []
    try:
        sweep.wait_for("max_hubs_8: model:", "slow-objective.max_hubs_1: ok")
        workers = descendants(sweep.proc.pid)
        # A second sweep into the same folder meanwhile is refused and changes nothing.
        before = sorted(p.relative_to(out) for p in out.rglob("*"))
        with pytest.raises(OutputError, match="another planner process is writing this folder"):
            run_sweep(load_sweep(path), out)
        assert sorted(p.relative_to(out) for p in out.rglob("*")) == before

        t0 = time.monotonic()
        sweep.proc.send_signal(signal.SIGINT)
        assert sweep.proc.wait(timeout=TIMEOUT) == 130
        took = time.monotonic() - t0
        assert wait_gone(workers, 5.0) == []
    finally:
        kill_all([sweep.proc.pid, *workers])
    assert took < 10.0  # the 60 s solve was not waited for (typically 0.3 s)
    assert sweep.rest()[-1] == (
        f"error: sweep interrupted (SIGINT); finished runs are kept in {out}; run the same command to resume."
    )
    assert leftovers(tmp_path) == []
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["slow-objective.max_hubs_1"]  # nothing half-written

    # Resume: the finished point is recognised and kept (the unfinished one is dropped from the grid here
    # only to keep the test short; it would run again).
    path.write_text(path.read_text().replace("[1, 8]", "[1]"))
    again = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "--quiet"])
    assert again.exit_code == 0, again.output
    assert "1 points: 0 ran, 1 resumed, 0 failed" in again.stdout
    assert pd.read_csv(out / "sweep.csv")["status"].tolist() == ["skipped"]
    assert leftovers(tmp_path) == []


def test_sigterm_stops_the_workers_and_exits_143(tmp_path: Path) -> None:
    path = slow_sweep(tmp_path, [8], time_limit_s=60.0)
    sweep = Sweep(path, tmp_path / "out")  # one worker process, as by default
    workers: list[int] = []
    try:
        sweep.wait_for("max_hubs_8: model:")
        workers = descendants(sweep.proc.pid)
        sweep.proc.terminate()
        assert sweep.proc.wait(timeout=TIMEOUT) == 128 + signal.SIGTERM
        assert wait_gone(workers, 5.0) == []
    finally:
        kill_all([sweep.proc.pid, *workers])
    assert sweep.rest()[-1].startswith("error: sweep interrupted (SIGTERM); finished runs are kept in ")
    assert leftovers(tmp_path) == [] and list((tmp_path / "out" / "runs").iterdir()) == []


def _worker_pids() -> list[int]:
    """This process's sweep workers (spawned multiprocessing children, not the resource tracker)."""
    pids = []
    for pid in descendants(os.getpid()):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "spawn_main" in cmd and alive(pid):
            pids.append(pid)
    return pids


def test_a_worker_killed_under_a_point_fails_that_point_only(tmp_path: Path) -> None:
    path = slow_sweep(tmp_path, [8, 1], time_limit_s=60.0)
    killed: list[int] = []

    def log(line: str) -> None:
        if "max_hubs_8: model:" in line:  # the one worker is solving point 1: kill it, as an OOM killer would
            killed.extend(_worker_pids())
            for pid in killed:
                os.kill(pid, signal.SIGKILL)

    result = run_sweep(load_sweep(path), tmp_path / "out", isolate=True, log=log)
    assert len(killed) == 1
    assert [p.status for p in result.points] == ["failed", "ok"]
    error = result.points[0].error
    assert f"the worker process (pid {killed[0]}) died (killed by SIGKILL)" in error and "\n" not in error
    assert result.points[1].hub_count == 1  # ran on a new worker
    assert leftovers(tmp_path) == []
    assert sorted(p.name for p in (tmp_path / "out" / "runs").iterdir()) == ["slow-objective.max_hubs_1"]
