"""Tags and events: the taxonomy and gazetteer mirrored into `topics` and `actors`, articles due
for tagging, and their topics (with event facts) and actors.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import psycopg2.extras

from wirewatch.db import Connection, dict_cursor
from wirewatch.warehouse.base import Row

if TYPE_CHECKING:  # the warehouse stores what the stages find, and imports none of them
    from wirewatch.tagging.actors import ActorMention, Gazetteer
    from wirewatch.tagging.facts import EventFacts
    from wirewatch.tagging.reports import EventReport
    from wirewatch.tagging.topics import Taxonomy, TopicMatch


def sync_taxonomy(conn: Connection, taxonomy: Taxonomy, gazetteer: Gazetteer) -> None:
    """Make `topics` and `actors` mirror the config files; topics no longer defined become inactive."""
    with conn.cursor() as cur:
        for topic in taxonomy.topics:
            cur.execute(
                """INSERT INTO topics (id, label, description, taxonomy_version, acled_event_type, acled_sub_event_type)
                   VALUES (%s, %s, %s, %s, %s, %s)
                   ON CONFLICT (id) DO UPDATE SET label = EXCLUDED.label, description = EXCLUDED.description,
                       taxonomy_version = EXCLUDED.taxonomy_version, acled_event_type = EXCLUDED.acled_event_type,
                       acled_sub_event_type = EXCLUDED.acled_sub_event_type, active = true, updated_at = now()""",
                (topic.id, topic.label, topic.description, taxonomy.version, topic.acled_event_type,
                 topic.acled_sub_event_type),
            )
        cur.execute("UPDATE topics SET active = false WHERE NOT (id = ANY(%s))",
                    ([t.id for t in taxonomy.topics],))
        for actor in gazetteer.actors.values():
            cur.execute(
                """INSERT INTO actors (id, name, kind, iso_code) VALUES (%s, %s, %s, %s)
                   ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,
                       iso_code = EXCLUDED.iso_code, updated_at = now()""",
                (actor.id, actor.name, actor.kind, actor.iso_code),
            )


def articles_to_tag(conn: Connection, taxonomy_version: str, limit: int, skip: Iterable[int] = ()) -> list[Row]:
    """The next articles not tagged with `taxonomy_version`, locked, except those in `skip`."""
    with dict_cursor(conn) as cur:
        cur.execute(
            # The article's year tells the tagger which years mentioned in it are history.
            """SELECT id, title, text, language, coalesce(published_at, feed_published_at, first_seen_at) AS published,
                      extract(year FROM coalesce(published_at, feed_published_at, first_seen_at))::int AS year
               FROM articles
               WHERE status = 'extracted' AND (tagged_at IS NULL OR taxonomy_version IS DISTINCT FROM %s)
                     AND NOT (id = ANY(%s))
               ORDER BY id LIMIT %s
               FOR UPDATE SKIP LOCKED""",
            (taxonomy_version, sorted(skip), limit),
        )
        return cur.fetchall()


REPORT_COLUMNS = ("topic_id", "event_type", "sub_event_type", "score", "event_date", "date_precision", "date_from",
                  "date_to", "location", "admin1", "country", "latitude", "longitude", "geo_precision", "actor1",
                  "actor2", "killed", "killed_qualifier", "injured", "injured_qualifier", "notes")


def replace_event_reports(cur, article_id: int, reports: Sequence[EventReport]) -> None:
    """The article's event reports, unmerged (event_id NULL) until the events step takes them."""
    cur.execute("DELETE FROM event_reports WHERE article_id = %s RETURNING event_id", (article_id,))
    touched = sorted({event_id for (event_id,) in cur.fetchall() if event_id is not None})
    if touched:
        cur.execute("""DELETE FROM events e WHERE e.id = ANY(%s)
                         AND NOT EXISTS (SELECT FROM event_reports r WHERE r.event_id = e.id)""", (touched,))
        cur.execute("UPDATE events SET stale = true WHERE id = ANY(%s)", (touched,))
    if reports:
        psycopg2.extras.execute_values(
            cur, f"INSERT INTO event_reports (article_id, {', '.join(REPORT_COLUMNS)}) VALUES %s",
            [(article_id, *(getattr(report, column) for column in REPORT_COLUMNS)) for report in reports])


def _event_columns(facts: EventFacts | None) -> tuple:
    """killed … event_date of an article_topics row; a topic without facts stores none."""
    if facts is None:
        return None, None, None, None, [], "[]", None
    return (facts.killed, facts.killed_qualifier, facts.injured, facts.injured_qualifier, list(facts.casualty_text),
            json.dumps([dataclasses.asdict(p) for p in facts.places]), facts.event_date)


def save_tags(conn: Connection, article_id: int, taxonomy_version: str, topics: Sequence[TopicMatch],
              actors: Sequence[ActorMention], events: dict[str, EventFacts] | None = None,
              reports: Sequence[EventReport] = ()) -> None:
    """Replace the article's topics (with their event facts), actors and event reports with the new
    ones (re-tagging leaves no stale rows; the events its old reports were merged into are marked
    for the events step to recount, or deleted when nothing else reports them)."""
    events = events or {}
    with conn.cursor() as cur:
        replace_event_reports(cur, article_id, reports)
        cur.execute("DELETE FROM article_topics WHERE article_id = %s", (article_id,))
        cur.execute("DELETE FROM article_actors WHERE article_id = %s", (article_id,))
        psycopg2.extras.execute_values(
            cur,
            """INSERT INTO article_topics (article_id, topic_id, score, matches, evidence, evidence_start,
                                          evidence_end, evidence_spans, in_title, taxonomy_version, killed,
                                          killed_qualifier, injured, injured_qualifier, casualty_text, places,
                                          event_date) VALUES %s""",
            [(article_id, m.topic_id, m.score, m.matches, m.evidence, m.evidence_start, m.evidence_end,
              json.dumps([list(span) for span in m.evidence_spans]), m.in_title, taxonomy_version,
              *_event_columns(events.get(m.topic_id)))
             for m in topics],
        )
        psycopg2.extras.execute_values(
            cur,
            "INSERT INTO article_actors (article_id, actor_id, mentions, in_title, aliases) VALUES %s",
            [(article_id, a.actor_id, a.mentions, a.in_title, list(a.aliases)) for a in actors],
        )
        cur.execute("UPDATE articles SET tagged_at = now(), taxonomy_version = %s WHERE id = %s",
                    (taxonomy_version, article_id))


def record_taxonomy_version(conn: Connection, version: str, *, topics: int, actors: int) -> None:
    with conn.cursor() as cur:
        cur.execute("""INSERT INTO taxonomy_versions (version, topics, actors) VALUES (%s, %s, %s)
                       ON CONFLICT (version) DO UPDATE SET last_used = now()""", (version, topics, actors))


def mark_for_retag(conn: Connection) -> int:
    """Make every extracted article due for tagging again (`wirewatch retag --all`). -> how many."""
    with conn.cursor() as cur:
        cur.execute("UPDATE articles SET tagged_at = NULL WHERE status = 'extracted' AND tagged_at IS NOT NULL")
        return cur.rowcount
