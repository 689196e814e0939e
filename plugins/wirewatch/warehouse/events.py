"""Events: the events step's statements. Reports are merged one at a time, in the order their
articles were seen, under one advisory lock, so concurrent runs cannot split an event and a
re-run merges nothing twice (a merged report has its event_id)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from wirewatch.db import Connection, dict_cursor
from wirewatch.warehouse.base import Row

# pg_advisory_xact_lock key of the events step (any fixed 64-bit number; "events" in ASCII).
EVENTS_LOCK = 0x6576656E7473
# The columns of `events` that a summary of its reports sets (wirewatch.events.merge.summarise).
SUMMARY_COLUMNS = ("event_type", "sub_event_type", "topic_id", "event_date", "date_precision", "date_from", "date_to",
                   "location", "admin1", "country", "country_name", "latitude", "longitude", "geo_precision",
                   "actor1", "actor2", "fatalities", "fatalities_low", "fatalities_high", "fatalities_qualifier",
                   "injuries", "injuries_low", "injuries_high", "injuries_qualifier", "reports", "articles",
                   "outlets", "story_ids", "article_ids", "first_seen_at", "last_seen_at", "notes")

_REPORTS = """SELECT r.*, a.story_id, coalesce(a.published_at, a.feed_published_at, a.first_seen_at) AS seen_at,
                      coalesce(a.outlet, f.outlet, f.name, a.canonical_url) AS outlet
               FROM event_reports r
               JOIN articles a ON a.id = r.article_id
               LEFT JOIN feeds f ON f.id = a.feed_id"""


def lock_events(conn: Connection) -> None:
    """One events step at a time (until the transaction ends): merging is decided in order."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (EVENTS_LOCK,))


def count_unmerged_reports(conn: Connection) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM event_reports WHERE event_id IS NULL")
        return cur.fetchone()[0]


def unmerged_reports(conn: Connection, limit: int) -> list[Row]:
    """The next reports to merge, in the order their articles were seen (a strongest topic first)."""
    with dict_cursor(conn) as cur:
        cur.execute(f"""{_REPORTS} WHERE r.event_id IS NULL AND a.status = 'extracted'
                        ORDER BY seen_at, r.article_id, r.score DESC, r.topic_id, r.location LIMIT %s""", (limit,))
        return cur.fetchall()


def event_candidates(conn: Connection, event_type: str, country: str, date_from: date, date_to: date,
                     window: timedelta) -> list[Row]:
    """Events of the type and country whose dates lie within `window` of the report's."""
    with dict_cursor(conn) as cur:
        cur.execute("""SELECT * FROM events
                       WHERE event_type = %s AND country = %s AND date_from <= %s AND date_to >= %s
                       ORDER BY id""", (event_type, country, date_to + window, date_from - window))
        return cur.fetchall()


def create_event(conn: Connection, summary: dict) -> int:
    with conn.cursor() as cur:
        cur.execute(f"INSERT INTO events ({', '.join(SUMMARY_COLUMNS)}) VALUES ({', '.join(['%s'] * len(SUMMARY_COLUMNS))})"
                    " RETURNING id", [summary[column] for column in SUMMARY_COLUMNS])
        return cur.fetchone()[0]


def attach_report(conn: Connection, article_id: int, topic_id: str, location: str, event_id: int) -> None:
    with conn.cursor() as cur:
        cur.execute("UPDATE event_reports SET event_id = %s WHERE article_id = %s AND topic_id = %s AND location = %s",
                    (event_id, article_id, topic_id, location))


def reports_of(conn: Connection, event_id: int) -> list[Row]:
    with dict_cursor(conn) as cur:
        cur.execute(f"{_REPORTS} WHERE r.event_id = %s ORDER BY seen_at, r.article_id, r.score DESC, r.topic_id, r.location",
                    (event_id,))
        return cur.fetchall()


def update_event(conn: Connection, event_id: int, summary: dict) -> None:
    with conn.cursor() as cur:
        cur.execute(f"UPDATE events SET {', '.join(f'{column} = %s' for column in SUMMARY_COLUMNS)}, stale = false,"
                    " updated_at = now() WHERE id = %s", [*(summary[column] for column in SUMMARY_COLUMNS), event_id])


def stale_events(conn: Connection) -> list[int]:
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM events WHERE stale ORDER BY id")
        return [row[0] for row in cur.fetchall()]


def delete_events(conn: Connection, event_ids: Sequence[int]) -> None:
    with conn.cursor() as cur:
        cur.execute("DELETE FROM events WHERE id = ANY(%s)", (list(event_ids),))
