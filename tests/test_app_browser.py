"""End to end: `python -m sim app` served on a free port and driven in headless Chromium at a
projector's 1280x720 (Debian's chromium, through playwright; no browser download), and by a
student simulated without a browser (benchmarks/students.py, the app benchmark's class). Leaves
app-screenshot.png and the frame rate measured while playing (app-frame-rate.txt) in the test's
own temporary folder, never in the repository's results/, where a user's files may stand."""

import asyncio
import importlib.util
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
from sim.teaching import app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 720}
MAIN = (".sim-map", ".sim-charts", ".sim-counters", ".sim-readout", ".sim-play", ".sim-reset", ".sim-clock",
        ".sim-legend")
LATIN_ALLOWED = {"EN"}  # the button that switches back to English
WAIT = 120_000  # ms: a generous deadline for anything the page must get to, on a loaded machine
START = (7 * 24 + 8) * 60 + 40  # the moment the page opens on, Monday of week 2 at 08:40

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="Debian's chromium is not installed (apt-get install chromium)")


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
        deadline = time.monotonic() + WAIT / 1000
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


def shown(page) -> float:
    """Simulated minutes the page shows."""
    return page.evaluate("window.simT || 0")


def wait_until_shown(page, condition: str) -> None:
    """Wait (generously) until the minutes shown, `t`, meet `condition`, e.g. 't > 600'."""
    page.wait_for_function(f"() => {{ const t = window.simT || 0; return {condition}; }}", timeout=WAIT)


def overlapping_names(page) -> list:
    """Pairs of names on one map whose boxes overlap, and names outside the map."""
    return page.evaluate("""() => {
      const boxes = window.simLabels || [], canvas = document.querySelector('canvas.sim-map').getBoundingClientRect();
      const out = boxes.filter(b => b.x < 0 || b.y < 0 || b.x + b.w > canvas.width + 0.5 || b.y + b.h > canvas.height + 0.5);
      for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i], b = boxes[j];
        if (a.map === b.map && a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) out.push([a, b]);
      }
      return boxes.length ? out : ['no names drawn'];
    }""")


def open_page(browser, url: str, errors: list):
    page = browser.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("canvas.sim-map", timeout=WAIT)
    page.wait_for_function("() => document.querySelector('.sim-clock').innerText.length > 0", timeout=WAIT)
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

FIGURES_SHOWN = """() => [document.querySelector('.sim-readout').innerText.match(/[−+][0-9.,]+%?/g),
  [...document.querySelectorAll('.sim-counters tr')].slice(1).map(tr => [...tr.children].slice(1).map(td => td.innerText))]"""


