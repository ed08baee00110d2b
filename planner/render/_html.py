"""Small HTML helpers: escaping, tables, JSON for ``<script>`` blocks, shared CSS."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

BASE_CSS = """
:root { --ink: #1d2630; --muted: #56616b; --line: #d9dee3; --accent: #0072B2;
        --ok: #1a7f37; --bad: #b3261e; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink);
       margin: 0; padding: 1.2rem 1.6rem 2rem; font-size: 15px; line-height: 1.45; }
h1 { font-size: 1.6rem; margin: 0 0 .2rem; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .5rem; border-bottom: 2px solid var(--accent);
     padding-bottom: .15rem; }
h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
.sub { color: var(--muted); margin: 0 0 1rem; }
.kpis { margin-bottom: 1rem; display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: .6rem; }
.kpi { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .7rem; }
.kpi .v { font-size: 1.35rem; font-weight: 700; }
.kpi .k { color: var(--muted); font-size: .82rem; text-transform: uppercase; letter-spacing: .03em; }
table { border-collapse: collapse; margin: .3rem 0 .8rem; font-size: .9rem; }
th, td { border-bottom: 1px solid var(--line); padding: .22rem .55rem; text-align: left;
         vertical-align: top; }
th { background: #f3f5f7; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.n { white-space: nowrap; }
th { white-space: normal; }
.ok { color: var(--ok); font-weight: 700; }
.bad { color: var(--bad); font-weight: 700; }
.note { color: var(--muted); font-size: .85rem; }
figure { margin: .4rem 0 1rem; }
figcaption { color: var(--muted); font-size: .85rem; }
svg.figure { width: 100%; height: auto; display: block; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(26rem, 1fr)); gap: 1rem; }
.charts svg.figure { max-width: 640px; }
.map svg.figure { max-width: 1100px; border: 1px solid var(--line); }
.scroll { overflow-x: auto; }
@page { size: A4 landscape; margin: 10mm 11mm; }
@media print {
  body { padding: 0; font-size: 10pt; }
  table { font-size: 8.5pt; }
  th, td { padding: .15rem .35rem; }
  h2, h3, h4 { break-after: avoid; }
  figure, .kpi, tr { break-inside: avoid; }
  .scroll { overflow: visible; }
  a { color: inherit; text-decoration: none; }
}
"""


def esc(value: object) -> str:
    """HTML-escape any value's text."""
    return escape(str(value), quote=True)


def script_json(obj: Any) -> str:
    """JSON safe to place inside ``<script type="application/json">``."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def plain(value: object) -> object:
    """A JSON-friendly, deterministic version of a cell value (NaN -> ``None``)."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalar
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return int(value) if value.is_integer() and abs(value) < 1e15 else round(value, 6)
    if isinstance(value, bool | int | str):
        return value
    return str(value)


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    numeric: Sequence[bool] | None = None,
    raw: Sequence[bool] | None = None,
) -> str:
    """An HTML table; cells are escaped unless their column is flagged ``raw``."""
    numeric = numeric or [False] * len(headers)
    raw = raw or [False] * len(headers)
    head = "".join(f"<th{' class=n' if numeric[i] else ''}>{esc(h)}</th>" for i, h in enumerate(headers))
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            text = str(cell) if raw[i] else esc(cell)
            cells.append(f"<td{' class=n' if numeric[i] else ''}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def page(title: str, body: str, css: str = BASE_CSS) -> str:
    """A complete, self-contained HTML document."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{esc(title)}</title>\n<style>{css}</style>\n</head>\n<body>\n{body}\n"
        "</body>\n</html>\n"
    )
