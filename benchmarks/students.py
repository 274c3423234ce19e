"""A class of students on the teaching app's server, without their browsers.

    python benchmarks/students.py http://127.0.0.1:8765/ --students 30 --speed day --seconds 10 [--own-seeds] [--server-pid PID]

In a class each student's page draws on the student's own device, so what a class costs the
teacher's laptop is the server's work. Each simulated student does over the network what a page
does: it loads the page (which sets the session cookie), opens the kernel WebSocket, asks Solara
to run the app, and then asks the live view for packets as `live_view.vue` does: a `more` event
for half a second's worth of simulated time at 1 hour/s (two seconds' at 1 day/s) whenever less
than one and a half of those is left ahead of what the page shows, with one request in flight. The minutes the student is
shown advance at the chosen speed until they catch up with the last packet. On leaving, it closes
the socket and sends the close beacon a page sends on `pagehide`.

A class on the page's first settings shares one simulation on the server (sim/teaching/feed.py);
with `--own-seeds` each student first types a seed of its own into the sidebar and applies it, as
a class told to try different seeds does, so that every student runs a model of its own.

Prints `playing` once every student has had a packet it asked for, then measures for
`--seconds` and prints a JSON summary: per student the packets and simulated minutes shown per
second (mean and min), the reply time of `more` requests (p50/p90), this process's own CPU (it
must stay well below a core to be no bottleneck) and, given the server's pid, the server's CPU
over the window and its CPU milliseconds per packet asked here (whatever else the server did
in the window, say a teacher's page, counts too).
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import json
import math
import os
import sys
import time
import urllib.request
import uuid
from urllib.parse import urljoin, urlsplit

import psutil
import websockets

SPEEDS = {"hour": 60.0, "day": 1440.0}  # simulated minutes per second, as the page's speed buttons
PACKETS_PER_SECOND = {60.0: 2, 1440.0: 0.5}  # live_view.vue's at these speeds: half a second a packet, two at 1 day/s
AHEAD = 1.5  # the page asks again once less than this many requests' worth is left ahead of the clock
RESEND = 5.0  # seconds after which the page asks again though a request is still unanswered
FRAME = 1 / 60  # the page checks once a drawn frame
FIRST_OWN_SEED = 2  # the page opens on seed 1: with --own-seeds, student i applies seed 2 + i
TIMEOUT = 300.0  # seconds a student may take to connect and get its first packet on a busy server


def message(msg_type: str, content: dict) -> str:
    """A Jupyter message on the shell channel, as the page's kernel connection sends it."""
    return json.dumps({"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "",
                                  "session": "", "date": "", "version": "5.2"},
                       "parent_header": {}, "metadata": {}, "content": content, "buffers": [], "channel": "shell"})


