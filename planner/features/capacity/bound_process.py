"""Stage 3 in a process of its own: the exact model's dual bound, searched for beside stage 2.

HiGHS runs one solve per process at a time, and its MIP search keeps about one core busy. On two
cores, stage 3's bound (the exact model on every site, :mod:`~planner.features.capacity.two_stage`)
can therefore be searched for while stage 2 looks for the plan, instead of after it. Run so, stage 3
has no start (stage 2's plan is not known yet); it is there for its bound, which holds for the whole
problem whatever plan it is compared with. Stage 2's plan, once found, sets the bound it needs
(:meth:`BoundProcess.need`): the search stops as soon as its bound, rounded up to the objective's
lattice (:class:`~planner.lattice.LatticeStop`), reaches it.

The child is a fresh interpreter running :func:`_child` (``python -c``: nothing is forked, and a
user's script is not imported again as ``multiprocessing``'s ``spawn`` would), in a
session of its own so that Ctrl-C reaches only the parent, which stops it
(:meth:`BoundProcess.close`). Both talk in pickled messages over the child's stdin and stdout: the
model as plain arrays (:class:`BoundModel`) and the needed bound one way; progress lines and the
outcome (:class:`BoundOutcome`: its bound, its own plan if it found one, its status and HiGHS's log)
the other.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from planner.errors import RunInterruptedError
from planner.solve import SolveLog, attach_log, finite

__all__ = ["BoundModel", "BoundOutcome", "BoundProcess", "bound_model"]

_GRACE_S = 10.0  # how long past its time limit the parent waits for the child's answer


@dataclass(frozen=True)
class BoundModel:
    """A minimisation MIP as plain arrays (HiGHS's ``HighsLp`` fields), picklable.

    Attributes
    ----------
    cost, lower, upper
        Objective coefficient and bounds per column.
    row_lower, row_upper
        Bounds per row.
    start, index, value
        The constraint matrix, column-wise (``start`` has one entry per column plus one).
    integer
        Indices of the integer columns.
    offset
        The objective constant.
    """

    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    integer: np.ndarray
    offset: float

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(self.row_lower)

    @property
    def n_cols(self) -> int:
        """Number of columns."""
        return len(self.cost)


def bound_model(highs: object) -> BoundModel:
    """The model held by a ``highspy.Highs`` (a minimisation) as :class:`BoundModel` arrays."""
    import highspy

    lp = highs.getLp()
    if lp.sense_ != highspy.ObjSense.kMinimize:
        raise ValueError("bound_model: only a minimisation can be searched for its bound")
    a = lp.a_matrix_
    if a.format_ != highspy.MatrixFormat.kColwise:
        raise ValueError("bound_model: HiGHS holds the matrix row-wise")
    kinds = np.array([int(k) for k in lp.integrality_], dtype=np.int64) if len(lp.integrality_) else None
    integer = (
        np.zeros(0, dtype=np.int64)
        if kinds is None
        else np.flatnonzero(kinds == int(highspy.HighsVarType.kInteger)).astype(np.int64)
    )
    return BoundModel(
        cost=np.array(lp.col_cost_, dtype=float),
        lower=np.array(lp.col_lower_, dtype=float),
        upper=np.array(lp.col_upper_, dtype=float),
        row_lower=np.array(lp.row_lower_, dtype=float),
        row_upper=np.array(lp.row_upper_, dtype=float),
        start=np.array(a.start_, dtype=np.int32),
        index=np.array(a.index_, dtype=np.int32),
        value=np.array(a.value_, dtype=float),
        integer=integer,
        offset=float(lp.offset_),
    )


@dataclass(frozen=True)
class BoundOutcome:
    """What the child reports.

    Attributes
    ----------
    status
        HiGHS's model status, as its text (``Interrupted by user`` when stopped at the needed bound or by the parent).
    bound
        The best dual bound, rounded up to the objective's lattice when it has one (None if unknown).
    value
        The objective of the child's own plan (None without one).
    solution
        That plan's column values (None without one).
    reached
        Whether the search stopped because its bound reached the one needed.
    optimal
        Whether HiGHS proved its own plan optimal (within the child's zero gap).
    interrupted, time_limit_hit
        Whether an interrupt (the needed bound, or the parent) or the time limit stopped it.
    seconds
        Seconds in the child's solve.
    log
        HiGHS's own log text.
    peak_mb
        The child's own peak memory, in MB (:func:`_peak_mb`).
    """

    status: str
    bound: float | None
    value: float | None
    solution: np.ndarray | None
    reached: bool
    optimal: bool
    interrupted: bool
    time_limit_hit: bool
    seconds: float
    log: str
    peak_mb: float = 0.0


def _peak_mb() -> float:
    """This process's own peak memory in MB: ``VmHWM`` of ``/proc/self/status`` on Linux (``ru_maxrss``
    would count the parent's memory too, being kept across the ``exec`` that started this process), else
    ``ru_maxrss`` (0 where ``resource`` is missing, e.g. on Windows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    try:
        import resource
    except ImportError:
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)  # bytes on macOS, KB elsewhere


def _send(out: BinaryIO, lock: threading.Lock, message: tuple) -> None:
    with lock:
        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


def _child() -> None:
    """The child's main: read ``(model, options, time_limit_s, every_s)`` from stdin, search (the needed
    bound and a halt arriving on stdin meanwhile), write ``("progress", line)`` messages and one
    ``("outcome", BoundOutcome)`` to stdout."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops this process
    out = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)  # HiGHS prints its banner on stdout whatever its options
    os.close(null)
    source = sys.stdin.buffer
    model, options, time_limit_s, every_s = pickle.load(source)
    need, halt = [math.inf], threading.Event()
    lock = threading.Lock()

    def listen() -> None:
        try:
            while True:
                message = pickle.load(source)
                if message[0] == "need":
                    need[0] = float(message[1])
                else:
                    halt.set()
        except (EOFError, OSError, pickle.UnpicklingError):
            halt.set()  # the parent has gone (or closed its end): stop

    def report(message: tuple) -> None:
        try:
            _send(out, lock, message)
        except OSError:  # the parent has gone: stop
            halt.set()

    threading.Thread(target=listen, daemon=True).start()
    code = 1
    try:
        outcome = _search(model, options, time_limit_s, need, halt, lambda line: report(("progress", line)), every_s)
        report(("outcome", outcome))
        code = 0
    finally:
        with contextlib.suppress(OSError):
            out.close()
        # Without the interpreter's shutdown: it would wait on the listener blocked on stdin, and HiGHS's
        # worker threads may outlive it (both aborted the process in a test).
        os._exit(code)


def _search(
    model: BoundModel,
    options: dict,
    time_limit_s: float,
    need: list[float],
    halt: threading.Event,
    progress: Callable[[str], None],
    every_s: float,
) -> BoundOutcome:
    """Solve ``model`` with ``options`` until its rounded bound reaches ``need[0]`` (read as it changes),
    ``halt`` is set, or ``time_limit_s`` passes."""
    import highspy

    from planner.lattice import Lattice

    t0 = time.perf_counter()
    h = highspy.Highs()
    attach_log(h, SolveLog(progress=progress, every_s=every_s), "stage 3 (own process)")  # progress lines
    lines: list[str] = []
    h.cbLogging.subscribe(lambda e: lines.append(e.message))  # HiGHS's own log, for the parent's log file
    h.passModel(_highs_lp(model))
    for key, value in options.items():
        h.setOptionValue(key, value)
    h.setOptionValue("mip_rel_gap", 0.0)  # stopped by the bound stage 2's plan needs, not by its own plans
    h.setOptionValue("time_limit", max(float(time_limit_s) - (time.perf_counter() - t0), 0.1))
    lattice = Lattice.of(model.cost, model.integer, model.offset, False)
    best = [-math.inf]
    reached = [False]

    def on_interrupt(event: object) -> None:
        if halt.is_set():
            event.data_in.user_interrupt = True
            return
        dual = float(event.data_out.mip_dual_bound)
        if abs(dual) >= 1e30 or not math.isfinite(dual):
            return
        best[0] = max(best[0], lattice.round(dual) if lattice is not None else dual)
        if best[0] >= need[0]:
            reached[0] = True
            event.data_in.user_interrupt = True

    h.cbMipInterrupt.subscribe(on_interrupt)
    h.HandleUserInterrupt = True
    h.startSolve()  # in HiGHS's thread, so that this one's listener runs meanwhile
    while not h.wait(0.2)[0]:
        pass
    return _outcome(h, lattice, best[0], reached[0], "".join(lines), time.perf_counter() - t0)


def _highs_lp(model: BoundModel) -> object:
    """``model`` as a ``highspy.HighsLp``."""
    import highspy

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = model.n_cols, model.n_rows
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = model.cost, model.lower, model.upper
    lp.row_lower_, lp.row_upper_ = model.row_lower, model.row_upper
    lp.offset_ = model.offset
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = model.start, model.index, model.value
    kinds = [highspy.HighsVarType.kContinuous] * model.n_cols
    for j in model.integer.tolist():
        kinds[j] = highspy.HighsVarType.kInteger
    lp.integrality_ = kinds
    return lp


def _outcome(h: object, lattice: object, best: float, reached: bool, log: str, seconds: float) -> BoundOutcome:
    """The outcome of a finished search: HiGHS's final bound rounded to ``lattice`` (a
    :class:`~planner.lattice.Lattice` or None) or the ``best`` rounded one seen in its callbacks, if
    higher; its own plan if it has one."""
    import highspy

    info = h.getInfo()
    status = h.getModelStatus()
    has_plan = info.primal_solution_status == 2
    final = finite(info.mip_dual_bound)
    if final is not None and lattice is not None:
        final = lattice.round(final)
    bounds = [b for b in (final, finite(best)) if b is not None]
    value = finite(info.objective_function_value) if has_plan else None
    bound = max(bounds) if bounds else None
    if bound is not None and value is not None:
        bound = min(bound, value)  # a plan's value bounds its own objective
    return BoundOutcome(
        status=h.modelStatusToString(status),
        bound=bound,
        value=value,
        solution=np.array(h.getSolution().col_value, dtype=float) if has_plan else None,
        reached=reached,
        optimal=status == highspy.HighsModelStatus.kOptimal,
        interrupted=status == highspy.HighsModelStatus.kInterrupt,
        time_limit_hit=status == highspy.HighsModelStatus.kTimeLimit,
        seconds=seconds,
        log=log,
        peak_mb=_peak_mb(),
    )


def _package_root() -> str:
    """The folder holding the ``planner`` package this module was imported from."""
    return str(Path(__file__).resolve().parents[3])


class BoundProcess:
    """The parent's handle on a child searching :class:`BoundModel`'s bound (see the module docstring).

    Parameters
    ----------
    model
        The model, a minimisation.
    options
        HiGHS options for the search (its gap is set to zero: :meth:`need` stops it).
    time_limit_s
        Seconds the child may search, from its start.
    progress
        Receives a line every ``every_s`` seconds of the search (passed on while the parent waits in
        :meth:`result`), or None.
    """

    def __init__(
        self,
        model: BoundModel,
        options: dict,
        time_limit_s: float,
        *,
        progress: Callable[[str], None] | None = None,
        every_s: float = 10.0,
    ) -> None:
        self.time_limit_s = float(time_limit_s)
        self._progress = progress
        self._t0 = time.perf_counter()
        self._messages: queue.Queue = queue.Queue()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        env = dict(os.environ)  # the child imports this package from where the parent did
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_package_root(), env.get("PYTHONPATH")) if p)
        self._process = subprocess.Popen(
            [sys.executable, "-c", f"from {__name__} import _child; _child()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            start_new_session=True,  # Ctrl-C in the terminal reaches the parent only
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        # Messages to the child go out in order from a thread of their own: the model (megabytes) fills
        # the pipe until the child, still starting, reads it, and stage 1 need not wait for that.
        self._outbox: queue.Queue = queue.Queue()
        self._writer = threading.Thread(target=self._write, daemon=True)
        self._writer.start()
        self._outbox.put(pickle.dumps((model, options, self.time_limit_s, every_s), protocol=pickle.HIGHEST_PROTOCOL))

    def _write(self) -> None:
        """Send the outbox's messages in order; ``None`` closes the child's stdin (its listener then halts)."""
        stdin = self._process.stdin
        while (data := self._outbox.get()) is not None:
            try:
                stdin.write(data)
                stdin.flush()
            except (BrokenPipeError, OSError, ValueError):  # the child has gone: result() says so
                break
        with contextlib.suppress(OSError, ValueError):
            stdin.close()

    def _read(self) -> None:
        try:
            while True:
                self._messages.put(pickle.load(self._process.stdout))
        except Exception:  # noqa: BLE001 - the end of the stream, or a message that cannot be read: no outcome
            self._messages.put(("end", None))

    def need(self, bound: float) -> None:
        """Stop the search once its rounded bound reaches ``bound``."""
        self._outbox.put(pickle.dumps(("need", float(bound))))

    def halt(self) -> None:
        """Ask the search to stop now (it still sends its outcome)."""
        self._outbox.put(pickle.dumps(("halt",)))

    def result(self) -> BoundOutcome | None:
        """Wait for the child's outcome (at most until its time limit plus a grace period, then it is
        asked to stop). None if it ended without one.

        Raises
        ------
        RunInterruptedError
            On Ctrl-C, once the child is stopped.
        """
        deadline = self._t0 + self.time_limit_s + _GRACE_S
        halted = False
        try:
            while True:
                try:
                    kind, body = self._messages.get(timeout=0.1)
                except queue.Empty:
                    if time.perf_counter() > deadline and not halted:
                        self.halt()
                        halted, deadline = True, time.perf_counter() + _GRACE_S
                    elif time.perf_counter() > deadline:
                        return None
                    continue
                if kind == "progress":
                    if self._progress is not None:
                        self._progress(body)
                    continue
                return body if kind == "outcome" else None
        except KeyboardInterrupt:
            self.close()
            raise RunInterruptedError("interrupted during the solve (Ctrl-C); nothing was written.") from None

    def error(self) -> str:
        """The last line the child wrote on stderr (why it ended without an outcome), or ``""``."""
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else ""

    def close(self) -> None:
        """Stop the child (politely, then by force) and release its resources."""
        self.halt()
        self._outbox.put(None)  # then the end of its stdin
        try:
            self._process.wait(timeout=_GRACE_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)
        self._writer.join(timeout=5)
        self._reader.join(timeout=5)
        self._process.stdout.close()
        self._stderr.close()
