"""The project's exception hierarchy.

Every error a user can cause derives from :class:`PlannerError`; the CLI prints its
message on one line (no traceback) and exits non-zero. Messages say what is wrong,
where (file and field) and how to fix it.
"""

from __future__ import annotations


class PlannerError(Exception):
    """Base class of all errors caused by input or by an impossible request."""

    exit_code = 1


class ScenarioError(PlannerError):
    """A scenario file is missing, malformed or has invalid values."""

    exit_code = 2


class DataError(PlannerError):
    """An input data file (network, sites, flows, zones) is missing or invalid."""

    exit_code = 3


class InfeasibleError(PlannerError):
    """The request cannot be met by any plan (e.g. a coverage target above what is servable)."""

    exit_code = 4


class SolverError(PlannerError):
    """The solver failed or returned no usable solution."""

    exit_code = 5


class VerificationError(PlannerError):
    """A plan failed its independent verification."""

    exit_code = 6


class OutputError(PlannerError):
    """An output location may not or cannot be written (not the planner's folder, locked, read-only, full)."""

    exit_code = 7


class RunInterruptedError(PlannerError):
    """The user interrupted the run (Ctrl-C); nothing was written."""

    exit_code = 130
