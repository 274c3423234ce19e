"""What the teaching app sends the browser, which draws the maps and charts itself.

Drawing in the browser keeps motion smooth and the server light: the territory is sent once
(`scene`), then each frame carries only what changed since the last one (`Stream.frame`):
residents whose place or state moved, the trips they have planned (start, arrival, where to)
so the browser can move them along the road between packets, staff, queue badges, new points
of the running means, and the readouts and figures table in every language, so that a page
switches language by itself, for the moment it shows. A page gets frames as numbered packets
(`Pager`). Positions are screen km: a street taller than wide is turned a quarter turn, so that
two maps stack and stay readable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy.spatial import ConvexHull, QhullError
from shapely import MultiLineString, line_merge

from sim.clock import DAY
from sim.present.labels import app_words, scenario_name, value_text
from sim.present.text import LANGS
from sim.teaching.live import IN_PROGRESS, QUEUEING, SERVED, TRAVELLING, WAITING, LiveModel, Run, View

SETTLED = 0.9  # a day's requests count towards the time-to-done readout once this share of them is done
ROAD_KINDS = {"main": 2, "street": 1}  # how wide the map draws a road class; any other class is a lane
SIMPLIFY = 0.25  # a district's outlines and roads are simplified to this share of a map unit (about a pixel)


class Orientation:
    """Turns territory km into screen km: a street taller than wide is turned a quarter turn."""

    def __init__(self, territory):
        box = territory.street_box
        self.lo, self.hi = box[:, :2].min(axis=0), box[:, 2:].max(axis=0)
        w, h = self.hi - self.lo
        self.turn = h > w
        self.size = np.array([h, w] if self.turn else [w, h])

    def __call__(self, xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, dtype=float).reshape(-1, 2) - self.lo
        return np.column_stack([xy[:, 1], self.hi[0] - self.lo[0] - xy[:, 0]]) if self.turn else xy


def _round(a) -> list:
    return np.round(np.asarray(a, dtype=float), 3).tolist()


def geometry(live: LiveModel) -> dict:
    """A district's own geometry, sent once per model whatever the language: each community's
    polygons and the roads by class, in screen km, simplified to about a pixel (a large district
    stays a small message). A generated layout has none: the map draws areas around its buildings."""
    terr = live.runs[0].model.territory if live.runs else None
    if terr is None or terr.community_shapes is None:
        return {}
    orient = Orientation(terr)
    tolerance = SIMPLIFY * float(max(orient.size)) / 160
    areas = []
    for shape in terr.community_shapes:
        simple = shape.simplify(tolerance, preserve_topology=True)
        areas.append([_round(orient(np.asarray(part.exterior.coords)[:, :2]))
                      for part in getattr(simple, "geoms", [simple])])
    roads = []
    if terr.roads is not None:
        graph = terr.roads.graph
        by_class: dict[str, list] = {}
        for a, b, data in graph.edges(data=True):
            by_class.setdefault(data["cls"], []).append([(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in (a, b)])
        for cls in sorted(by_class, key=lambda c: ROAD_KINDS.get(c, 0)):  # main roads drawn last, on top
            merged = line_merge(MultiLineString(by_class[cls])).simplify(tolerance)
            roads += [[ROAD_KINDS.get(cls, 0), _round(orient(np.asarray(line.coords)))]
                      for line in getattr(merged, "geoms", [merged])]
    return {"areas": areas, "roads": roads}


def scene(live: LiveModel, lang: str) -> dict:
    """The static maps, once per model and language: territory outline, community areas,
    buildings, grids, stations and street centres, each map under its policy's name."""
    if not live.runs:
        return {"w": 1.0, "h": 1.0, "unit": 0.01, "maps": []}
    terr = live.runs[0].model.territory
    orient = Orientation(terr)
    w, h = orient.size
    unit = max(w, h) / 160
    buildings, stations, streets = orient(terr.building_xy), orient(terr.community_xy), orient(terr.street_xy)
    zones = []
    for c in range(len(stations) if terr.community_shapes is None else 0):
        zone = _zone(np.vstack([buildings[terr.building_community == c], stations[c]]), unit * 2.5)
        if zone is not None:
            zones.append(_round(zone))
    zh = lang == "zh"
    names = terr.community_names_zh if zh else terr.community_names_en
    street_names = terr.street_names_zh if zh else terr.street_names_en
    return {"w": float(w), "h": float(h), "unit": float(unit), "zones": zones,
            "buildings": _round(np.column_stack([buildings, terr.building_pop / terr.building_pop.max()])),
            "grids": _round(orient(terr.grid_xy)),
            "stations": [[*xy, _short(name, street_names[s], zh)]
                         for xy, name, s in zip(_round(stations), names, terr.community_street)],
            "streets": [[*xy, name] for xy, name in zip(_round(streets), street_names)],
            "maps": [{"title": scenario_title(run.meta, lang)} for run in live.runs]}


