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
from test_render import HUBS, write_run  # noqa: E402

CHROMIUM = Path(os.environ.get("PLANNER_CHROMIUM", "/usr/bin/chromium"))
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} not found (Debian: apt-get install chromium)"
    ),
]
try:
    import websocket  # PyPI: websocket-client
except ImportError:  # pragma: no cover - depends on the environment
    if os.environ.get("CI") and CHROMIUM.exists():
        raise  # CI has Chromium: a missing driver package must fail, not skip
    pytest.skip(
        "websocket-client not installed (pip install websocket-client)", allow_module_level=True
    )

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

    def send(
        self, method: str, params: dict[str, Any] | None = None, *, browser: bool = False
    ) -> dict[str, Any]:
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
                out.append(
                    " ".join(str(a.get("value", a.get("description"))) for a in p.get("args", []))
                )
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(f"{p['entry'].get('text')} {p['entry'].get('url', '')}")
            elif m == "Network.loadingFailed":
                out.append(f"load failed: {p.get('errorText')}")
        return out

    def requested_urls(self) -> list[str]:
        return [
            ev["params"]["request"]["url"]
            for ev in self.events
            if ev["method"] == "Network.requestWillBeSent"
        ]

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
                    "Chromium did not start: "
                    + (tmp_path / "chromium.log").read_text(errors="replace")[-2000:]
                )
            time.sleep(0.05)
        port, path = port_file.read_text().split()[:2]
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{port}{path}", timeout=TIMEOUT, suppress_origin=True
        )
        page = Page(ws)
        target = page.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        page.session = page.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
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
        assert (
            page.eval("document.querySelectorAll('.leaflet-control-layers-overlays input').length")
            >= 5
        )
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
