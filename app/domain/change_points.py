"""The headcounts' change points a path gives: on the day a youth enters a status at a CFA and
certification, an entry there; on the day it leaves it, an exit. Headcounts on a date are the
sums of entries minus exits up to that date (app/repositories/headcounts.py), so a rewritten path
changes the stored points by the difference only: :func:`change_points`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from app.domain.timeline import Segment


def change_points(old_paths: Sequence[Any], new_paths: Mapping[int, Sequence[Segment]]) -> list[tuple[str, str, str, date, int, int]]:
    """What the change points gain and lose when ``old_paths`` (stored rows: youth_id, starts,
    statuses, uais, certifications) give way to ``new_paths`` (youth id -> segments; a youth
    absent has no path any more): (uai, certification, status, day, entries, exits), without the
    ones that cancel out. Only the part of a path after its first difference is looked at: a path
    rewritten as it was changes nothing."""
    entries: dict[tuple[str, str, str, date], int] = {}
    exits: dict[tuple[str, str, str, date], int] = {}
    old_by_youth = {row[0]: row for row in old_paths}
    for youth_id in old_by_youth.keys() | new_paths.keys():
        old = old_by_youth.get(youth_id)
        olds = list(zip(old[1], old[2], old[3], old[4])) if old is not None else []  # start, status, uai, cert
        news = [(s.start, s.status, s.uai, s.certification) for s in new_paths.get(youth_id, ())]
        same = 0
        for a, b in zip(olds, news):
            if a != b:
                break
            same += 1
        if same == len(olds) == len(news):
            continue  # unchanged
        first = max(same - 1, 0)  # the last common segment's end may move
        for segments, sign in ((olds, -1), (news, 1)):
            last = len(segments) - 1
            for i in range(first, len(segments)):
                start, status, uai, certification = segments[i]
                key = (uai, certification, status, start)
                if i > first or same == 0:
                    entries[key] = entries.get(key, 0) + sign
                if i < last:
                    key = (uai, certification, status, segments[i + 1][0])
                    exits[key] = exits.get(key, 0) + sign
    return [
        (*key, entries.get(key, 0), exits.get(key, 0))
        for key in entries.keys() | exits.keys()
        if entries.get(key, 0) or exits.get(key, 0)
    ]