def scenario_title(meta: dict, lang: str) -> str:
    """'Dingshan 事项授权专员，派驻社区办理' in English, the Chinese name alone in Chinese."""
    zh = scenario_name(meta, "zh", short=True)
    return zh if lang == "zh" else f"{scenario_name(meta, 'en')}  {zh}"


@dataclass(frozen=True)
class Frame:
    """What the models look like at one moment, for the browser: per run what changed since the
    previous frame (or everything, when `full`), and the readouts and figures table in every
    language."""

    t: float
    full: bool
    finished: bool
    runs: list[dict]
    readout: dict[str, list[str]]  # language -> one sentence per headline figure
    counters: dict[str, list[list[str]]]  # language -> the figures table

    def quiet(self) -> Frame:
        """The same moment again with nothing changed: what a page gets that asks for no time, or
        for time past the end."""
        runs = [{**run, "upd": [], "del": [], "cohorts": {}, "means": []} for run in self.runs]
        return replace(self, full=False, runs=runs)


def combine(frames: list[Frame]) -> Frame:
    """Frames one after the other, the first complete, as one complete frame at the last one's
    moment: what the browser holds after receiving them all."""
    first, last = frames[0], frames[-1]
    runs = []
    for i, run in enumerate(first.runs):
        records = {rec[0]: rec for rec in run["upd"]}
        cohorts, means = dict(run["cohorts"]), list(run["means"])
        for frame in frames[1:]:
            step = frame.runs[i]
            for rid in step["del"]:
                records.pop(rid, None)
            records.update((rec[0], rec) for rec in step["upd"])
            cohorts.update(step["cohorts"])
            means.extend(step["means"])
        runs.append({**last.runs[i], "upd": list(records.values()), "del": [], "cohorts": cohorts, "means": means})
    return replace(last, full=True, runs=runs)


class Pager:
    """One page's packets: numbered, and with the figures table only when it changed for that page."""

    def __init__(self):
        self.n = 0
        self.counters: dict | None = None

    def packet(self, frame: Frame) -> dict:
        self.n += 1
        out = {"n": self.n, "full": frame.full, "t": frame.t, "finished": frame.finished, "runs": frame.runs,
               "readout": frame.readout}
        if frame.full or frame.counters != self.counters:
            out["counters"] = self.counters = frame.counters
        return out


