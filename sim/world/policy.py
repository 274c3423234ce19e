"""An authorisation model, read from the scenario: where items may be submitted, who decides,
opening hours and the switches. The engine asks this object; it never names a model.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.world.calendar import Calendar
from sim.world.catalogue import Catalogue
from sim.scenario.files import Scenario

PHYSICAL = ("street", "community", "terminal")  # channels that need a trip
DOOR = ("grid", "building")  # accepted at home: no trip, zero service radius


@dataclass(frozen=True)
class OwnHours:
    """Opening hours of the points of one kind where some have their own (a district file's)."""

    which: np.ndarray  # per point: 0 for the kind's hours, k for calendars[k]
    calendars: tuple[tuple[Calendar, Calendar], ...]  # (hours, hours outside job hours); [0]: the kind's


@dataclass(frozen=True)
class Policy:
    """What one authorisation model allows, resolved per item."""

    hours: dict[str, Calendar]  # point kind -> opening calendar (street, community, terminal, grid)
    work: Calendar  # weekday job hours of employed residents
    free_hours: dict[str, Calendar]  # point kind -> open hours outside job hours
    channels: tuple[tuple[str, ...], ...]  # per item: channels a resident may use
    deciders: tuple[frozenset[str], ...]  # per item: staff kinds authorised to decide
    switches: dict[str, bool]
    own_hours: dict[str, OwnHours] = field(default_factory=dict)  # kinds with points of their own hours

    def calendar(self, kind: str, employed: bool = False, point: int | None = None) -> Calendar:
        """Opening hours of a kind of point (of that point, where it has its own); for employed
        residents, only those outside job hours."""
        kind = "community" if kind == "terminal" and not self.switches["terminals"] else kind
        own = self.own_hours.get(kind)
        if own is not None and point is not None:
            return own.calendars[own.which[point]][employed]
        return (self.free_hours if employed else self.hours)[kind]

    def by_hours(self, kind: str, points: np.ndarray) -> Iterator[tuple[Calendar, Calendar, np.ndarray]]:
        """The `points` (indices of points of this kind) grouped by opening hours: (hours, hours
        outside job hours, positions in `points`) for each group."""
        kind = "community" if kind == "terminal" and not self.switches["terminals"] else kind
        own = self.own_hours.get(kind)
        if own is None:
            yield self.hours[kind], self.free_hours[kind], np.arange(len(points))
            return
        which = own.which[points]
        for k in np.unique(which).tolist():
            yield *own.calendars[k], np.flatnonzero(which == k)


def item_level(sc: Scenario, catalogue: Catalogue, i: int) -> str:
    """The authority table an item follows, the most specific one present. Street items: 'batch'
    (the 小顶到家 batch of items once handled only at the street centre, when switched on), then
    'street_spot' / 'street_review' (decided on the spot / with back-office days), then 'street'."""
    tables = sc["authority"]
    if not catalogue.street_level[i]:
        return "community"
    if sc["switches"]["batch"] and catalogue.batch[i] and "batch" in tables:
        return "batch"
    split = "street_review" if catalogue.back_office_days[i] > 0 else "street_spot"
    return split if split in tables else "street"


def build_policy(sc: Scenario, catalogue: Catalogue,
                 point_hours: dict[str, Sequence[tuple[str, ...] | None] | None] | None = None) -> Policy:
    """The policy of a scenario; `point_hours` (kind -> per point: its own opening sessions, or
    None) are the points' own hours where a district file gives them, with the weekend sessions
    added when the 5+2 switch is on."""
    cals = {name: Calendar.from_specs(specs) for name, specs in sc["calendars"].items()}

    def union(names) -> Calendar:
        out = Calendar(())
        for n in names:
            out = out.union(cals[n])
        return out

    sw = dict(sc["switches"])
    points = sc["points"]
    weekend = ["weekend"] if sw["weekend"] else []
    if sw["weekend"] and "weekend" not in cals:
        raise sc.error("switches.weekend", "a calendar named 'weekend' under [calendars] when the switch is on")
    hours = {
        "street": union(points["street"]["hours"] + weekend),
        "community": union(points["community"]["hours"] + weekend),
        "terminal": union(points["terminal"]["hours"]),
        "grid": union(points["grid"]["hours"]),
    }
    channels, deciders = [], []
    for i in range(len(catalogue)):
        level = item_level(sc, catalogue, i)
        table = sc["authority"].get(level)
        if table is None:
            raise sc.error(f"authority.{level}", "a table with accept and decide lists")
        ch = list(dict.fromkeys(table["accept"]))
        if sw["online"] and catalogue.online[i] and "online" not in ch:
            ch.append("online")
        if sw["terminals"] and catalogue.terminal[i] and "terminal" not in ch:
            ch.append("terminal")
        if sw["community_forwarding"] and level == "street" and "community" not in ch:
            ch.append("community")
        ch = [c for c in ch if _available(c, sc, catalogue, i, sw)]
        if not ch:
            raise sc.error(f"authority.{level}.accept",
                           f"at least one channel open to item {catalogue.code[i]} under this policy")
        dec = frozenset(table["decide"])
        _check_staffed(sc, level, ch, dec)
        channels.append(tuple(ch))
        deciders.append(dec)
    work = union(sc["residents"]["work_hours"])
    free = {kind: cal.intersect(work.complement()) for kind, cal in hours.items()}
    own = {}
    for kind, specs in (point_hours or {}).items():
        distinct = list(dict.fromkeys(s for s in specs or () if s is not None))
        if specs is None or not distinct:
            continue
        calendars = [(hours[kind], free[kind])]
        for spec in distinct:
            cal = Calendar.from_specs(spec).union(union(weekend))
            calendars.append((cal, cal.intersect(work.complement())))
        which = np.array([0 if s is None else distinct.index(s) + 1 for s in specs], np.int64)
        which.setflags(write=False)
        own[kind] = OwnHours(which, tuple(calendars))
    return Policy(hours, work, free, tuple(channels), tuple(deciders), sw, own)


def _available(channel: str, sc: Scenario, catalogue: Catalogue, i: int, sw: dict) -> bool:
    if channel == "online":
        return sw["online"] and bool(catalogue.online[i])
    if channel == "terminal":
        return sw["terminals"] and bool(catalogue.terminal[i])
    if channel in DOOR:
        return sc["points"]["grid"]["workers_per_grid"] > 0
    return True


def _check_staffed(sc: Scenario, level: str, channels: list[str], deciders: frozenset[str]) -> None:
    """A policy that sends requests where nobody may take or decide them is an input error."""
    for ch in channels:
        if ch in ("street", "community") and sc["points"][ch]["windows"] == 0:
            raise sc.error(f"points.{ch}.windows", f"at least 1 (authority.{level}.accept lists {ch})")
    specialists = sc["staff"]["specialist"]
    staffed = {
        "street": sc["points"]["street"]["windows"] > 0,
        "community": sc["points"]["community"]["windows"] > 0,
        "specialist": specialists["count"] > 0 or bool(specialists.get("rota")),
        "back_office": True,
    }
    if not deciders:
        raise sc.error(f"authority.{level}.decide", "at least one staff kind authorised to decide")
    if any(c in DOOR for c in channels) or sc["switches"]["proactive_elderly"]:
        if sc["points"]["grid"]["workers_per_grid"] == 0:
            raise sc.error("points.grid.workers_per_grid", "at least 1 when grid workers accept at the door "
                           f"(authority.{level}.accept or switches.proactive_elderly)")
    if not any(staffed[d] for d in deciders):
        key = "staff.specialist.count" if "specialist" in deciders else f"authority.{level}.decide"
        raise sc.error(key, f"at least 1 authorised staff (authority.{level}.decide = {sorted(deciders)})")
