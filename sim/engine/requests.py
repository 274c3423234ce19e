"""The request record: one per need, the single source of truth for every metric.

A request is a light record, not an agent. Its `stage` says what happens to it next; its only
method that events call is `proceed`, which hands the request back to the flow for that stage.
The model keeps open requests alive so that Mesa's weakly referenced event callbacks always fire.
"""

from __future__ import annotations

from enum import StrEnum
from itertools import chain
from operator import attrgetter
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

COMPONENTS = ("wait_to_go", "travel", "queue", "service", "handoff", "back_office", "rework", "collection")


class Stage(StrEnum):
    """What happens to a request next (the request table's `step` column shows its value)."""

    NEED = "need"  # the need arises: choose a channel and a time
    ARRIVE = "arrive"  # on the way to a point: arrives and queues
    HOLD = "hold"  # pre-accepted: the file goes to the tray for the next specialist visit
    HELD = "held"  # in the tray until a specialist comes
    DOOR = "door"  # a grid worker or building head comes to the door
    CARRIED = "carried"  # on a grid worker's round or the courier to whoever decides
    ONLINE = "online"  # submitted online, waiting for the moment of review
    DONE = "done"
    ABANDONED = "abandoned"  # given up after `adapt.refusal_limit` turn-aways


class Request:
    """Timestamps, counts and the latency split into components as the request moves along."""

    __slots__ = (
        "rid", "resident", "item", "t_need", "flow", "stage", "channel", "point", "service_radius_km",
        "decided_by", "t_accept", "t_decided", "t_done", "t_mark", "trips", "visits", "reworks", "turned_away",
        "error", "audited", "sent_back", "at_point_until", "arrivals", "abandoned", "t_abandoned", "complaints",
        "t_complaint", "t_answered", "t_wrong", "t_corrected", "resident_minutes", "_components", "__weakref__",
    )

    def __init__(self, flow, rid: int, resident: int, item: int, t_need: float):
        self.flow, self.rid, self.resident, self.item, self.t_need = flow, rid, resident, item, t_need
        self.stage = Stage.NEED
        self.channel = ""
        self.point = -1
        self.at_point_until = -1.0  # end of the current visit's service: the resident is at the point till then
        self.service_radius_km = np.nan
        self.decided_by = ""
        self.t_accept = np.nan
        self.t_decided = np.nan
        self.t_done = np.nan
        self.t_mark = t_need
        self.trips = self.visits = self.reworks = self.turned_away = self.complaints = 0
        self.arrivals = 0  # arrival draws used: one per trip or door visit
        self.error = self.audited = self.sent_back = self.abandoned = False
        self.t_abandoned = self.t_complaint = self.t_answered = self.t_wrong = self.t_corrected = np.nan
        self.resident_minutes = 0.0  # the resident's own time: every trip both ways, queue, window, pick-up
        self._components = [0.0] * len(COMPONENTS)

    def proceed(self) -> None:
        """Event callback: the flow takes the request on from its stage."""
        self.flow.proceed(self)

    def account(self, component: int, until: float) -> None:
        """Attribute the time since the last mark to one component, so components sum to latency."""
        self._components[component] += until - self.t_mark
        self.t_mark = until


WAIT, TRAVEL, QUEUE, SERVICE, HANDOFF, BACK_OFFICE, REWORK, COLLECTION = range(len(COMPONENTS))


TABLE_COLUMNS: tuple[tuple[str, str, Any], ...] = (  # column, Request attribute, dtype
    ("rid", "rid", np.int64), ("resident", "resident", np.int64), ("item_index", "item", np.int64),
    ("t_need", "t_need", float), ("t_accept", "t_accept", float), ("t_decided", "t_decided", float),
    ("t_done", "t_done", float), ("step", "stage", "str"), ("channel", "channel", "str"),
    ("point", "point", np.int64), ("service_radius_km", "service_radius_km", float),
    ("decided_by", "decided_by", "str"), ("trips", "trips", np.int64), ("visits", "visits", np.int64),
    ("reworks", "reworks", np.int64), ("turned_away", "turned_away", np.int64), ("error", "error", bool),
    ("audited", "audited", bool), ("sent_back", "sent_back", bool),
    ("resident_minutes", "resident_minutes", float),
    ("abandoned", "abandoned", bool), ("t_abandoned", "t_abandoned", float), ("complaints", "complaints", np.int64),
    ("t_complaint", "t_complaint", float), ("t_answered", "t_answered", float), ("t_wrong", "t_wrong", float),
    ("t_corrected", "t_corrected", float),
)


def to_frame(requests: list[Request]) -> pd.DataFrame:
    """Per-request table. Segments are accounted when they are scheduled, so a completed request's
    components sum exactly to its latency; an open request's components are those planned so far.
    Each column is read straight into its array (`np.fromiter`), with no row tuples in between."""
    n = len(requests)
    frame = pd.DataFrame({
        column: pd.array(list(map(attrgetter(attribute), requests)), dtype=dtype) if dtype == "str"
        else np.fromiter(map(attrgetter(attribute), requests), dtype, n)
        for column, attribute, dtype in TABLE_COLUMNS
    })
    comps = np.fromiter(chain.from_iterable(map(attrgetter("_components"), requests)), float, n * len(COMPONENTS))
    for j, name in enumerate(COMPONENTS):
        frame[name] = comps.reshape(n, len(COMPONENTS))[:, j]
    return frame


def text_column(names, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """The names picked by `codes`, as pandas strings, built by Arrow without a Python str per row."""
    return pd.array(pa.array(list(names), pa.large_string()).take(pa.array(codes)), dtype="str")
