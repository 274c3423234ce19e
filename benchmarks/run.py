"""Speed and memory figures, printed beside their targets (never asserted by a unit test).

    ./run.sh bench                 # every benchmark (python benchmarks/run.py in the environment)
    ./run.sh bench --only ciw      # one of: ciw, default, warm, area, growth, parallel, sensitivity, app, roads
    ./run.sh bench --json

Each case runs in a fresh process so peak memory is its own. Wall times are also given as a
ratio to a fixed pure-Python workload timed in the same command (`machine`), so figures taken
on a busy or different machine can still be compared.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DINGSHAN = ROOT / "scenarios" / "dingshan.toml"
CENTRALISED = ROOT / "scenarios" / "centralised.toml"
MODELS = ("centralised", "dingshan", "dachang", "xiaoding")


def machine_baseline(customers: int = 200_000) -> float:
    """Seconds for a bare heapq M/M/3 queue at utilisation 0.8: the machine's yardstick."""
    rng = random.Random(1)
    free = [0.0, 0.0, 0.0]
    t = 0.0
    start = time.perf_counter()
    for _ in range(customers):
        t += rng.expovariate(2.4)
        begin = max(t, free[0])
        heapq.heapreplace(free, begin + rng.expovariate(1.0))
    return time.perf_counter() - start


