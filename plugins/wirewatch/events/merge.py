"""The merge rule: which event a report belongs to, and what an event's reports add up to.

A report joins an event when all of these hold (otherwise it starts a new event):
- the same ACLED event type and the same country;
- dates within a day of each other (each side's day, or its range when the text was vague);
- the same place: the same name; or both towns within `TOWN_RADIUS_KM`; or the same first-level
  region when either side is placed only to the region; or, when either is placed only to the
  country, a report of the same story (the dedup step's story: a copy or an update of it), or the
  only event of that type in that country within the dates (nothing else it could be);
- when the places match only loosely (a nearby town, the region, the country), no different actor 1
  on both sides (a Russian strike on Kharkiv and a Ukrainian one on a town nearby are two events),
  unless the report belongs to one of the event's stories. At the same named place, one type and
  day make one event whoever the reports name as its actor.
Among events that qualify, the report joins the one of its own story, then the one at the same
place, then the nearest in date, then the oldest. The event's fields are then recounted from all
its reports (`summarise`): the most precise place, the most named actors, and for fatalities the
latest figure reported as the best estimate beside the lowest and highest.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

from wirewatch.tagging.geo import country_name

TOWN_RADIUS_KM = 30.0
DATE_WINDOW = timedelta(days=1)
PRECISION_RANK = {"town": 3, "region": 2, "country": 1}

Row = dict


def match_score(report: Row, event: Row, *, sole: bool = False) -> float | None:
    """How well `report` fits `event` (higher is better); None when the rule keeps them apart.
    `sole`: the event is the only one of the report's type and country within its dates."""
    if not _comparable(report, event):
        return None
    same_story = report["story_id"] is not None and report["story_id"] in (event["story_ids"] or [])
    place = _same_place(report, event, same_story or sole)
    if place is None:
        return None
    # At one named place an event is one row whoever the reports call its actor (ACLED's one event per
    # type, place and day; and a sentence's first actor is sometimes its speaker). Matched more
    # loosely (a nearby town, a region), a different actor 1 marks a different event.
    if place < 2.0 and report["actor1"] and event["actor1"] and report["actor1"] != event["actor1"] \
            and not same_story:
        return None
    days_apart = abs((report["event_date"] - event["event_date"]).days)
    return 4.0 * same_story + place - 0.1 * days_apart


def _comparable(report: Row, event: Row) -> bool:
    """The same ACLED type and country, and dates within the window."""
    return (report["event_type"] == event["event_type"] and report["country"] == event["country"]
            and report["date_from"] - DATE_WINDOW <= event["date_to"]
            and report["date_to"] + DATE_WINDOW >= event["date_from"])


def _same_place(report: Row, event: Row, unambiguous: bool) -> float | None:
    """2 for the same name, 1 for a nearby town or the same region, 0.5 for a country-level match
    within one story or with the only event it could be; None for different places."""
    if report["location"].casefold() == event["location"].casefold():
        return 2.0
    precisions = {report["geo_precision"], event["geo_precision"]}
    if "country" in precisions:
        return 0.5 if unambiguous else None
    if precisions == {"town"}:
        near = distance_km(report["latitude"], report["longitude"], event["latitude"], event["longitude"])
        return 1.0 if near <= TOWN_RADIUS_KM else None
    if report["admin1"] and report["admin1"] == event["admin1"]:
        return 1.0
    return None


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, a)))


def best_event(report: Row, candidates: Sequence[Row]) -> Row | None:
    """The event the report joins, or None for a new one."""
    comparable = [event for event in candidates if _comparable(report, event)]
    scored = [(score, -event["id"], event) for event in comparable
              if (score := match_score(report, event, sole=len(comparable) == 1)) is not None]
    return max(scored, key=lambda s: (s[0], s[1]))[2] if scored else None


def summarise(reports: Sequence[Row]) -> dict:
    """An event's columns from its reports (in the order their articles were seen)."""
    first = reports[0]
    strongest = max(reports, key=lambda r: r["score"])  # first of the strongest: max keeps the first
    dated = Counter(r["event_date"] for r in reports if r["date_precision"] == "day")
    if dated:
        day = min(dated, key=lambda d: (-dated[d], d))
        when = {"event_date": day, "date_precision": "day", "date_from": day, "date_to": day}
    else:
        start = min(r["date_from"] for r in reports)
        end = min(r["date_to"] for r in reports)  # it happened before the first report was published
        when = {"event_date": end, "date_precision": "range", "date_from": start, "date_to": end}
    named = Counter(r["location"] for r in reports)
    place = max(reports, key=lambda r: (PRECISION_RANK[r["geo_precision"]], named[r["location"]]))
    return {
        "event_type": first["event_type"], "sub_event_type": strongest["sub_event_type"],
        "topic_id": strongest["topic_id"], **when,
        "location": place["location"], "admin1": place["admin1"], "country": place["country"],
        "country_name": country_name(place["country"]), "latitude": place["latitude"],
        "longitude": place["longitude"], "geo_precision": place["geo_precision"],
        "actor1": _most_named(r["actor1"] for r in reports), "actor2": _most_named(r["actor2"] for r in reports),
        **_toll(reports, "killed", "fatalities"), **_toll(reports, "injured", "injuries"),
        "reports": len(reports), "articles": len({r["article_id"] for r in reports}),
        "outlets": len({r["outlet"] for r in reports}),
        "story_ids": sorted({r["story_id"] for r in reports if r["story_id"] is not None}),
        "article_ids": sorted({r["article_id"] for r in reports}),
        "first_seen_at": min(r["seen_at"] for r in reports), "last_seen_at": max(r["seen_at"] for r in reports),
        "notes": first["notes"],
    }


def _most_named(values) -> str | None:
    counts = Counter(v for v in values if v)
    return max(counts, key=lambda v: counts[v]) if counts else None  # ties: the first named


def _toll(reports: Sequence[Row], kind: str, column: str) -> dict:
    """Best estimate (the latest report's figure), lowest and highest reported, and the qualifier."""
    stated = [r for r in reports if r[kind] is not None]
    if not stated:
        return {column: None, f"{column}_low": None, f"{column}_high": None, f"{column}_qualifier": None}
    latest = stated[-1]
    return {column: latest[kind], f"{column}_low": min(r[kind] for r in stated),
            f"{column}_high": max(r[kind] for r in stated), f"{column}_qualifier": latest[f"{kind}_qualifier"]}
