"""Warehouse I/O: every SQL statement the stages run, in one module.

Work is claimed row by row with `FOR UPDATE SKIP LOCKED` inside the transaction that records
its outcome: parallel workers never take the same row, and a worker that dies mid-way rolls
back, leaving the row queued for the retry. Inserts are keyed (ON CONFLICT), so re-running
a stage adds nothing twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import psycopg2.extras

from wirewatch.actors import ActorMention, Gazetteer
from wirewatch.db import Connection, dict_cursor
from wirewatch.extract import ExtractedArticle
from wirewatch.feeds import FeedEntry, FeedSpec
from wirewatch.fetch import Download
from wirewatch.topics import Taxonomy, TopicMatch

Row = dict[str, Any]

# An article's "seen at": the same expression as the reporting views use.
SEEN_AT = "coalesce(published_at, feed_published_at, first_seen_at)"


# --- feeds -----------------------------------------------------------------------------------

def upsert_feeds(conn: Connection, specs: Iterable[FeedSpec]) -> tuple[int, int]:
    """Insert new feeds, update the settings of known ones (poll state is kept). -> (added, updated)."""
    added = updated = 0
    with conn.cursor() as cur:
        for spec in specs:
            cur.execute(
                """INSERT INTO feeds (url, name, outlet, language, tags, enabled)
                   VALUES (%s, %s, %s, %s, %s, %s)
                   ON CONFLICT (url) DO UPDATE SET
                       name = EXCLUDED.name, outlet = EXCLUDED.outlet, language = EXCLUDED.language,
                       tags = EXCLUDED.tags, enabled = EXCLUDED.enabled, updated_at = now()
                   RETURNING (xmax = 0)""",
                (spec.url, spec.name, spec.outlet, spec.language, list(spec.tags), spec.enabled),
            )
            if cur.fetchone()[0]:
                added += 1
            else:
                updated += 1
    return added, updated


def list_feeds(conn: Connection) -> list[Row]:
    with dict_cursor(conn) as cur:
        cur.execute("SELECT * FROM report_feed_health ORDER BY feed_id")
        return cur.fetchall()


def count_due_feeds(conn: Connection) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM feeds WHERE enabled AND next_poll_at <= now()")
        return cur.fetchone()[0]


def make_feeds_due(conn: Connection) -> int:
    """Poll every enabled feed at the next run (the demo and `wirewatch feeds poll-now`)."""
    with conn.cursor() as cur:
        cur.execute("UPDATE feeds SET next_poll_at = now() WHERE enabled AND next_poll_at > now()")
        return cur.rowcount


def claim_due_feed(conn: Connection, shard: int, shards: int) -> Row | None:
    with dict_cursor(conn) as cur:
        cur.execute(
            """SELECT * FROM feeds
               WHERE enabled AND next_poll_at <= now() AND id %% %s = %s
               ORDER BY next_poll_at, id
               LIMIT 1 FOR UPDATE SKIP LOCKED""",
            (shards, shard),
        )
        return cur.fetchone()


def record_poll_success(conn: Connection, feed_id: int, *, download: Download, feed_title: str | None,
                        entries: int, warning: str | None, next_poll_in: timedelta) -> None:
    with conn.cursor() as cur:
        cur.execute(
            """UPDATE feeds SET last_polled_at = now(), last_success_at = now(), last_status = 'ok',
                   last_http_status = %s, last_error = %s, error_streak = 0,
                   etag = coalesce(%s, etag), last_modified = coalesce(%s, last_modified),
                   feed_title = coalesce(%s, feed_title), entries_last_poll = coalesce(%s, entries_last_poll),
                   next_poll_at = now() + %s, updated_at = now()
               WHERE id = %s""",
            (download.status, warning, download.headers.get("etag"), download.headers.get("last-modified"),
             feed_title, entries, next_poll_in, feed_id),
        )


def record_poll_failure(conn: Connection, feed_id: int, *, http_status: int | None, error: str,
                        next_poll_in: timedelta) -> None:
    with conn.cursor() as cur:
        cur.execute(
            """UPDATE feeds SET last_polled_at = now(), last_status = 'error', last_http_status = %s,
                   last_error = %s, error_streak = error_streak + 1, next_poll_at = now() + %s,
                   updated_at = now()
               WHERE id = %s""",
            (http_status, error, next_poll_in, feed_id),
        )


def queue_entries(conn: Connection, feed: Row, entries: Sequence[FeedEntry]) -> tuple[int, int]:
    """Queue each entry's article unless its canonical URL is known. -> (new, already known)."""
    new = 0
    with conn.cursor() as cur:
        for entry in entries:
            cur.execute(
                """INSERT INTO articles (canonical_url, url, feed_id, outlet, feed_title, feed_summary,
                                        feed_published_at)
                   VALUES (%s, %s, %s, %s, %s, %s, %s)
                   ON CONFLICT (canonical_url) DO NOTHING
                   RETURNING id""",
                (entry.canonical_url, entry.link, feed["id"], feed["outlet"] or feed["name"], entry.title,
                 entry.summary, entry.published_at),
            )
            inserted = cur.fetchone()
            if inserted:
                new += 1
                article_id = inserted[0]
            else:
                cur.execute("SELECT id FROM articles WHERE canonical_url = %s", (entry.canonical_url,))
                article_id = cur.fetchone()[0]
            cur.execute(
                """INSERT INTO feed_entries (feed_id, article_id, entry_id, title) VALUES (%s, %s, %s, %s)
                   ON CONFLICT (feed_id, article_id) DO UPDATE SET last_seen_at = now()""",
                (feed["id"], article_id, entry.entry_id, entry.title),
            )
    return new, len(entries) - new


