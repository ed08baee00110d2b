"""Open the rendered pages in headless Chromium with the network cut off.

Driver: Chromium's DevTools protocol over a local websocket (PyPI ``websocket-client``),
Chromium from the Debian package ``chromium``. Each test starts its own browser on a
free loopback port, with a throw-away profile, and kills its process group at the end.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from planner.render import render_comparison, render_run

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for the run builders in test_render
from test_render import HUBS, SERVED_RGB, UNSERVED_RGB, colour_pixels, write_big_run, write_run  # noqa: E402

CHROMIUM = Path(os.environ.get("PLANNER_CHROMIUM", "/usr/bin/chromium"))
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found (Debian: apt-get install chromium)"),
]
try:
    import websocket  # PyPI: websocket-client
except ImportError:  # pragma: no cover - depends on the environment
    if os.environ.get("CI") and CHROMIUM.exists():
        raise  # CI has Chromium: a missing driver package must fail, not skip
    pytest.skip("websocket-client not installed (pip install websocket-client)", allow_module_level=True)

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--hide-scrollbars",
    "--window-size=1280,900",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
    # network off: every host name fails to resolve and any proxy use hits a closed port
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=127.0.0.1:9",
]
TIMEOUT = 20.0


class Page:
    """A minimal DevTools-protocol client bound to one page (flat session mode)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.next_id = 0
        self.session: str | None = None
        self.events: list[dict[str, Any]] = []

    def _recv(self, deadline: float) -> dict[str, Any]:
        self.ws.settimeout(max(0.05, deadline - time.monotonic()))
        msg = json.loads(self.ws.recv())
        if "method" in msg:
            self.events.append(msg)
        return msg

    def send(self, method: str, params: dict[str, Any] | None = None, *, browser: bool = False) -> dict[str, Any]:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session and not browser:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self._recv(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def wait_event(self, name: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for ev in self.events:
                if ev["method"] == name:
                    return ev
            self._recv(deadline)

    def eval(self, expression: str) -> Any:
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in res:
            raise RuntimeError(res["exceptionDetails"])
        return res["result"].get("value")

    def wait_for(self, expression: str, timeout: float = TIMEOUT) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.eval(expression)
            if value:
                return value
            time.sleep(0.05)
        raise TimeoutError(expression)

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads seen so far."""
        out = []
        for ev in self.events:
            m, p = ev["method"], ev.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(json.dumps(p.get("exceptionDetails", {}))[:500])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description"))) for a in p.get("args", [])))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(f"{p['entry'].get('text')} {p['entry'].get('url', '')}")
            elif m == "Network.loadingFailed":
                out.append(f"load failed: {p.get('errorText')}")
        return out

    def requested_urls(self) -> list[str]:
        return [ev["params"]["request"]["url"] for ev in self.events if ev["method"] == "Network.requestWillBeSent"]

    def screenshot(self) -> np.ndarray:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        return mpimg.imread(io.BytesIO(base64.b64decode(data)), format="png")


@contextmanager
def chromium(tmp_path: Path) -> Iterator[Page]:
    """Start headless Chromium, attach to a blank page, and always clean up."""
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    log = (tmp_path / "chromium.log").open("wb")
    proc = subprocess.Popen(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    ws = None
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + TIMEOUT
        while not (port_file.exists() and len(port_file.read_text().split()) >= 2):
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(
                    "Chromium did not start: " + (tmp_path / "chromium.log").read_text(errors="replace")[-2000:]
                )
            time.sleep(0.05)
        port, path = port_file.read_text().split()[:2]
        ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=TIMEOUT, suppress_origin=True)
        page = Page(ws)
        target = page.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        page.session = page.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.send(f"{domain}.enable")
        page.send(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        yield page
    finally:
        if ws is not None:
            with suppress(Exception):  # the browser may already be gone
                ws.send(json.dumps({"id": 10**6, "method": "Browser.close"}))
            ws.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # our own process group only
            proc.wait(timeout=5)
        else:
            with suppress(ProcessLookupError):  # helper processes left in the group
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def open_page(page: Page, path: Path) -> None:
    page.send("Page.navigate", {"url": path.resolve().as_uri()})
    page.wait_event("Page.loadEventFired")


def assert_not_blank(img: np.ndarray) -> None:
    rgb = img[..., :3].reshape(-1, 3)
    assert float(rgb.std()) > 0.05, "screenshot is blank"
    assert len(np.unique((rgb[::53] * 255).astype(np.uint8), axis=0)) > 30


def assert_only_local(page: Page) -> None:
    urls = page.requested_urls()
    remote = [u for u in urls if not u.startswith(("file:", "data:", "about:"))]
    assert not remote, f"page requested the network: {remote}"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = write_run(tmp_path_factory.mktemp("browser") / "run")
    render_run(run)
    return run


def test_map_renders_offline(run_dir: Path, tmp_path: Path) -> None:
    n_hubs = len(pd.read_csv(run_dir / "hubs.csv"))
    with chromium(tmp_path) as page:
        open_page(page, run_dir / "map.html")
        page.wait_for("window.PLANNER_READY === true")
        assert page.eval("document.querySelectorAll('.leaflet-container').length") == 1
        assert page.eval("document.querySelectorAll('.hub-marker').length") == n_hubs
        assert page.eval("window.PLANNER_HUB_COUNT") == n_hubs
        assert page.eval("document.getElementById('map').dataset.hubCount") == str(n_hubs)
        assert page.eval("document.querySelectorAll('.hub-locked').length") == 2
        assert page.eval("document.querySelectorAll('.leaflet-control-layers-overlays input').length") >= 5
        # a click on a hub opens a popup listing every hubs.csv column
        page.eval(
            "document.querySelector('.hub-marker').dispatchEvent("
            "new MouseEvent('click', {bubbles: true, clientX: 5, clientY: 5}))"
        )
        rows = page.wait_for("document.querySelectorAll('.hub-popup tr').length")
        assert rows == len(pd.read_csv(run_dir / "hubs.csv").columns)
        img = page.screenshot()
        assert_not_blank(img)
        assert page.errors() == []
        assert_only_local(page)


def test_report_renders_offline(run_dir: Path, tmp_path: Path) -> None:
    with chromium(tmp_path) as page:
        open_page(page, run_dir / "report.html")
        assert page.eval("document.querySelectorAll('svg.figure').length") >= 4
        assert page.eval("document.querySelector('h1').textContent").startswith("Charging")
        width = page.eval("document.querySelector('.map svg').getBoundingClientRect().width")
        assert width > 600
        assert_not_blank(page.screenshot())
        assert page.errors() == []
        assert_only_local(page)


def test_comparison_renders_offline(run_dir: Path, tmp_path: Path) -> None:
    other = write_run(tmp_path / "other", scenario="other", hubs=HUBS[2:], optional=False)
    page_path = render_comparison([run_dir, other], tmp_path / "cmp")[0]
    with chromium(tmp_path) as page:
        open_page(page, page_path)
        assert page.eval("document.querySelectorAll('table').length") >= 2
        assert_not_blank(page.screenshot())
        assert page.errors() == []
        assert_only_local(page)


# ------------------------------------------------- board-ready outputs (#16): screenshots and checks

SHOTS_ENV = "PLANNER_SCREENSHOTS"  # set to a folder to keep the screenshots and the PDF


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $PLANNER_SCREENSHOTS if set, else a temporary folder."""
    folder = Path(os.environ[SHOTS_ENV]) if os.environ.get(SHOTS_ENV) else tmp_path_factory.mktemp("shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    """One headless Chromium for the screenshot tests of this module."""
    with chromium(tmp_path_factory.mktemp("browser-shared")) as page:
        yield page


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory, shots: Path) -> dict[str, Path]:
    """Synthetic runs like the shipped scenarios: every flow served (default), some unserved
    (low budget), hundreds of hubs with AFIR gaps (AFIR), opening years per hub (rollout).
    With $PLANNER_SCREENSHOTS set their map.png files are copied there too."""
    root = tmp_path_factory.mktemp("variants")
    runs = {
        "default": write_run(root / "default", unserved_every=None, optional=False, scenario="default"),
        "low-budget": write_run(root / "low-budget", optional=False, scenario="low-budget"),
        "afir": write_big_run(root / "afir", n_hubs=300, n_flows=600),
        "rollout": write_run(root / "rollout", scenario="rollout"),
    }
    keep = bool(os.environ.get(SHOTS_ENV))
    for name, run in runs.items():
        render_run(run, png=keep, svg=False, report=False)
        if keep:
            (shots / f"map-{name}.static.png").write_bytes((run / "map.png").read_bytes())
    return runs


def _save(page: Page, path: Path) -> np.ndarray:
    data = page.send("Page.captureScreenshot", {"format": "png"})["data"]
    path.write_bytes(base64.b64decode(data))
    return mpimg.imread(io.BytesIO(base64.b64decode(data)), format="png")


def _map_area(page: Page, img: np.ndarray) -> np.ndarray:
    """The map's pixels with the Leaflet controls (legend, layer list, slider) blanked out."""
    rect = page.eval("(function(){var r=document.getElementById('map').getBoundingClientRect();"
                     "return [r.left, r.top, r.right, r.bottom];})()")  # fmt: skip
    boxes = page.eval("Array.from(document.querySelectorAll('.leaflet-control')).map(function(e){"
                      "var r=e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom];})")  # fmt: skip
    out = img[..., :3].copy()
    for x0, y0, x1, y1 in boxes:
        out[int(y0) : int(y1) + 1, int(x0) : int(x1) + 1] = 1.0
    x0, y0, x1, y1 = (int(v) for v in rect)
    return out[y0:y1, x0:x1]


@pytest.mark.parametrize("name", ["default", "low-budget", "afir", "rollout"])
def test_map_variants_show_flows(name: str, variants: dict[str, Path], browser: Page, shots: Path) -> None:
    page = browser
    open_page(page, variants[name] / "map.html")
    page.wait_for("window.PLANNER && window.PLANNER.ready === true")
    time.sleep(0.3)  # let the cluster icons settle
    img = _save(page, shots / f"map-{name}.png")
    area = _map_area(page, img)
    assert colour_pixels(area, SERVED_RGB, tol=10) > 1000, "served flow bands not visible"
    unserved = colour_pixels(area, UNSERVED_RGB, tol=10)
    layers = {layer["name"]: layer["shown"] for layer in page.eval("window.PLANNER.layers")}
    assert layers["flow-bands"] and layers["hubs"] and layers["network-core"]
    if name == "default":
        assert unserved == 0 and "flow-cores" not in layers
    else:
        assert unserved > 150, "unserved volume not visible"
        assert layers["flow-cores"] is True
    if name != "default":
        assert layers["afir-gaps"] is False  # thin, separate, off until switched on
    # the view lies inside the (whole-world) country outlines: no cut coast anywhere in it
    b = page.eval("(function(){var b=window.PLANNER.map.getBounds(); return [b.getWest(), b.getSouth(), "
                  "b.getEast(), b.getNorth()];})()")  # fmt: skip
    assert -180 <= b[0] < b[2] <= 180 and -85 <= b[1] < b[3] <= 85
    sizes = page.eval("Array.from(document.querySelectorAll('.legend .row, .leaflet-control-layers label'))"
                      ".map(function(e){return parseFloat(getComputedStyle(e).fontSize);})")  # fmt: skip
    assert min(sizes) >= 12.5  # readable at 100 %
    assert page.errors() == []
    assert_only_local(page)
    page.events.clear()


def test_map_clusters_many_hubs(variants: dict[str, Path], browser: Page) -> None:
    page = browser
    open_page(page, variants["afir"] / "map.html")
    page.wait_for("window.PLANNER && window.PLANNER.ready === true")
    time.sleep(0.3)
    clusters = page.eval("Array.from(document.querySelectorAll('.hub-cluster span'))"
                         ".map(function(e){return Number(e.textContent);})")  # fmt: skip
    singles = page.eval("document.querySelectorAll('.hub-marker').length")
    assert clusters and sum(clusters) + singles == 300  # every hub counted once
    page.eval("void window.PLANNER.map.setZoom(9, {animate: false})")
    # zoomed in: single hubs only
    page.wait_for("window.PLANNER.map.getZoom() === 9 && !document.querySelector('.hub-cluster')", timeout=5)
    assert page.errors() == []
    page.events.clear()


def test_map_year_slider(variants: dict[str, Path], browser: Page) -> None:
    page = browser
    open_page(page, variants["rollout"] / "map.html")
    page.wait_for("window.PLANNER && window.PLANNER.ready === true")
    assert page.eval("window.PLANNER.state.year") == 2028 and page.eval("window.PLANNER.state.hubsShown") == 7
    page.eval("var s=document.getElementById('year-slider'); s.value=0; s.dispatchEvent(new Event('input'))")
    assert page.eval("document.getElementById('year-label').textContent") == "2025"
    assert page.eval("window.PLANNER.state.hubsShown") == 2  # S-FRA and S-BSL open in 2025
    assert page.eval("document.querySelectorAll('.hub-marker').length") == 2
    assert "Hubs open 2" in page.eval("document.getElementById('year-info').textContent")
    assert page.errors() == []
    page.events.clear()


def test_report_prints_to_a4_landscape(variants: dict[str, Path], browser: Page, shots: Path) -> None:
    run = variants["rollout"]
    render_run(run, png=False, svg=False, html_map=False)
    page = browser
    open_page(page, run / "report.html")
    _save(page, shots / "report.png")
    years = page.eval("document.querySelectorAll('section.years table tbody tr').length")
    assert years == 4 and page.eval("document.querySelectorAll('section.years svg.figure').length") >= 4
    heights = page.eval(
        "Array.from(document.querySelectorAll('.charts svg text'))"
        ".map(function(e){return e.getBoundingClientRect().height;}).filter(function(h){return h>0;})"
    )
    assert heights and min(heights) >= 10  # chart text readable at 100 %
    pdf = base64.b64decode(page.send("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})["data"])
    (shots / "report.pdf").write_bytes(pdf)
    boxes = {tuple(round(float(v)) for v in m) for m in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\]", pdf)}
    assert boxes == {(842, 595)}  # A4 landscape, every page
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 6
    # laid out at the printable width (277 mm ≈ 1047 px) nothing is wider: no shrink-to-fit
    page.send("Emulation.setDeviceMetricsOverride", {"width": 1047, "height": 718, "deviceScaleFactor": 1,
                                                     "mobile": False})  # fmt: skip
    page.send("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert page.eval("document.documentElement.scrollWidth") <= 1048
    finally:
        page.send("Emulation.setEmulatedMedia", {"media": ""})
        page.send("Emulation.clearDeviceMetricsOverride")
    assert page.errors() == []
    page.events.clear()


def test_compare_page_per_year_and_inputs(variants: dict[str, Path], browser: Page, shots: Path) -> None:
    out = variants["rollout"].parent / "cmp"
    path = render_comparison([variants["rollout"], variants["low-budget"], variants["default"]], out)[0]
    page = browser
    open_page(page, path)
    _save(page, shots / "compare.png")
    heads = page.eval("Array.from(document.querySelectorAll('h2')).map(function(e){return e.textContent;})")
    assert {"Key figures", "Inputs that differ", "Per year", "Sites"} <= set(heads)
    assert page.eval("document.querySelectorAll('section.years table tbody tr').length") == 4  # rollout years
    assert page.errors() == []
    assert_only_local(page)
    page.events.clear()