class Stream:
    """Frames of one LiveModel: the first is complete, each later one holds what changed since the
    previous one."""

    def __init__(self, live: LiveModel):
        self.live = live
        self.orient = Orientation(live.runs[0].model.territory)  # a model with an error has no page to stream to
        self.unit = float(max(self.orient.size) / 160)
        # each run's street centres then community stations, where the queue badges go
        self.points = [_round(self.orient(np.vstack([p.xy for p in run.model.streets + run.model.communities])))
                       for run in live.runs]
        n = len(live.runs)
        self.full = True  # nothing sent yet
        self.sent: list[dict[int, tuple]] = [{} for _ in range(n)]
        self.sent_cohorts = [np.full((0, 2), np.nan) for _ in range(n)]
        self.sent_means = [0] * n

    def frame(self) -> Frame:
        live = self.live
        with live.lock:
            views = [run.view() for run in live.runs]
            runs = [self._run_packet(i, run, view) for i, (run, view) in enumerate(zip(live.runs, views))]
            frame = Frame(t=live.clock, full=self.full, finished=not live.running, runs=runs,
                          readout={lang: readouts(live, lang) for lang in LANGS},
                          counters={lang: counter_rows(live, views, lang) for lang in LANGS})
        self.full = False
        return frame

    def _run_packet(self, i: int, run: Run, view: View) -> dict:
        xy, home = _placed(view, self.orient, self.unit)
        trip = view.trip.copy()
        has_trip = ~np.isnan(trip[:, 0])
        trip[has_trip, 2:] = self.orient(trip[has_trip, 2:])
        moving = view.state == TRAVELLING  # on the road from the spot the resident is drawn at home
        share = (view.t - trip[moving, 0]) / np.maximum(trip[moving, 1] - trip[moving, 0], 1e-9)
        xy[moving] = home[moving] + np.clip(share, 0, 1)[:, None] * (trip[moving, 2:] - home[moving])
        recs: list[tuple] = [(x, y, state) for (x, y), state in zip(_round(xy), view.state.tolist())]
        planned = np.flatnonzero(has_trip)
        for k, (t0, t1), (hx, hy), (tx, ty) in zip(planned.tolist(), trip[planned, :2].tolist(),
                                                   _round(home[planned]), _round(trip[planned, 2:])):
            recs[k] += (round(t0, 1), round(t1, 1), hx, hy, tx, ty)
        records = dict(zip(view.rid.tolist(), recs))
        before = self.sent[i]
        upd = [[rid, *rec] for rid, rec in records.items() if before.get(rid) != rec]
        gone = [rid for rid in before if rid not in records]
        self.sent[i] = records
        held = np.concatenate([np.zeros(len(run.model.streets), dtype=int), view.held]).astype(int).tolist()
        queue = view.queue.astype(int).tolist()
        badges = [[x, y, q, h] for (x, y), q, h in zip(self.points[i], queue, held) if q or h]
        return {
            "upd": upd, "del": gone, "badges": badges,
            "workers": [[x, y, out] for (x, y), out in zip(_round(self.orient(view.worker_xy)),
                                                            view.worker_out.tolist())],
            "specialists": [[x, y, on] for (x, y), on in zip(_round(self.orient(view.specialist_xy)),
                                                             view.specialist_on.tolist())],
            "cohorts": self._cohorts(i, run),
            "means": self._means(i, run),
        }

    def _cohorts(self, i: int, run: Run) -> dict:
        """Mean time to done and share done of the requests by the day their need arose: only
        the days that changed. A day whose requests are not all done yet is still filling."""
        today = int(self.live.clock // DAY)
        needed = run.cohort_needed[:today + 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            now = np.column_stack([run.cohort_latency[:today + 1] / run.cohort_done[:today + 1],
                                   run.cohort_done[:today + 1] / needed])
        now = np.where(needed[:, None] > 0, now, np.nan)
        before = self.sent_cohorts[i]
        changed = [d for d in range(len(now))
                   if d >= len(before) or not np.array_equal(now[d], before[d], equal_nan=True)]
        self.sent_cohorts[i] = now
        return {str(d): [None if math.isnan(v) else round(float(v), 3) for v in now[d]] for d in changed
                if not np.isnan(now[d, 0])}

    def _means(self, i: int, run: Run) -> list:
        """The points of the running headline figures added since the last packet:
        [day, in-person radius km, resident hours], None where there is no figure yet."""
        h, k = run.history, self.sent_means[i]
        new = [[round(d, 3), *(None if math.isnan(v) else round(v, 3) for v in values)]
               for d, *values in zip(h["day"][k:], h["in_person_radius"][k:], h["resident_hours"][k:])]
        self.sent_means[i] = len(h["day"])
        return new


def settled_latency(run: Run) -> float:
    """Mean time to done over the days whose requests are (almost) all done: it does not creep
    up while long requests are still under way, as the mean over completed requests does."""
    settled = (run.cohort_needed > 0) & (run.cohort_done >= SETTLED * run.cohort_needed)
    done = run.cohort_done[settled].sum()
    return float(run.cohort_latency[settled].sum() / done) if done else math.nan


# The readouts, one per chart and headline figure: the unit, and whether the second model is
# compared with the first as a relative change or (for counts that are often 0) a difference.
READOUTS = {"in_person_radius": ("km", "change"), "resident_hours": ("hours_r", "change"),
            "latency": ("days", "change"), "abandoned": ("per1000", "difference")}


def figures(run: Run) -> dict[str, float]:
    """The run's headline figures now (sim.measure.metrics' definitions), and settled time to done."""
    return {**run.figures, "latency": settled_latency(run)}


def readouts(live: LiveModel, lang: str) -> list[str]:
    """One sentence per headline figure: the second model against the first, or the one model's figure."""
    w = app_words(lang)
    runs = live.runs
    if not runs:
        return []
    names = [scenario_name(run.meta, lang, short=True) for run in runs]
    now = [figures(run) for run in runs]
    out = []
    for key, (unit, compare) in READOUTS.items():
        values = [f[key] for f in now]
        what = w[f"readout_{key}"]
        if any(math.isnan(v) for v in values):
            out.append(w[f"readout_{key}_wait"])
        elif len(runs) == 1:
            out.append(w["readout_one"].format(name=names[0], what=what,
                                               value=value_text(values[0], unit, lang, with_unit=True)))
        else:
            if compare == "change":
                change = (values[1] - values[0]) / values[0] if values[0] else math.nan
                text = value_text(change, "share", lang, signed=True, with_unit=True)
            else:
                text = value_text(values[1] - values[0], unit, lang, signed=True, with_unit=True)
            out.append(w["readout_two"].format(name=names[1], base=names[0], what=what, change=text))
    return out


def counter_rows(live: LiveModel, views: list[View], lang: str) -> list[list[str]]:
    """The figures table: a label, then one formatted value per run."""
    w = app_words(lang)
    rows = [[""] + [scenario_name(run.meta, lang, short=True) for run in live.runs]]
    values = [_counters(run, view) for run, view in zip(live.runs, views)]
    for key, unit in COUNTER_UNITS.items():
        rows.append([w[key], *[_cell(v[key], unit, lang) for v in values]])
    return rows


COUNTER_UNITS = {"resident_hours": "hours_r", "in_person_radius": "km", "radius": "km", "abandoned": "per1000",
                 "trips": "trips", "online_share": "share", "done": None, "queue_now": None, "staff_out": None}


def _counters(run: Run, view: View) -> dict:
    """The headline figures and counts now, and means over the requests completed so far."""
    m, done = run.model, len(run.done_day)
    return {
        **run.figures,
        "done": f"{done:,} / {len(m.requests):,}",
        "open": len(m.open),
        "trips": run.done_trips / done if done else math.nan,
        "online_share": run.done_remote / done if done else math.nan,
        "queue_now": f"{int(view.queue.sum())} · {int(view.held.sum())}",
        "staff_out": f"{int(view.specialist_on.sum())}/{len(view.specialist_on)} · "
                     f"{int(view.worker_out.sum())}/{len(view.worker_out)}",
    }


def _cell(value, unit: str | None, lang: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float) and unit is not None:
        return value_text(None if math.isnan(value) else value, unit, lang, with_unit=unit == "share")
    return f"{value:,}"


def _placed(view: View, orient: Orientation, unit: float) -> tuple[np.ndarray, np.ndarray]:
    """Screen positions now, and at home: residents of one building spread around it, a queue
    lined up to the right of its point, those at the windows in a ring around it."""
    xy = orient(view.xy)
    angle = view.resident * 2.39996  # the golden angle: neighbours in a building do not overlap
    radius = unit * (0.6 + 0.5 * (view.resident % 5))
    spread = np.column_stack([np.cos(angle), np.sin(angle)]) * radius[:, None]
    home_state = (view.state == WAITING) | (view.state == IN_PROGRESS)
    xy[home_state] += spread[home_state]
    queueing = view.state == QUEUEING
    row, col = np.divmod(view.slot[queueing], 20)
    xy[queueing] += np.column_stack([unit * (2.4 + 1.1 * col), -unit * 1.1 * row])
    served = view.state == SERVED
    turn = view.slot[served] * 2 * math.pi / 6 + math.pi / 2
    xy[served] += np.column_stack([np.cos(turn), np.sin(turn)]) * unit * 1.7
    home = xy.copy()
    away = ~home_state
    if away.any():
        home[away] = orient(view.home[away]) + spread[away]
    return xy, home


def _zone(points: np.ndarray, pad: float) -> np.ndarray | None:
    """A community's area: the hull of its buildings and station, grown by `pad` and rounded."""
    ring = np.linspace(0, 2 * math.pi, 12, endpoint=False)
    grown = (points[:, None, :] + pad * np.stack([np.cos(ring), np.sin(ring)], axis=1)[None]).reshape(-1, 2)
    try:
        hull = ConvexHull(grown)
    except QhullError:
        return None
    return grown[hull.vertices]


def _short(name: str, street: str, zh: bool) -> str:
    """'Dingshan C1' -> 'C1', '顶山第1社区' -> '第1': the street is in the title, the kind in the legend."""
    prefix = street.removesuffix("街道") if zh else street + " "
    short = name.removeprefix(prefix)
    return (short.removesuffix("社区") if zh else short) or name