# --- articles: fetch and extract -------------------------------------------------------------

def count_queued_articles(conn: Connection) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM articles WHERE status = 'queued' AND next_attempt_at <= now()")
        return cur.fetchone()[0]


def claim_queued_article(conn: Connection, shard: int, shards: int) -> Row | None:
    with dict_cursor(conn) as cur:
        cur.execute(
            """SELECT id, url, canonical_url, attempts FROM articles
               WHERE status = 'queued' AND next_attempt_at <= now() AND id %% %s = %s
               ORDER BY id
               LIMIT 1 FOR UPDATE SKIP LOCKED""",
            (shards, shard),
        )
        return cur.fetchone()


def _http_fields(download: Download) -> tuple:
    return download.status, download.headers.get("content-type"), download.final_url


def save_extracted(conn: Connection, article_id: int, download: Download, article: ExtractedArticle) -> None:
    with conn.cursor() as cur:
        cur.execute(
            """UPDATE articles SET status = 'extracted', attempts = attempts + 1, failure_reason = NULL,
                   http_status = %s, content_type = %s, final_url = %s,
                   title = %s, author = %s, published_at = %s, site_name = %s, language = %s,
                   page_canonical_url = %s, text = %s, text_hash = %s, word_count = %s, wire_note = %s,
                   extraction = %s, fetched_at = now(), updated_at = now(),
                   deduped_at = NULL, tagged_at = NULL
               WHERE id = %s""",
            (*_http_fields(download), article.title, article.author, article.published_at, article.site_name,
             article.language, article.page_canonical_url, article.text, article.text_hash, article.word_count,
             article.wire_note, json.dumps(article.extraction), article_id),
        )


def save_unusable(conn: Connection, article_id: int, download: Download, *, status: str, reason: str,
                  retry_at: datetime | None = None) -> None:
    """Record a rejection ('rejected'), a final failure ('failed') or, with `retry_at`, a retry."""
    with conn.cursor() as cur:
        cur.execute(
            """UPDATE articles SET status = %s, attempts = attempts + 1, failure_reason = %s,
                   next_attempt_at = coalesce(%s, next_attempt_at),
                   http_status = %s, content_type = %s, final_url = %s, fetched_at = now(), updated_at = now()
               WHERE id = %s""",
            ("queued" if retry_at else status, reason, retry_at, *_http_fields(download), article_id),
        )


# --- dedup -----------------------------------------------------------------------------------

def articles_to_dedup(conn: Connection) -> list[Row]:
    with dict_cursor(conn) as cur:
        cur.execute(
            f"""SELECT id, text, text_hash, {SEEN_AT} AS seen_at FROM articles
                WHERE status = 'extracted' AND deduped_at IS NULL
                ORDER BY {SEEN_AT}, id"""
        )
        return cur.fetchall()


def story_candidates(conn: Connection, since: datetime, until: datetime) -> list[Row]:
    """Articles already in stories, seen within the window, earliest first."""
    with dict_cursor(conn) as cur:
        cur.execute(
            f"""SELECT id, story_id, text, text_hash FROM articles
                WHERE status = 'extracted' AND deduped_at IS NOT NULL AND story_id IS NOT NULL
                  AND {SEEN_AT} BETWEEN %s AND %s
                ORDER BY {SEEN_AT}, id""",
            (since, until),
        )
        return cur.fetchall()


