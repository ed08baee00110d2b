"""OSM XML reader (``.osm``, ``.osm.gz``, ``.osm.bz2``, ``.osm.xz``): two streaming expat passes.

The standard library's expat parser is fed 1 MiB chunks, so memory stays flat whatever
the file size; no DOM or ``Element`` objects are built (faster than
``ElementTree.iterparse`` with clearing, same streaming behaviour). The first pass keeps
the selected ways, junction names and candidate sites; the second keeps the coordinates
of just the nodes those ways reference (OSM files list nodes before ways, so the node
ids needed are only known after the first pass). The second pass stops at the first
``<way>`` of a sorted file.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import xml.parsers.expat
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from planner.osm.errors import OSMBuildError, OSMInputError
from planner.osm.extract import OSMExtract, add_tagged_node, add_way, parse_location
from planner.osm.tags import WayFilter

__all__ = ["xml_pass_one", "xml_pass_two"]

_CHUNK = 1 << 20
ProgressFn = Callable[[float], None]


class _Progress:
    """Reports the share of the (compressed) input consumed, at most every 1 %."""

    def __init__(self, fh: BinaryIO, total: int, callback: ProgressFn | None) -> None:
        self._fh = fh
        self._total = max(total, 1)
        self._callback = callback
        self._last = -1.0

    def update(self) -> None:
        if self._callback is None:
            return
        fraction = min(self._fh.tell() / self._total, 1.0)
        if fraction - self._last >= 0.01:
            self._last = fraction
            self._callback(fraction)


def _open_text_stream(raw: BinaryIO, fmt: str) -> BinaryIO:
    if fmt == "osm.gz":
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    if fmt == "osm.bz2":
        return bz2.BZ2File(raw)  # type: ignore[return-value]
    if fmt == "osm.xz":
        return lzma.LZMAFile(raw)  # type: ignore[return-value]
    return raw


class _StopParsingError(Exception):
    """Raised from an expat handler to end a pass early."""


def _run_expat(
    path: Path,
    fmt: str,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None,
    progress: ProgressFn | None,
) -> None:
    parser = xml.parsers.expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    total = path.stat().st_size
    with path.open("rb") as raw:
        reporter = _Progress(raw, total, progress)
        stream = _open_text_stream(raw, fmt)
        try:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    parser.Parse(b"", True)
                    break
                parser.Parse(chunk, False)
                reporter.update()
        except _StopParsingError:
            pass
        except OSMBuildError:
            raise
        except xml.parsers.expat.ExpatError as exc:
            raise OSMInputError(f"{path}: malformed OSM XML ({exc}); repair or re-export the file") from None
        except (KeyError, ValueError) as exc:
            raise OSMInputError(
                f"{path}: invalid OSM element at line {parser.CurrentLineNumber} "
                f"(bad or missing attribute: {exc}); repair or re-export the file"
            ) from None
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise OSMInputError(
                f"{path}: cannot decompress or read the file ({exc}); check that it is complete"
            ) from None
    if progress is not None:
        progress(1.0)


def _deleted(attrs: dict[str, str]) -> bool:
    return attrs.get("action") == "delete" or attrs.get("visible") == "false"


class _PassOne:
    """Expat handlers of the first pass: ways, tagged nodes (junctions, sites)."""

    def __init__(self, path: Path, way_filter: WayFilter) -> None:
        self.path = path
        self.way_filter = way_filter
        self.extract = OSMExtract()
        self.nodes_sorted = True
        self._kind = 0  # 0 outside, 1 node, 2 way, 3 relation
        self._id = 0
        self._lon = self._lat = ""
        self._skip = self._seen_way = False
        self._tags: dict[str, str] | None = None
        self._refs: array | None = None
        self._root_seen = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if not self._root_seen:
            self._root_seen = True
            if name != "osm":
                raise OSMInputError(
                    f"{self.path}: XML but not OpenStreetMap data (root <{name}>, expected "
                    "<osm>); give an .osm/.osm.pbf extract"
                )
        if name == "nd":
            if self._refs is not None:
                self._refs.append(int(attrs["ref"]))
        elif name == "tag":
            if self._kind:
                if self._tags is None:
                    self._tags = {}
                self._tags[attrs["k"]] = attrs["v"]
        elif name == "node":
            self._kind, self._tags = 1, None
            self._id = int(attrs["id"])
            self._lon, self._lat = attrs.get("lon", ""), attrs.get("lat", "")
            self._skip = _deleted(attrs)
            if self._seen_way:
                self.nodes_sorted = False
        elif name == "way":
            self._kind, self._tags = 2, None
            self._id = int(attrs["id"])
            self._skip = _deleted(attrs)
            self._seen_way = True
            self._refs = array("q")
        elif name == "relation":
            self._kind, self._tags = 3, None

    def end(self, name: str) -> None:
        if name == "node":
            if self._tags and not self._skip:
                lon, lat = parse_location(self.path, self._id, self._lon, self._lat)
                add_tagged_node(self.extract, self._id, lon, lat, self._tags)
        elif name == "way":
            if not self._skip and self._refs is not None:
                add_way(self.extract, self._id, self._refs, self._tags, self.way_filter)
            self._refs = None
        elif name != "relation":
            return
        self._kind, self._tags = 0, None


def xml_pass_one(path: Path, fmt: str, way_filter: WayFilter, progress: ProgressFn | None) -> tuple[OSMExtract, bool]:
    """Keep the selected ways, junction names and sites; say whether nodes precede ways."""
    handlers = _PassOne(path, way_filter)
    _run_expat(path, fmt, handlers.start, handlers.end, progress)
    return handlers.extract, handlers.nodes_sorted


def xml_pass_two(
    path: Path,
    fmt: str,
    needed: set[int],
    nodes_sorted: bool,
    progress: ProgressFn | None,
) -> dict[int, tuple[float, float]]:
    """Locations of the ``needed`` nodes (stops at the first way of a sorted file)."""
    coords: dict[int, tuple[float, float]] = {}

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == "node":
            node_id = int(attrs["id"])
            if node_id in needed and not _deleted(attrs):
                coords[node_id] = parse_location(path, node_id, attrs.get("lon"), attrs.get("lat"))
        elif name == "way" and nodes_sorted:
            raise _StopParsingError

    _run_expat(path, fmt, start, None, progress)
    return coords