def run_case(scenario: Path, overrides: list[str]) -> dict:
    """One simulation in a child process: wall time, peak memory and requests."""
    code = (
        "import json, resource, sys, time\n"
        "t0 = time.perf_counter()\n"
        "import sim\n"
        "m = sim.GovernanceModel(sim.load(sys.argv[1], sys.argv[2:]))\n"
        "t1 = time.perf_counter(); m.run(); t2 = time.perf_counter()\n"
        "r = sim.measure(m); t3 = time.perf_counter()\n"
        "print(json.dumps({'residents': len(m.home), 'requests': len(r.requests), 'build_s': t1 - t0,"
        " 'run_s': t2 - t1, 'metrics_s': t3 - t2, 'wall_s': t3 - t0,"
        " 'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(scenario), *overrides], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    case = json.loads(out.stdout)
    case["requests_per_s"] = case["requests"] / case["wall_s"]
    return case


def bench_default(base: float) -> dict:
    case = run_case(DINGSHAN, [])
    return {"case": "Dingshan street, 13 weeks (+2 warm-up, 8 drain)", **case,
            "target": "wall < 3 s", "ratio_to_machine": case["wall_s"] / base}


def bench_warm(base: float, runs: int = 5) -> dict:
    """A warm worker's run of Dingshan street (13 weeks, the default scenario), as the runner's
    worker processes do them one after another: `execute` loads the scenario, builds, runs and
    measures the model and makes the distributions. In one fresh process: the first run after
    the imports, then the best (and median) of `runs` with the seed of a run already done (the
    territory is reused, as for replicate r of every policy) and with new seeds (built again)."""
    code = (
        "import json, statistics, sys, time\n"
        "t0 = time.perf_counter()\n"
        "from sim.runs.runner import Task, execute\n"
        "t1 = time.perf_counter()\n"
        "path, runs = sys.argv[1], int(sys.argv[2])\n"
        "def timed(seed):\n"
        "    start = time.perf_counter(); outcome = execute(Task('warm', 0, seed, path))\n"
        "    assert outcome.error is None, outcome.error\n"
        "    return time.perf_counter() - start\n"
        "first = timed(1)\n"
        "same = [timed(1) for _ in range(runs)]\n"
        "new = [timed(100 + k) for k in range(runs)]\n"
        "print(json.dumps({'imports_s': t1 - t0, 'first_run_s': first, 'same_seed_best_s': min(same),"
        " 'same_seed_median_s': statistics.median(same), 'new_seed_best_s': min(new),"
        " 'new_seed_median_s': statistics.median(new), 'runs': runs}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(DINGSHAN), str(runs)], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    case = json.loads(out.stdout)
    return {"case": "Dingshan street, 13 weeks, in a warm worker (runner.execute)", **case,
            "target": "same_seed_best_s about 0.5 s or less",
            "ratio_to_machine": case["same_seed_best_s"] / base,
            "speed_up_over_first_run": case["first_run_s"] / case["same_seed_best_s"]}


def bench_ciw(base: float, repeats: int = 3) -> dict:
    """Customers per second on M/M/3 at utilisation 0.8 (~200,000 customers): this model reduced
    to one queue (scenarios/queueing/mmc.toml) against Ciw on the same workload, same command,
    each the best of `repeats` (the usual way to time code on a shared machine).
    Both clocks cover drawing the customers, simulating them and having a record of each: for
    Ciw building the network and simulating; for this model building it (territory, needs,
    draws, choices), running it and making the request table."""
    code = (
        "import json, sys, time\n"
        "import ciw\n"
        "import sim\n"
        "ciw_s, model_s = [], []\n"
        "for repeat in range(int(sys.argv[2])):\n"
        "    t0 = time.perf_counter()\n"
        "    net = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(2.4)],"
        " service_distributions=[ciw.dists.Exponential(1.0)], number_of_servers=[3])\n"
        "    ciw.seed(1); q = ciw.Simulation(net); q.simulate_until_max_time(200000 / 2.4)\n"
        "    t1 = time.perf_counter(); n_ciw = len(q.get_all_records())\n"
        "    scenario = sim.load(sys.argv[1], ['run.weeks=82', 'run.warmup_weeks=0', 'run.drain_weeks=0.1'])\n"
        "    t2 = time.perf_counter(); m = sim.GovernanceModel(scenario)\n"
        "    t3 = time.perf_counter(); m.run()\n"
        "    t4 = time.perf_counter(); table = m.request_table(); t5 = time.perf_counter()\n"
        "    ciw_s.append(t1 - t0); model_s.append((t5 - t2, t3 - t2, t4 - t3, t5 - t4))\n"
        "best = min(model_s)\n"
        "print(json.dumps({'ciw_customers': n_ciw, 'ciw_per_s': n_ciw / min(ciw_s), 'model_customers': len(table),"
        " 'model_per_s': len(table) / best[0], 'model_build_s': best[1], 'model_run_s': best[2],"
        " 'model_table_s': best[3], 'events_run_only_per_s': len(table) / best[2], 'repeats': len(ciw_s)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(ROOT / "scenarios" / "queueing" / "mmc.toml"), str(repeats)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    case = json.loads(out.stdout)
    return {**case, "ratio_to_ciw": case["model_per_s"] / case["ciw_per_s"], "target": "ratio_to_ciw >= 5"}


AREA = ["territory.preset=\"jiangbei\"", "run.weeks=52"]


def bench_area(base: float) -> dict:
    out = {}
    for model in MODELS:
        case = run_case(ROOT / "scenarios" / f"{model}.toml", AREA)
        out[model] = {**case, "target": "wall < 60 s, peak < 3000 MB", "ratio_to_machine": case["wall_s"] / base}
    return out


def bench_growth(base: float, repeats: int = 3) -> dict:
    """Cost against size: the fitted exponent of wall time (the simulation itself, and the whole
    process) and memory in residents (1 = linear), each size's best of `repeats` fresh processes. The territory grows by adding streets of
    105,425 residents each (1/8 of the directly managed area), so every service point keeps the
    same load: shrinking one territory's population instead would also change its queues, and
    the cost of a busier model is not the cost of a bigger one. The centralised policy keeps
    every point's load fixed; a rota's load depends on how specialists are shared out."""
    rows = []
    for streets in (1, 2, 4, 8):
        grown = ['territory.preset="synthetic"', f"territory.streets_count={streets}", "territory.population=105425",
                 "territory.communities_per_street=5", "territory.area_km2=31.4", "run.weeks=52"]
        cases = [run_case(CENTRALISED, grown) for _ in range(repeats)]
        best = {key: min(c[key] for c in cases) for key in ("run_s", "wall_s", "peak_mb")}
        best["requests_per_s"] = cases[0]["requests"] / best["wall_s"]
        rows.append({"streets": streets, **cases[0], **best})

    def slope(key: str) -> float:
        xs = [math.log(r["residents"]) for r in rows]
        ys = [math.log(r[key]) for r in rows]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)

    return {"rows": rows, "run_exponent": slope("run_s"), "wall_exponent": slope("wall_s"),
            "memory_exponent": slope("peak_mb"), "target": "exponents <= 1 (no faster than linear)"}


HEADLINE = ROOT / "experiments" / "authorisation.toml"


def bench_parallel(base: float) -> dict:
    """Runs per minute of the headline experiment (street scale) with 1 and 2 local workers, and
    with 2 Dask workers on a LocalCluster started before the clock, as a user's cluster would be.

    Driven from this process (the runs happen in worker processes); each way writes to a fresh
    folder, so every run is done. Efficiency is the speed-up over 1 local worker divided by 2, for
    2 local workers and for the 2 Dask workers."""
    sys.path.insert(0, str(ROOT))
    from sim.studies.experiment import load_design, tasks_for
    from sim.runs.runner import replicate_seeds

    exp, cells = load_design(HEADLINE)
    tasks, _ = tasks_for(exp, cells, replicate_seeds(exp.seed, exp.replicates))
    out: dict = {"experiment": str(HEADLINE.relative_to(ROOT)), "runs": len(tasks), **three_ways(tasks)}
    out["target"] = "parallel_efficiency and dask_efficiency >= 0.8 with 2 workers, identical_results"
    out["ratio_to_machine"] = out["workers_2"]["wall_s"] / base
    return out


def three_ways(tasks: list) -> dict:
    """The same runs with 1 and 2 local workers and with 2 Dask workers on a LocalCluster started
    before the clock (as a user's cluster would be), each into a fresh folder: wall times, runs per
    minute, the efficiencies (speed-up over 1 local worker, over 2) and whether the runs tables agree."""
    import tempfile

    from distributed import LocalCluster

    sys.path.insert(0, str(ROOT))
    from sim.runs.runner import run_tasks, runs_table

    out: dict = {}
    tables = {}
    with tempfile.TemporaryDirectory(prefix="bench-ways-") as tmp:
        def timed(name: str, **how) -> None:
            start = time.perf_counter()
            log = run_tasks(tasks, Path(tmp) / name, progress=False, **how)
            wall = time.perf_counter() - start
            out[name] = {"wall_s": wall, "runs_per_min": 60 * log.ran / wall, "failed": len(log.failed)}
            tables[name] = runs_table(Path(tmp) / name, tasks)

        timed("workers_1", workers=1)
        timed("workers_2", workers=2)
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster:
            timed("dask_2", dask=cluster.scheduler_address)
    out["parallel_efficiency"] = out["workers_1"]["wall_s"] / out["workers_2"]["wall_s"] / 2
    out["dask_efficiency"] = out["workers_1"]["wall_s"] / out["dask_2"]["wall_s"] / 2
    out["dask_overhead"] = out["dask_2"]["wall_s"] / out["workers_2"]["wall_s"] - 1
    out["identical_results"] = all(t.equals(tables["workers_1"]) for t in tables.values())
    return out


def bench_roads(base: float, repeats: int = 5) -> dict:
    """What travel along the roads costs at Dingshan scale: building the territory and the
    distance tables from every home (the network, and one Dijkstra search per service point)
    with the generated roads and with straight lines x circuity, each the best of `repeats` in
    one process, against the wall time of a whole Dingshan run with roads (a fresh process).
    The run itself reads the same tables either way."""
    code = (
        "import json, sys, time\n"
        "import numpy as np\n"
        "import sim\n"
        "from sim.engine.build import _territory_cfg\n"
        "from sim.engine.travel import home_distances\n"
        "from sim.world.territory import build_territory\n"
        "best = {}\n"
        "for source in ('layout', 'none') * int(sys.argv[2]):\n"
        "    sc = sim.load(sys.argv[1], [f'territory.roads.source=\"{source}\"'])\n"
        "    t0 = time.perf_counter()\n"
        "    home_distances(build_territory(_territory_cfg(sc['territory']), np.random.default_rng(1), 'x'))\n"
        "    best[source] = min(best.get(source, 1e9), time.perf_counter() - t0)\n"
        "print(json.dumps(best))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(DINGSHAN), str(repeats)], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    built = json.loads(out.stdout)
    run = run_case(DINGSHAN, [])
    cost = max(0.0, built["layout"] - built["none"])
    return {"case": "Dingshan street, 13 weeks: territory and home distances with roads vs straight lines",
            "territory_and_distances_s": built, "roads_cost_s": cost, "run_wall_s": run["wall_s"],
            "roads_share_of_run": cost / run["wall_s"], "target": "roads_share_of_run < 0.10",
            "ratio_to_machine": run["wall_s"] / base}


SENSITIVITY = ROOT / "experiments" / "sensitivity.toml"
MEASURED_TRAJECTORIES = 1


def bench_sensitivity(base: float) -> dict:
    """Morris screening of every ranged assumption, four policies paired, Dingshan street, 13 weeks
    (experiments/sensitivity.toml's Morris design): the first trajectory's runs timed with 1 and 2
    local workers and with 2 Dask workers on a LocalCluster (started before the clock), then the
    whole design's time extrapolated from the 2-worker run, beside `--plan`'s estimate. The three
    ways must give identical runs tables."""
    sys.path.insert(0, str(ROOT))
    from sim.studies.sensitivity import build, estimate_seconds

    plan = build(SENSITIVITY)
    morris = [t for t in plan.tasks if t.label.startswith("m")]
    per_trajectory = len(morris) // plan.study.trajectories
    timed = morris[: MEASURED_TRAJECTORIES * per_trajectory]
    estimate, _ = estimate_seconds(plan, None)
    ways = three_ways(timed)
    whole = ways["workers_2"]["wall_s"] * len(morris) / len(timed)
    return {"design": str(SENSITIVITY.relative_to(ROOT)), "assumptions": len(plan.ranges),
            "trajectories": plan.study.trajectories, "morris_runs": len(morris), "timed_runs": len(timed), **ways,
            "morris_minutes_extrapolated": whole / 60, "plan_estimate_minutes": estimate * len(morris) / 2 / 60,
            "target": "Morris screening (10 trajectories, four policies) < 20 min on 2 cores; "
                      "Dask with 2 workers gives identical runs",
            "ratio_to_machine": ways["workers_2"]["wall_s"] / base}


STUDENTS = (10, 20, 30)  # simulated students beside the teacher's page, for the "a class on one laptop server" limit
STUDENT_SPEEDS = {"hour": "1 hour/s", "day": "1 day/s"}
CLASSES = {"": "on the page's first settings", "_own_seeds": "each on a seed of its own"}  # shared model, or one each
TEACHER_SPEED = 60.0  # simulated minutes per second at the page's first speed, 1 hour per second


def bench_app(base: float, seconds: float = 8.0) -> dict:
    """The teaching app's server with a class on it: the teacher's page in headless Chromium at
    1280x720, two models side by side, playing at 1 hour per second, alone and then beside 10, 20
    and 30 simulated students (benchmarks/students.py: each a page's requests over Solara's
    WebSocket, without a browser), with the students at 1 hour per second and at 1 day per
    second, first on the page's first settings (the class shares the teacher's simulation) and
    then each on a seed of its own (a model each: the most the server can be asked). In a class
    each student's page draws on the student's own device, so only the server's work is put on
    this machine beside the teacher's browser.

    For each: the teacher's frames drawn per second, the drawing script's milliseconds per frame
    and the simulated minutes the teacher sees per second (asked: 60); the students' packets and
    simulated minutes per second (mean and slowest), the reply time of their requests and the
    generator's own CPU; the server's CPU (% of one core: Solara serves every page from one
    Python process, whose interpreter lock lets it use about one core at most) and its CPU
    milliseconds per packet, the teacher's and the students' packets together. `class_limit` per student speed is the most students with which the teacher still
    sees at least 90% of its speed and 15 frames/s. The server's CPU a few seconds after the
    students left shows whether it falls back to the teacher's share."""
    import socket
    import tempfile
    import urllib.request

    import psutil
    from playwright.sync_api import sync_playwright

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        return {"skipped": "Debian's chromium is not installed (apt-get install chromium)"}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen([sys.executable, "-m", "sim", "app", "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    process = psutil.Process(server.pid)
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    out: dict = {"viewport": "1280x720", "cpus": psutil.cpu_count()}

    def server_cpu(wait: float) -> float:
        process.cpu_percent(None)
        time.sleep(wait)
        return round(process.cpu_percent(None), 1)

    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                time.sleep(0.3)

        def shown(page) -> float:
            return page.evaluate("window.simT || 0")

        def measure(teacher) -> dict:
            frames, start_t, drawing = teacher.evaluate("window.simFrames"), shown(teacher), teacher.evaluate("window.simDrawMs")
            cpu = sum(process.cpu_times()[:2])
            start = time.perf_counter()
            teacher.wait_for_timeout(seconds * 1000)
            wall = time.perf_counter() - start
            cpu = sum(process.cpu_times()[:2]) - cpu
            drawn = teacher.evaluate("window.simFrames") - frames
            return {"frames_per_s": round(drawn / wall, 1),
                    "script_ms_per_frame": round((teacher.evaluate("window.simDrawMs") - drawing) / max(drawn, 1), 2),
                    "sim_minutes_per_s": round((shown(teacher) - start_t) / wall, 1),
                    "server_cpu_percent": round(100 * cpu / wall, 1), "server_cpu_s": cpu, "wall_s": wall,
                    "load_average": round(os.getloadavg()[0], 1)}

        def per_packet(figures: dict, student_packets: float) -> dict:
            """The server's CPU ms per packet, the teacher's and the students' together; the page, as a
            simulated student, asks for 1 / PACKETS_PER_SECOND of a second's worth at a time at its speed."""
            from students import PACKETS_PER_SECOND  # benchmarks/, beside this script

            cpu, wall = figures.pop("server_cpu_s"), figures.pop("wall_s")
            rate = PACKETS_PER_SECOND[TEACHER_SPEED]
            teacher_packets = figures["sim_minutes_per_s"] * wall / (TEACHER_SPEED / rate)
            figures["server_cpu_ms_per_packet"] = round(1000 * cpu / max(teacher_packets + student_packets * wall, 1), 1)
            return figures

        def with_class(teacher, students: int, speed: str, own: str) -> dict:
            cmd = [sys.executable, str(ROOT / "benchmarks" / "students.py"), url, "--students", str(students),
                   "--speed", speed, "--seconds", str(seconds + 2), "--server-pid", str(server.pid),
                   *(["--own-seeds"] if own else [])]
            generator = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
            try:
                if generator.stdout.readline().strip() != "playing":
                    return {"error": "the students did not get to play"}
                teacher.wait_for_timeout(1000)
                figures = measure(teacher)
                summary = json.loads(generator.stdout.readline())
            finally:
                generator.wait(timeout=300)
            rate = summary["packets_per_s"]["mean"] or 0.0
            return {**per_packet(figures, rate * summary["connected"]), "students": summary,
                    "server_rss_mb": round(process.memory_info().rss / 2**20)}

        with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
            browser = p.chromium.launch_persistent_context(profile, executable_path=str(chromium), args=args,
                                                           viewport={"width": 1280, "height": 720})
            teacher = browser.new_page()
            teacher.goto(url)
            teacher.wait_for_selector("canvas.sim-map", timeout=180_000)
            teacher.wait_for_timeout(1500)
            out["teacher_alone"] = per_packet(measure(teacher), 0.0)
            for own, settings in CLASSES.items():
                for speed, label in STUDENT_SPEEDS.items():
                    limit, keeping_up = 0, True
                    for total in STUDENTS:
                        figures = out[f"students_{total}_at_{speed}{own}"] = with_class(teacher, total, speed, own)
                        keeping_up = (keeping_up and figures.get("sim_minutes_per_s", 0) >= 0.9 * TEACHER_SPEED
                                      and figures.get("frames_per_s", 0) >= 15)
                        limit = total if keeping_up else limit
                    out[f"class_limit_at_{speed}{own}"] = (
                        f"{limit} students at {label} {settings} keep the teacher at >= 90% speed and >= 15 frames/s"
                        if limit else f"fewer than {STUDENTS[0]} students at {label} {settings}")
                    time.sleep(2)  # the last class has left
                    out[f"server_cpu_percent_after_students_at_{speed}{own}_left"] = server_cpu(3)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    out["target"] = (">= 15 frames/s with two models side by side; teacher's sim_minutes_per_s >= 54 with 30 "
                     "students")
    return out


BENCHMARKS = {"ciw": bench_ciw, "default": bench_default, "warm": bench_warm, "area": bench_area,
              "growth": bench_growth, "parallel": bench_parallel, "sensitivity": bench_sensitivity, "app": bench_app,
              "roads": bench_roads}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    base = machine_baseline()
    report = {"machine_baseline_s": base}
    for name in args.only or BENCHMARKS:
        report[name] = BENCHMARKS[name](base)
        if not args.json:
            print(f"== {name}", json.dumps(report[name], indent=1))
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(f"machine baseline (heapq M/M/3, 200,000 customers): {base:.3f} s")


if __name__ == "__main__":
    main()
