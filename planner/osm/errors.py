"""Exceptions raised by the OpenStreetMap network builder."""

from __future__ import annotations

from planner.errors import DataError

__all__ = ["OSMBuildError", "OSMInputError"]


class OSMBuildError(DataError, ValueError):
    """Raised when OSM input cannot be turned into a planner network.

    The message always says what was wrong and, where possible, what to do about it
    (for example which package to install or how to convert a file).
    """


class OSMInputError(OSMBuildError):
    """The OSM file itself is unusable: unreadable, not OSM, or an element in it is invalid.

    The message names the file, the element (``node 42``, ``way 7``) and the fix.
    """
