"""The hour-by-hour charts of an hourly-sized run: the report section and the map popups."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.api import solve_scenario
from planner.export import write_plan
from planner.render import _hourly as hr
from planner.render import load_run, render_run
from planner.render.hourly_svg import hub_chart_svg
from planner.render.report import report_html
from planner.render.web_map import web_map_html
from planner.scenario import load_scenario
from tests.test_hourly import scenario
from tests.test_render import HUBS, assert_offline_html, map_payload, write_run


def _pages(run: Path) -> tuple[str, str]:
    """report.html and map.html of ``run`` as text, without drawing the static map (faster)."""
    data = load_run(run)
    return report_html(data, None), web_map_html(data)


def _section(report: str) -> str:
    start = report.index('<section class="hourly">')
    return report[start : report.index("</section>", start)]


@pytest.fixture(scope="module")
def hourly_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A solved 3-node line with hourly sizing (one hub, N1), written and rendered."""
    folder = tmp_path_factory.mktemp("hourly")
    plan = solve_scenario(load_scenario(scenario(folder / "in", flows=["T,N0,N2,4", "U,N2,N0,3"])))
    out = folder / "out"
    write_plan(plan, out)
    assert (out / "hub_hourly.csv").is_file() and not (out / "report.html").exists()  # maps are off
    render_run(out)
    return out


def test_report_has_the_hour_by_hour_section(hourly_run: Path) -> None:
    report = (hourly_run / "report.html").read_text(encoding="utf-8")
    section = _section(report)
    assert '<h2 class="page">Hour by hour</h2>' in section
    assert section.count("<svg") == 2  # the network's day and the hub's small multiple
    assert "Every hub, hour by hour" in section and ">N1</td>" in section  # per-hub table
    for label in ("Hubs with a battery", "Grid connections", "Energy cost + capacity charges", "EUR/kWh"):
        assert label in section, label
    assert "Energy price (EUR/MWh)" in section  # the price's axis label, as SVG text
    # the figures shown are not repeated raw under "Further results"; the model's settings are
    further = report[report.index("Further results") :]
    assert "Hubs with battery" not in further and "Points daily average" not in further
    assert "<h3>Hourly sizing</h3>" in further and "Tariff" in further
    assert_offline_html(report)


def test_map_popup_has_the_hub_chart(hourly_run: Path) -> None:
    text = (hourly_run / "map.html").read_text(encoding="utf-8")
    hubs = {h["props"][0][1]: h for h in map_payload(text)["hubs"]}
    chart = hubs["N1"]["chart"]
    assert chart.startswith("<svg viewBox=") and chart.endswith("</svg>")
    assert 'class="ld"' in chart and 'class="gr"' in chart and 'class="cn"' in chart
    assert not re.search(r"\d\.\d\d", chart)  # coordinates rounded to 0.1 px
    assert len(chart) < 2500 and ".hub-chart .ld" in text
    assert_offline_html(text)


def test_render_is_deterministic(hourly_run: Path, tmp_path: Path) -> None:
    first = {n: (hourly_run / n).read_bytes() for n in ("report.html", "map.html")}
    render_run(hourly_run, png=False, svg=False)
    copy = shutil.copytree(hourly_run, tmp_path / "elsewhere")
    render_run(copy, png=False, svg=False)
    for name, data in first.items():
        assert (hourly_run / name).read_bytes() == data, f"{name} differs between two renders"
        assert (copy / name).read_bytes() == data, f"{name} depends on the folder path"


def test_a_run_without_hub_hourly_renders_as_before(hourly_run: Path, tmp_path: Path) -> None:
    run = write_run(tmp_path / "plain", optional=False)
    assert load_run(run).hourly is None
    report, web = _pages(run)
    assert "Hour by hour" not in report and ".hub-chart svg" not in web
    assert all("chart" not in h for h in map_payload(web)["hubs"])
    # the hourly run without its table: no section, the hourly block stays under "Further results"
    bare = shutil.copytree(hourly_run, tmp_path / "bare")
    (bare / "hub_hourly.csv").unlink()
    report, _ = _pages(bare)
    assert "Hour by hour" not in report and "Hubs with battery" in report