class Student:
    """One page: its connection, the live view's widget and the page's pacing state."""

    def __init__(self, url: str, speed: float):
        self.url, self.speed = url, speed
        self.chunk = speed / PACKETS_PER_SECOND[speed]
        self.ws = None
        self.comm = None  # the live view's widget
        self.widgets: dict[str, dict] = {}  # every widget's first state, by its comm
        self.gen = self.last = None  # the model's generation; the last packet's simulated minute
        self.shown = self.stamp = 0.0  # simulated minute shown, and when it was brought up to date
        self.n = self.seq = 0
        self.inflight, self.asked, self.finished, self.missed = False, 0.0, False, False
        self.replies: list[tuple[float, float, float]] = []  # (when, seconds since asked, minute) of each answer
        self.playing = asyncio.Event()
        self.error: str | None = None

    def advance(self, now: float) -> float:
        """The minute shown now: the clock runs at the speed until it reaches the last packet."""
        if self.last is not None and not self.finished and self.shown < self.last:
            self.shown = min(self.last, self.shown + (now - self.stamp) * self.speed)
        self.stamp = now
        return self.shown

    async def connect(self) -> None:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar))

        def load() -> None:
            with opener.open(self.url, timeout=TIMEOUT) as reply:
                reply.read()

        await asyncio.to_thread(load)
        self.opener, self.cookie = opener, "; ".join(f"{c.name}={c.value}" for c in jar)
        parts = urlsplit(self.url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.kernel, self.page = str(uuid.uuid4()), str(uuid.uuid4())
        ws_url = urljoin(self.url, f"jupyter/api/kernels/{self.kernel}/channels?session_id={self.page}")
        ws_url = ("wss" if parts.scheme == "https" else "ws") + ws_url[len(parts.scheme):]
        self.ws = await websockets.connect(ws_url, origin=self.origin,
                                           additional_headers={"Cookie": self.cookie}, proxy=None,
                                           ping_interval=None, max_size=None, open_timeout=TIMEOUT)
        control = str(uuid.uuid4())
        await self.ws.send(message("kernel_info_request", {}))
        await self.ws.send(message("comm_open", {"comm_id": control, "target_name": "solara.control", "data": {}}))
        await self.ws.send(message("comm_msg", {"comm_id": control, "data": {
            "method": "run", "args": {"path": "/", "dark": False, "themes": None, "appName": None}}}))
        while True:  # the page's widgets, up to Solara's word that the app is on screen
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
            if self.handle(msg, time.perf_counter()) == "finished":
                break
        if self.comm is None:
            raise RuntimeError("the page has no live view")

    def handle(self, msg: dict, now: float) -> str | None:
        """Take in one message from the server; a packet for the live view is received as the page does."""
        kind, content = msg["header"]["msg_type"], msg["content"]
        data = content.get("data") or {}
        if kind == "comm_open":
            state = data.get("state", {})
            self.widgets[content["comm_id"]] = state
            if "packet" in state and "scene" in state:
                self.comm = content["comm_id"]
                self.receive(state["packet"], now)
        elif kind == "comm_msg":
            if data.get("method") == "finished":
                return "finished"
            if content["comm_id"] != self.comm:
                return None
            sent = data.get("content") or {}
            if data.get("method") == "custom" and sent.get("method") == "packet":  # a packet, as a message
                self.receive(sent["args"][0], now)
            elif data.get("method") == "update" and "packet" in data.get("state", {}):  # a new model's first
                self.receive(data["state"]["packet"], now)
        return None

    def receive(self, p: dict, now: float) -> None:
        """live_view.vue's `receive`, as far as pacing goes."""
        if p and p.get("error") and p.get("gen") == self.gen:
            self.error = p["error"]
            return
        if not p or not p.get("runs"):
            return
        self.advance(now)
        if p["gen"] != self.gen:
            self.shown, self.gen, self.inflight = p["t"], p["gen"], False
        elif p["full"]:
            self.shown = min(self.shown, p["t"])
        elif p["n"] != self.n + 1:  # a packet was missed: ask for a complete one
            self.n, self.missed = p["n"], True
            return
        self.n = p["n"]
        if p.get("seq") == self.seq and self.seq > 0:
            self.inflight = False
            self.replies.append((now, now - self.asked, p["t"]))
            self.playing.set()
        self.last = p["t"]
        self.finished = bool(p.get("finished"))
        if p.get("error"):
            self.error = p["error"]

    async def ask(self, now: float, minutes: float, full: bool = False) -> None:
        self.seq += 1
        self.inflight, self.asked = True, now
        data = {"gen": self.gen, "seq": self.seq, "minutes": minutes, **({"full": True} if full else {})}
        await self.ws.send(message("comm_msg", {"comm_id": self.comm, "data": {
            "method": "custom", "content": {"event": "more", "data": data}}}))

    def wait(self, now: float) -> float | None:
        """Seconds until the page would ask for the next packet (0: now), or None: not before a packet comes."""
        if self.last is None or self.finished:
            return None
        left = (self.last - self.advance(now)) - AHEAD * self.chunk
        ahead = max(0.0, left / self.speed)
        if self.inflight:
            ahead = max(ahead, self.asked + RESEND - now)
        return 0.0 if ahead <= 0 else math.ceil(ahead / FRAME) * FRAME

    async def play(self, until: float) -> None:
        while (now := time.perf_counter()) < until:
            if self.missed:
                self.missed = False
                await self.ask(now, 0.0, full=True)
                continue
            wait = self.wait(now)
            if wait == 0:
                await self.ask(now, self.chunk)
                continue
            try:
                raw = await asyncio.wait_for(self.ws.recv(), until - now if wait is None else min(until - now, wait))
            except TimeoutError:
                continue
            self.handle(json.loads(raw), time.perf_counter())

    async def reseed(self, seed: int) -> None:
        """Type `seed` into the sidebar's seed field, leave the field and press Reset, as a student
        does; back once the new model's first packet has come."""
        field = next(c for c, st in self.widgets.items() if str(st.get("label", "")).startswith("Seed"))
        reset = next(c for c, st in self.widgets.items() if "sim-reset" in str(st.get("class_", "")))
        await self.ws.send(message("comm_msg", {"comm_id": field, "data": {
            "method": "update", "state": {"v_model": str(seed)}, "buffer_paths": []}}))
        for comm, event in ((field, "focusout"), (reset, "click")):
            await self.ws.send(message("comm_msg", {"comm_id": comm, "data": {
                "method": "custom", "content": {"event": event, "data": {}}}}))
        old = self.gen
        while self.gen == old:
            self.handle(json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT)), time.perf_counter())

    async def leave(self) -> None:
        """Close the socket, then send the close beacon, as a closed tab does."""
        if self.ws is None:
            return
        await self.ws.close()
        request = urllib.request.Request(urljoin(self.url, f"_solara/api/close/{self.kernel}?session_id={self.page}"),
                                         data=b"", method="POST", headers={"Origin": self.origin})
        try:
            await asyncio.to_thread(lambda: self.opener.open(request, timeout=10).close())
        except OSError:
            pass


def quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def session(student: Student, started: asyncio.Event, until: list[float], seed: int | None) -> None:
    """A student's whole visit: connect, take a seed of its own if given one, play until the measured
    window ends, leave."""
    try:
        await student.connect()
        if seed is not None:
            await student.reseed(seed)
        while not started.is_set():  # playing until the whole class is
            await student.play(time.perf_counter() + 0.25)
        await student.play(until[0])
    except Exception as exc:  # a student who cannot connect is reported, not the end of the class
        student.error = f"{type(exc).__name__}: {exc}"
        student.playing.set()
    finally:
        await student.leave()


async def run_class(url: str, students: int, speed: float, seconds: float, server_pid: int | None,
                    own_seeds: bool = False) -> dict:
    server = psutil.Process(server_pid) if server_pid else None
    class_ = [Student(url, speed) for _ in range(students)]
    started, until = asyncio.Event(), [math.inf]
    tasks = [asyncio.create_task(session(s, started, until, FIRST_OWN_SEED + i if own_seeds else None))
             for i, s in enumerate(class_)]
    await asyncio.wait([asyncio.create_task(s.playing.wait()) for s in class_], timeout=TIMEOUT)
    for s in class_:
        if not s.playing.is_set():
            s.error = f"no packet within {TIMEOUT:.0f} s"
    print("playing", flush=True)
    t0 = time.perf_counter()
    until[0] = t0 + seconds
    started.set()
    shown0 = [s.advance(t0) for s in class_]
    cpu0, server0 = time.process_time(), sum(server.cpu_times()[:2]) if server else 0.0
    await asyncio.sleep(seconds)
    t1 = time.perf_counter()
    wall = t1 - t0
    cpu1, server1 = time.process_time(), sum(server.cpu_times()[:2]) if server else 0.0
    shown1 = [s.advance(t1) for s in class_]
    await asyncio.gather(*tasks)
    ok = [i for i, s in enumerate(class_) if s.error is None]
    packets = [sum(1 for when, _, _ in class_[i].replies if t0 <= when <= t1) for i in ok]
    minutes = [(shown1[i] - shown0[i]) / wall for i in ok]
    latency = [1000 * took for i in ok for when, took, _ in class_[i].replies if t0 <= when <= t1]
    out = {"students": students, "connected": len(ok), "own_seeds": own_seeds, "speed_sim_minutes_per_s": speed,
           "seconds": round(wall, 2),
           "packets_per_s": {"mean": round(sum(packets) / len(ok) / wall, 2) if ok else None,
                             "min": round(min(packets) / wall, 2) if ok else None},
           "sim_minutes_per_s": {"mean": round(sum(minutes) / len(ok), 1) if ok else None,
                                 "min": round(min(minutes), 1) if ok else None},
           "reply_ms": {"p50": _round(quantile(latency, 0.5)), "p90": _round(quantile(latency, 0.9))},
           "generator_cpu_percent": round(100 * (cpu1 - cpu0) / wall, 1),
           "load_average": round(os.getloadavg()[0], 1)}
    if server:
        out["server_cpu_percent"] = round(100 * (server1 - server0) / wall, 1)
        out["server_cpu_ms_per_packet"] = _round(1000 * (server1 - server0) / sum(packets)) if sum(packets) else None
    errors = sorted({s.error for s in class_ if s.error})
    if errors:
        out["errors"] = errors
    return out


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the app's address, e.g. http://127.0.0.1:8765/")
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--speed", choices=sorted(SPEEDS), default="hour", help="1 hour or 1 day per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to measure once all are playing")
    parser.add_argument("--own-seeds", action="store_true", help="each student applies a seed of its own first")
    parser.add_argument("--server-pid", type=int, help="the server's process, for its CPU")
    args = parser.parse_args()
    url = args.url if args.url.endswith("/") else args.url + "/"
    summary = asyncio.run(run_class(url, args.students, SPEEDS[args.speed], args.seconds, args.server_pid,
                                    args.own_seeds))
    print(json.dumps(summary), flush=True)
    sys.exit(0 if summary["connected"] == args.students else 1)


if __name__ == "__main__":
    main()
