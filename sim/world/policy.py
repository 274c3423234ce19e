"""An authorisation model, read from the scenario: where items may be submitted, who decides,
opening hours and the switches. The engine asks this object; it never names a model.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.world.calendar import Calendar
from sim.world.catalogue import Catalogue
from sim.scenario.files import Scenario

PHYSICAL = ("street", "community", "terminal")  # channels that need a trip
DOOR = ("grid", "building")  # accepted at home: no trip, zero service radius


@dataclass(frozen=True)
class Policy:
    """What one authorisation model allows, resolved per item."""

    hours: dict[str, Calendar]  # point kind -> opening calendar (street, community, terminal, grid)
    work: Calendar  # weekday job hours of employed residents
    free_hours: dict[str, Calendar]  # point kind -> open hours outside job hours
    channels: tuple[tuple[str, ...], ...]  # per item: channels a resident may use
    deciders: tuple[frozenset[str], ...]  # per item: staff kinds authorised to decide
    switches: dict[str, bool]

    def calendar(self, kind: str, employed: bool = False) -> Calendar:
        """Opening hours of a kind of point; for employed residents, only those outside job hours."""
        kind = "community" if kind == "terminal" and not self.switches["terminals"] else kind
        return (self.free_hours if employed else self.hours)[kind]


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


def build_policy(sc: Scenario, catalogue: Catalogue) -> Policy:
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
    return Policy(hours, work, free, tuple(channels), tuple(deciders), sw)


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
