"""Simulated time: minutes since Monday 00:00 of week 1, day names and the opening-hours syntax.

The lowest layer: scenario checking, the world and the engine all read time the same way.
"""

from __future__ import annotations

import re

DAY = 1440.0  # minutes in a day: the model's one conversion between minutes and days
WEEK = 7 * DAY
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SPEC = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(?:-(Mon|Tue|Wed|Thu|Fri|Sat|Sun))? (\d\d):(\d\d)-(\d\d):(\d\d)$")
SPEC_FORMAT = "'Mon-Fri 08:30-12:00' (days, then HH:MM-HH:MM, end after start, at most 24:00)"


def parse_spec(text: str) -> list[tuple[float, float]]:
    """'Mon-Fri 08:30-12:00' -> weekly intervals; ValueError when malformed."""
    m = _SPEC.match(text.strip())
    if not m:
        raise ValueError(text)
    d0 = WEEKDAYS.index(m[1])
    d1 = WEEKDAYS.index(m[2]) if m[2] else d0
    start = int(m[3]) * 60 + int(m[4])
    end = int(m[5]) * 60 + int(m[6])
    if d1 < d0 or int(m[4]) > 59 or int(m[6]) > 59 or not 0 <= start < end <= DAY:
        raise ValueError(text)
    return [(d * DAY + start, d * DAY + end) for d in range(d0, d1 + 1)]