def _synthetic_hourly(run: Path, sites: list[str], *, columns: list[str] | None = None) -> None:
    """hub_hourly.csv for ``sites``: hub k peaks at (k + 1) MW; the last two tie."""
    rows = []
    for k, site in enumerate(sites):
        peak = 1000.0 * min(k + 1, len(sites) - 1)
        for h in range(24):
            load = peak * (0.5 + 0.5 * np.sin(np.pi * h / 23))
            charge = 200.0 if h < 5 else 0.0
            discharge = max(load - 0.8 * peak, 0.0)
            rows.append(
                {
                    "site_id": site,
                    "hour": h,
                    "load_kw": load,
                    "grid_kw": load + charge - discharge,
                    "battery_charge_kw": charge,
                    "battery_discharge_kw": discharge,
                    "price_eur_per_mwh": 100.0 + h,
                    "grid_connection_kw": 0.8 * peak + 200.0,
                    "battery_kwh": 1000.0,
                }
            )
    df = pd.DataFrame(rows)
    df[columns or list(df.columns)].to_csv(run / "hub_hourly.csv", index=False)


def test_small_multiples_pick_the_largest_hubs_deterministically(tmp_path: Path) -> None:
    hubs = [(f"S{i:02d}", f"Hub {i}", h[2], False, 4, 2000.0, 2025, 0.5) for i, h in enumerate(HUBS * 2)]
    run = write_run(tmp_path / "many", hubs=hubs, optional=False)
    sites = [h[0] for h in hubs]
    _synthetic_hourly(run, sites)
    data = load_run(run)
    days = hr.hub_days(data.hourly)
    order = hr.largest(days, data.hubs, 12)
    assert order[:2] == ["S12", "S13"] and order[2] == "S11"  # the tie by site id, then the next peak
    assert len(order) == 12 and set(order) == set(sites[2:])
    net, same = hr.network_day(days)
    assert same and net.price[5] == pytest.approx(105.0)
    assert net.load.sum() == pytest.approx(sum(d.load.sum() for d in days.values()))
    assert net.connection_kw == pytest.approx(sum(d.connection_kw for d in days.values()))
    section = _section(_pages(run)[0])
    assert "The 12 hubs with the highest peak load" in section and "12 of 14 hubs" not in section
    assert "14 of 14 hubs, by peak load" in section and section.index(">S12</td>") < section.index(">S00</td>")


def test_a_table_with_load_only_still_draws(tmp_path: Path) -> None:
    run = write_run(tmp_path / "load-only", optional=False)
    _synthetic_hourly(run, [h[0] for h in HUBS[:2]], columns=["site_id", "hour", "load_kw"])
    data = load_run(run)
    day = hr.hub_days(data.hourly)["S-FRA"]
    assert not day.has_battery and np.isnan(day.connection_kw) and np.isnan(day.price).all()
    svg = hub_chart_svg(day)
    assert 'class="ld"' in svg and 'class="cn"' not in svg and 'class="dc"' not in svg
    report, text = _pages(run)
    assert "Hour by hour" in report and "Energy price" not in _section(report)
    web = map_payload(text)
    assert sum("chart" in h for h in web["hubs"]) == 2


def test_network_price_is_load_weighted_and_may_be_negative() -> None:
    from planner.render.hourly_charts import network_chart

    def day(site: str, load: float, price: float) -> hr.HubDay:
        zeros = np.zeros(24)
        prices = np.full(24, price)
        prices[3] = -20.0  # a negative hour
        return hr.HubDay(site, np.full(24, load), np.full(24, load), zeros, zeros, prices, 2 * load, np.nan)

    net, same = hr.network_day({"A": day("A", 300.0, 100.0), "B": day("B", 100.0, 60.0)})
    assert not same and net.price[0] == pytest.approx(90.0) and net.price[3] == pytest.approx(-20.0)
    assert net.connection_kw == pytest.approx(800.0) and np.isnan(net.battery_kwh)
    fig = network_chart(net, same)
    power, price = fig.axes
    assert price.get_ylim()[0] <= -20.0 and power.get_ylim()[0] < 0 < power.get_ylim()[1]
    assert "load-weighted" in price.get_ylabel()
