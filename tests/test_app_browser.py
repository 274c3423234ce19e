"""End to end: `python -m sim app` served on a free port and driven in headless Chromium at a
projector's 1280x720 (Debian's chromium, through playwright; no browser download). Leaves
results/app-screenshot.png and the frame rate measured while playing in results/app-frame-rate.txt."""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import sync_playwright

from helpers import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RESULTS = ROOT / "results"
VIEWPORT = {"width": 1280, "height": 720}
MAIN = (".sim-map", ".sim-charts", ".sim-counters", ".sim-readout", ".sim-play", ".sim-reset", ".sim-clock",
        ".sim-legend")
LATIN_ALLOWED = {"EN"}  # the button that switches back to English

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sim", "app", "--port", str(port)], cwd=ROOT,
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
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    pytest.fail(f"the app did not start:\n{proc.communicate()[0]}")
                time.sleep(0.3)
        yield url, psutil.Process(proc.pid)  # `sim app` execs Solara in its own process
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cpu(process: psutil.Process, seconds: float) -> float:
    """Percent of one core the server used over the next `seconds`."""
    process.cpu_percent(None)
    time.sleep(seconds)
    return process.cpu_percent(None)


def clock(page) -> str:
    return page.inner_text(".sim-clock").strip()


def open_page(browser, url: str, errors: list):
    page = browser.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("canvas.sim-map", timeout=30_000)
    page.wait_for_function("() => document.querySelector('.sim-clock').innerText.length > 0")
    return page


def frames_per_second(page, seconds: float) -> tuple[float, float]:
    """Frames drawn per second, and the drawing script's milliseconds per frame."""
    before, spent, started = page.evaluate("window.simFrames"), page.evaluate("window.simDrawMs"), time.monotonic()
    page.wait_for_timeout(seconds * 1000)
    frames = page.evaluate("window.simFrames") - before
    return frames / (time.monotonic() - started), (page.evaluate("window.simDrawMs") - spent) / max(frames, 1)


def outside_viewport(page) -> list[str]:
    boxes = {sel: page.locator(sel).first.bounding_box() for sel in MAIN}
    return [sel for sel, b in boxes.items()
            if b is None or b["x"] < 0 or b["y"] < 0 or b["x"] + b["width"] > 1280.5 or b["y"] + b["height"] > 720.5]


SMALL_TEXT = """() => [...document.querySelectorAll('body *')].filter(e => e.offsetParent !== null
  && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())
  && parseFloat(getComputedStyle(e).fontSize) < 14).map(e => e.textContent.trim().slice(0, 30))"""
VISIBLE_WORDS = """() => document.body.innerText + ' ' + [...document.querySelectorAll('[aria-label],[alt],[title]')]
  .map(e => (e.getAttribute('aria-label') || '') + ' ' + (e.getAttribute('alt') || '') + ' ' + (e.getAttribute('title') || '')).join(' ')
  + ' ' + document.title"""


def test_a_lesson_in_chromium(server):
    url, process = server
    RESULTS.mkdir(exist_ok=True)
    errors: list = []
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        browser = p.chromium.launch_persistent_context(profile, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                                       viewport=VIEWPORT)
        page = open_page(browser, url, errors)
        assert page.evaluate("document.documentElement.lang") == "en"
        assert re.fullmatch(r"Week 2 · Mon 0[89]:\d\d", clock(page))  # opens on a busy Monday, already playing
        fps, ms = frames_per_second(page, 3)
        (RESULTS / "app-frame-rate.txt").write_text(
            f"{fps:.1f} frames/s drawn while playing ({ms:.1f} ms of script a frame), two models side by side "
            f"at 1280x720 ({os.cpu_count()} cpus, load average {os.getloadavg()[0]:.1f}, headless chromium "
            f"without a GPU)\n")
        assert fps > 0 and clock(page) > "Week 2 · Mon 08:4"
        assert outside_viewport(page) == []
        assert page.evaluate("document.scrollingElement.scrollHeight") <= 720
        assert page.evaluate(SMALL_TEXT) == []
        assert page.get_attribute("canvas.sim-map", "aria-label")

        for _ in range(6):  # a class clicks fast
            page.locator(".sim-play").click()
        page.locator(".sim-sidebar .v-select").nth(1).click()
        page.locator(".menuable__content__active .v-list-item", has_text="Xiaoding").click()
        page.wait_for_function("() => document.querySelector('.sim-readout').innerText.includes('Xiaoding')")
        assert "Pause" in page.inner_text(".sim-play")  # still playing after the switch
        page.wait_for_timeout(1500)
        playing_at = clock(page)
        page.locator(".sim-reset").click()
        page.locator(".sim-reset").click()
        page.wait_for_function(f"() => document.querySelector('.sim-clock').innerText < {playing_at!r}")
        page.wait_for_timeout(1000)
        assert clock(page) > "Week 2 · Mon 08:4"  # reset while playing: it plays on from the start

        page.get_by_role("button", name="中文", exact=True).click()
        page.wait_for_function("() => document.querySelector('.sim-clock').innerText.startsWith('第')"
                               " && document.querySelector('.sim-readout').innerText.includes('小顶到家')")
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        page.get_by_role("button", name="说明", exact=True).click()
        page.wait_for_selector(".sim-about")
        latin = set(re.findall(r"[A-Za-z]{2,}", page.evaluate(VISIBLE_WORDS))) - LATIN_ALLOWED
        assert latin == set()
        page.locator(".sim-go").nth(1).click()  # a guided question: go to its moment
        page.wait_for_function("() => document.querySelector('.sim-clock').innerText.startsWith('第2周 · 周二 11:0')")
        page.get_by_role("button", name="EN", exact=True).click()
        page.wait_for_function("() => document.querySelector('.sim-clock').innerText.startsWith('Week')")
        page.wait_for_timeout(1500)
        page.screenshot(path=RESULTS / "app-screenshot.png")
        assert outside_viewport(page) == []  # two long names side by side still fit

        page.locator(".sim-play").click()  # the teacher pauses; a student's tab plays fast, then closes
        assert "Play" in page.inner_text(".sim-play")
        student = open_page(browser, url, [])
        student.get_by_role("button", name="1 day/s").click()
        busy = cpu(process, 3)
        student_clock = clock(student)
        assert student_clock > "Week 2 · Mon 2"
        student.close()
        time.sleep(1.5)
        idle = cpu(process, 3)
        assert idle < max(8.0, busy / 3), (busy, idle)
        assert "Traceback" not in page.inner_text("body")
        browser.close()
    assert errors == []