def students():
    spec = importlib.util.spec_from_file_location("students", ROOT / "benchmarks" / "students.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_simulated_student_gets_packets_that_move_on(server):
    """The benchmark's student speaks to the server as a page does: it gets the page, asks for
    packets at 1 hour a second and gets them, each later than the one before."""
    url, _ = server
    module = students()

    async def visit():
        student = module.Student(url, module.SPEEDS["hour"])
        try:
            await student.connect()
            deadline = time.perf_counter() + WAIT / 1000
            while len(student.replies) < 3 and time.perf_counter() < deadline:
                await student.play(time.perf_counter() + 0.5)
        finally:
            await student.leave()
        return student

    student = asyncio.run(visit())
    assert student.error is None
    minutes = [t for _, _, t in student.replies]
    assert len(minutes) >= 3 and minutes[0] >= START
    assert all(later > earlier for earlier, later in zip(minutes, minutes[1:]))


def test_the_simulated_student_paces_itself_as_the_page_does():
    """Its speeds, packets a second at each, reserve and resend time are the page's own."""
    module = students()
    page = (ROOT / "sim" / "teaching" / "live_view.vue").read_text()
    def constants(name: str) -> list[float]:
        return [float(v) for v in re.search(rf"const {name} = \[([^\]]*)\]", page).group(1).split(",")]

    rates = dict(zip(constants("SPEEDS"), constants("PACKETS_PER_SECOND"), strict=True))
    assert set(module.SPEEDS.values()) <= set(rates)
    assert module.PACKETS_PER_SECOND == {speed: rates[speed] for speed in module.SPEEDS.values()}
    assert "SPEEDS[this.speedIndex] / PACKETS_PER_SECOND[this.speedIndex]" in page
    assert max(speed / rate for speed, rate in rates.items()) == app.MOST_MINUTES  # the server grants the longest packet
    assert f"last.t - s.T > {module.AHEAD} * chunk" in page
    assert f"now - s.asked < {module.RESEND * 1000:.0f}" in page


@pytest.mark.browser
@needs_chromium
def test_a_lesson_in_chromium(server, tmp_path):
    url, process = server
    errors: list = []
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        browser = p.chromium.launch_persistent_context(profile, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                                       viewport=VIEWPORT)
        page = open_page(browser, url, errors)
        assert page.evaluate("document.documentElement.lang") == "en"
        assert re.fullmatch(r"Week 2 · Mon (0[89]|1\d):\d\d", clock(page))  # opens on a busy Monday, already playing
        wait_until_shown(page, f"t > {START + 10}")
        fps, ms = frames_per_second(page, 3)
        (tmp_path / "app-frame-rate.txt").write_text(
            f"{fps:.1f} frames/s drawn while playing ({ms:.1f} ms of script a frame), two models side by side "
            f"at 1280x720 ({os.cpu_count()} cpus, load average {os.getloadavg()[0]:.1f}, headless chromium "
            f"without a GPU)\n")
        assert fps > 0
        assert outside_viewport(page) == []
        assert overlapping_names(page) == []
        assert page.evaluate("document.scrollingElement.scrollHeight") <= 720
        assert page.evaluate(SMALL_TEXT) == []
        assert page.get_attribute("canvas.sim-map", "aria-label")

        for _ in range(6):  # a class clicks fast
            page.locator(".sim-play").click()
        page.locator(".sim-sidebar .v-select").nth(1).click()
        page.locator(".menuable__content__active .v-list-item", has_text="Xiaoding").click()
        page.wait_for_function("() => document.querySelector('.sim-readout').innerText.includes('Xiaoding')",
                               timeout=WAIT)
        assert "Pause" in page.inner_text(".sim-play")  # still playing after the switch
        wait_until_shown(page, f"t > {START + 30}")
        playing_at = shown(page)
        page.locator(".sim-reset").click()
        page.locator(".sim-reset").click()
        wait_until_shown(page, f"t < {playing_at}")
        wait_until_shown(page, f"t > {START + 10}")  # reset while playing: it plays on from the start

        page.get_by_role("button", name="中文", exact=True).click()
        page.wait_for_function("() => document.querySelector('.sim-clock').innerText.startsWith('第')"
                               " && document.querySelector('.sim-readout').innerText.includes('小顶到家')", timeout=WAIT)
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        page.wait_for_function("() => (window.simLabels || []).some(b => b.name.startsWith('第'))", timeout=WAIT)
        assert overlapping_names(page) == []  # Chinese names are wider: still apart
        page.get_by_role("button", name="说明", exact=True).click()
        page.wait_for_selector(".sim-about")
        latin = set(re.findall(r"[A-Za-z]{2,}", page.evaluate(VISIBLE_WORDS))) - LATIN_ALLOWED
        assert latin == set()
        page.locator(".sim-go").nth(1).click()  # a guided question: go to its moment
        page.wait_for_function("() => document.querySelector('.sim-clock').innerText.startsWith('第2周 · 周二 11:0')",
                               timeout=WAIT)
        page.locator(".sim-play").click()  # paused, the page asks for nothing: the new language must come anyway
        page.wait_for_timeout(300)
        figures_shown = page.evaluate(FIGURES_SHOWN)
        page.get_by_role("button", name="EN", exact=True).click()
        page.wait_for_function("() => document.querySelector('.sim-clock').innerText.startsWith('Week')", timeout=WAIT)
        page.wait_for_function("() => /Xiaoding.*vs Centralised/.test(document.querySelector('.sim-readout').innerText)"
                               " && !/[\u4e00-\u9fff]/.test(document.querySelector('.sim-readout').innerText)"
                               " && document.querySelector('.sim-counters').innerText.includes('Centralised')",
                               timeout=10_000)
        assert page.evaluate(FIGURES_SHOWN) == figures_shown  # the same moment's figures, in the other language
        page.locator(".sim-play").click()
        at = shown(page)
        wait_until_shown(page, f"t > {at + 20}")
        page.screenshot(path=tmp_path / "app-screenshot.png")
        assert outside_viewport(page) == []  # two long names side by side still fit

        page.locator(".sim-play").click()  # the teacher pauses; a student's tab plays fast, then closes
        assert "Play" in page.inner_text(".sim-play")
        student = open_page(browser, url, [])
        student.get_by_role("button", name="1 day/s").click()
        busy = cpu(process, 3)
        wait_until_shown(student, f"t > {START + 12 * 60}")  # half a day on, at a day a second
        student.close()
        deadline = time.monotonic() + WAIT / 1000  # the server may still be finishing what the tab asked for
        while (idle := cpu(process, 3)) >= max(8.0, busy / 3) and time.monotonic() < deadline:
            pass
        assert idle < max(8.0, busy / 3), (busy, idle)
        assert "Traceback" not in page.inner_text("body")
        browser.close()
    assert errors == []
