"""Legal track → due date on the working-day calendar (taxonomy ``deadlines``).

The calendar is a parameter (the service passes Vietnam's public holidays, Tết and the
Hùng Kings' day included, from the ``holidays`` package); the core stays free of it.

>>> from datetime import date
>>> from triage.taxonomy import load_taxonomy
>>> due_date(date(2026, 2, 13), Track.to_cao, load_taxonomy(),
...          holidays={date(2026, 2, d) for d in range(16, 21)}).isoformat()
'2026-03-03'
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from triage.taxonomy import Deadline, Taxonomy
from triage.textutil import strip_diacritics


class Track(StrEnum):
    gop_y = "gop_y"            # góp ý
    phan_anh = "phan_anh"      # phản ánh
    kien_nghi = "kien_nghi"    # kiến nghị
    khieu_nai = "khieu_nai"    # khiếu nại
    to_cao = "to_cao"          # tố cáo


# Which statutory deadline starts the clock for each track (by the deadline's name).
TRACK_DEADLINE = {
    Track.to_cao: "Tiếp nhận, vào sổ, phân loại, xử lý ban đầu thông tin tố cáo",
    Track.khieu_nai: "Thụ lý khiếu nại",
    Track.kien_nghi: "Xem xét, xử lý đơn",
    Track.phan_anh: "Xem xét, xử lý đơn",
    Track.gop_y: "Xem xét, xử lý đơn",
}
_CUES = [
    (Track.to_cao, re.compile(r"\bto cao\b|\bdon to cao\b")),
    (Track.khieu_nai, re.compile(r"\bkhieu nai\b")),
    (Track.kien_nghi, re.compile(r"\bkien nghi\b|\bde nghi\b")),
    (Track.gop_y, re.compile(r"\bgop y\b")),
]


@dataclass(frozen=True)
class DueDate:
    track: Track
    due: date
    deadline: Deadline


def guess_track(text: str) -> Track:
    """A first guess from the writer's own words; the reviewer sets the real track."""
    plain = strip_diacritics(text.lower())
    for track, cue in _CUES:
        if cue.search(plain):
            return track
    return Track.phan_anh


def deadline_for(track: Track, taxonomy: Taxonomy) -> Deadline:
    name = TRACK_DEADLINE[track]
    for d in taxonomy.deadlines:
        if d.name.startswith(name) and d.days:
            return d
    raise KeyError(f"no deadline named {name!r} in the taxonomy")


def add_working_days(start: date, days: int, holidays: Container[date]) -> date:
    """The day ``days`` working days after ``start`` (weekends and holidays skipped)."""
    d = start
    left = days
    while left > 0:
        d += timedelta(days=1)
        if d.weekday() < 5 and d not in holidays:
            left -= 1
    return d


def working_days_left(today: date, due: date, holidays: Container[date]) -> int:
    """Working days from ``today`` until ``due``: 0 on the due day, negative once past it
    (-1 the first working day after).

    >>> working_days_left(date(2026, 12, 4), date(2026, 12, 8), holidays=())  # Fri -> Tue
    2
    """
    if due >= today:
        n, d = 0, today
        while d < due:
            d += timedelta(days=1)
            if d.weekday() < 5 and d not in holidays:
                n += 1
        return n
    n, d = 0, due
    while d < today and n < 366:  # a year overdue is as overdue as it gets
        d += timedelta(days=1)
        if d.weekday() < 5 and d not in holidays:
            n += 1
    return -max(n, 1)


def due_date(received: date, track: Track, taxonomy: Taxonomy, *,
             holidays: Container[date] = frozenset()) -> date:
    deadline = deadline_for(track, taxonomy)
    if deadline.working_days:
        return add_working_days(received, int(deadline.days), holidays)
    return received + timedelta(days=int(deadline.days))
