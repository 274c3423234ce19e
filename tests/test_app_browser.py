"""End to end: `python -m sim app` served on a free port and driven in headless Chromium (Debian's
chromium, through playwright; no browser download). Leaves results/app-screenshot.png and the
frame rate measured while playing in results/app-frame-rate.txt."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from helpers import ROOT
from sim.clock import WEEKDAYS
from sim.teaching.app import PLAY_MS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
RESULTS = ROOT / "results"
TUESDAY_10 = (24 + 10) * 60

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def address():
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "sim", "app", "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 40
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    pytest.fail(f"the app did not start:\n{server.communicate()[0]}")
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def minutes(clock: str) -> int:
    """'Week 1 · Tue 09:00' -> minutes since Monday 00:00 of week 1."""
    week, day, hour, minute = re.fullmatch(r"Week (\d+) · (\w+) (\d\d):(\d\d)", clock.strip()).groups()
    return ((int(week) - 1) * 7 + WEEKDAYS.index(day)) * 1440 + int(hour) * 60 + int(minute)


def wait_for_clock(page, target: int) -> None:
    deadline = time.monotonic() + 20
    while minutes(page.inner_text(".sim-clock")) != target:
        assert time.monotonic() < deadline, f"the clock shows {page.inner_text('.sim-clock')}, not minute {target}"
        page.wait_for_timeout(100)


def test_the_page_runs_in_chromium(address):
    RESULTS.mkdir(exist_ok=True)
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1050})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(address)

        page.wait_for_selector("img.sim-map", timeout=30_000)
        assert page.evaluate("() => { const i = document.querySelector('img.sim-map');"
                             " return i.complete && i.naturalWidth > 800 && i.naturalHeight > 200; }")
        assert page.locator("img.sim-charts").count() == 1
        counters = page.inner_text(".sim-counters")
        assert "Centralised" in counters and "Dingshan" in counters

        clock, image = page.inner_text(".sim-clock"), page.get_attribute("img.sim-map", "src")
        for _ in range(10):
            page.get_by_role("button", name="Step", exact=True).click()
        wait_for_clock(page, minutes(clock) + 600)
        assert page.get_attribute("img.sim-map", "src") != image
        assert page.inner_text(".sim-counters") != counters

        page.locator(".v-select", has_text="Authorisation model").click()
        page.locator(".menuable__content__active .v-list-item", has_text="xiaoding").click()
        page.get_by_role("button", name="Reset", exact=True).click()
        page.wait_for_function("() => document.querySelector('.sim-counters').innerText.includes('Xiaoding')")
        assert minutes(page.inner_text(".sim-clock")) == 0

        page.evaluate("() => { window.framesShown = 0; new MutationObserver(() => window.framesShown++)"
                      ".observe(document.querySelector('img.sim-map'), {attributeFilter: ['src']}); }")
        started, before = time.monotonic(), minutes(page.inner_text(".sim-clock"))
        page.get_by_role("button", name="▶", exact=True).click()
        page.wait_for_timeout(4_000)
        page.get_by_role("button", name="❚❚", exact=True).click()
        elapsed = time.monotonic() - started
        page.wait_for_timeout(700)  # a step under way when paused still finishes
        frames, steps = page.evaluate("window.framesShown"), (minutes(page.inner_text(".sim-clock")) - before) // 60
        assert steps > 0 and frames > 0  # playing advances the clock and redraws the map; the rate is recorded, not judged
        (RESULTS / "app-frame-rate.txt").write_text(
            f"{frames / elapsed:.1f} frames/s shown, {steps / elapsed:.1f} steps/s, while playing for {elapsed:.1f} s "
            f"at the default play interval ({PLAY_MS} ms; two models side by side, {os.cpu_count()} cpus)\n")

        now = minutes(page.inner_text(".sim-clock"))
        for _ in range(max(0, (TUESDAY_10 - now) // 60)):  # the screenshot shows a busy morning
            page.get_by_role("button", name="Step", exact=True).click()
        wait_for_clock(page, max(now, TUESDAY_10))

        page.get_by_role("button", name="中文", exact=True).click()
        page.wait_for_function("() => document.querySelector('.sim-clock').innerText.startsWith('第')"
                               " && document.querySelector('.sim-counters').innerText.includes('小顶到家')")
        page.get_by_role("button", name="EN", exact=True).click()
        page.wait_for_function("() => document.querySelector('.sim-clock').innerText.startsWith('Week')")
        page.set_viewport_size({"width": 1500, "height": 1480})
        page.wait_for_timeout(500)
        page.screenshot(path=RESULTS / "app-screenshot.png")
        browser.close()
    assert errors == []