def assign_story(conn: Connection, article_id: int, *, story_id: int | None, duplicate_of: int | None,
                 similarity: float) -> int:
    """Put the article in `story_id`, or in a new story when None. -> the story id."""
    with conn.cursor() as cur:
        if story_id is None:
            cur.execute("INSERT INTO stories DEFAULT VALUES RETURNING id")
            story_id = cur.fetchone()[0]
        cur.execute(
            """UPDATE articles SET story_id = %s, duplicate_of = %s, similarity = %s, deduped_at = now(),
                   updated_at = now()
               WHERE id = %s""",
            (story_id, duplicate_of, similarity, article_id),
        )
    return story_id


# --- tagging ---------------------------------------------------------------------------------

def sync_taxonomy(conn: Connection, taxonomy: Taxonomy, gazetteer: Gazetteer) -> None:
    """Make `topics` and `actors` mirror the config files; topics no longer defined become inactive."""
    with conn.cursor() as cur:
        for topic in taxonomy.topics:
            cur.execute(
                """INSERT INTO topics (id, label, description, taxonomy_version) VALUES (%s, %s, %s, %s)
                   ON CONFLICT (id) DO UPDATE SET label = EXCLUDED.label, description = EXCLUDED.description,
                       taxonomy_version = EXCLUDED.taxonomy_version, active = true, updated_at = now()""",
                (topic.id, topic.label, topic.description, taxonomy.version),
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


def articles_to_tag(conn: Connection, taxonomy_version: str, limit: int) -> list[Row]:
    with dict_cursor(conn) as cur:
        cur.execute(
            """SELECT id, title, text FROM articles
               WHERE status = 'extracted' AND (tagged_at IS NULL OR taxonomy_version IS DISTINCT FROM %s)
               ORDER BY id LIMIT %s
               FOR UPDATE SKIP LOCKED""",
            (taxonomy_version, limit),
        )
        return cur.fetchall()


def save_tags(conn: Connection, article_id: int, taxonomy_version: str, topics: Sequence[TopicMatch],
              actors: Sequence[ActorMention]) -> None:
    """Replace the article's topics and actors with the new ones (re-tagging leaves no stale rows)."""
    with conn.cursor() as cur:
        cur.execute("DELETE FROM article_topics WHERE article_id = %s", (article_id,))
        cur.execute("DELETE FROM article_actors WHERE article_id = %s", (article_id,))
        psycopg2.extras.execute_values(
            cur,
            """INSERT INTO article_topics (article_id, topic_id, score, matches, evidence, evidence_start,
                                          evidence_end, taxonomy_version) VALUES %s""",
            [(article_id, m.topic_id, m.score, m.matches, m.evidence, m.evidence_start, m.evidence_end,
              taxonomy_version) for m in topics],
        )
        psycopg2.extras.execute_values(
            cur,
            "INSERT INTO article_actors (article_id, actor_id, mentions, in_title, aliases) VALUES %s",
            [(article_id, a.actor_id, a.mentions, a.in_title, list(a.aliases)) for a in actors],
        )
        cur.execute("UPDATE articles SET tagged_at = now(), taxonomy_version = %s WHERE id = %s",
                    (taxonomy_version, article_id))


# --- run statistics --------------------------------------------------------------------------

def record_run_stats(conn: Connection, run_id: str, stage: str, shard: int, counts: dict) -> None:
    """Store a stage's counts; a retried task overwrites its own earlier row."""
    with conn.cursor() as cur:
        cur.execute(
            """INSERT INTO run_stats (run_id, stage, shard, counts) VALUES (%s, %s, %s, %s)
               ON CONFLICT (run_id, stage, shard) DO UPDATE SET counts = EXCLUDED.counts, recorded_at = now()""",
            (run_id, stage, shard, json.dumps(counts)),
        )


def run_stats(conn: Connection, run_id: str) -> list[Row]:
    with dict_cursor(conn) as cur:
        cur.execute("SELECT stage, shard, counts FROM run_stats WHERE run_id = %s ORDER BY stage, shard",
                    (run_id,))
        return cur.fetchall()


def latest_run_id(conn: Connection) -> str | None:
    with conn.cursor() as cur:
        cur.execute("SELECT run_id FROM run_stats ORDER BY recorded_at DESC LIMIT 1")
        row = cur.fetchone()
        return row[0] if row else None
