"""Feeds and polls: the feed list, claiming due feeds, recording each poll's outcome and
history, and queueing the entries a poll found as articles.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

import psycopg2.extras

from wirewatch.db import Connection, dict_cursor
from wirewatch.feeds import FeedEntry, FeedSpec
from wirewatch.fetch import Download
from wirewatch.warehouse.base import Row


def upsert_feeds(conn: Connection, specs: Iterable[FeedSpec]) -> tuple[int, int]:
    """Insert new feeds, update the settings of known ones (poll state is kept). -> (added, updated)."""
    added = updated = 0
    with conn.cursor() as cur:
        for spec in specs:
            cur.execute(
                """INSERT INTO feeds (url, name, outlet, language, tags, enabled, min_interval, max_interval)
                   VALUES (%s, %s, %s, %s, %s, %s, %s * interval '1 minute', %s * interval '1 minute')
                   ON CONFLICT (url) DO UPDATE SET
                       name = EXCLUDED.name, outlet = EXCLUDED.outlet, language = EXCLUDED.language,
                       tags = EXCLUDED.tags, min_interval = EXCLUDED.min_interval,
                       max_interval = EXCLUDED.max_interval, updated_at = now(),
                       -- a feed wirewatch disabled (410, failure streak) stays off until `feeds enable`
                       enabled = EXCLUDED.enabled AND feeds.disabled_reason IS NULL
                   RETURNING (xmax = 0)""",
                (spec.url, spec.name, spec.outlet, spec.language, list(spec.tags), spec.enabled,
                 spec.min_interval_minutes, spec.max_interval_minutes),
            )
            if cur.fetchone()[0]:
                added += 1
            else:
                updated += 1
    return added, updated


def export_feeds(conn: Connection) -> list[Row]:
    """Feeds with the settings a feed list holds (for YAML/OPML export)."""
    with dict_cursor(conn) as cur:
        cur.execute("""SELECT url, name, outlet, language, tags, enabled,
                              extract(epoch FROM min_interval)::int / 60 AS min_interval_minutes,
                              extract(epoch FROM max_interval)::int / 60 AS max_interval_minutes
                       FROM feeds ORDER BY id""")
        return cur.fetchall()


def list_feeds(conn: Connection) -> list[Row]:
    with dict_cursor(conn) as cur:
        cur.execute("""SELECT h.*, p.disabled_reason, p.poll_interval FROM report_feed_health h
                       JOIN report_feed_polling p USING (feed_id) ORDER BY feed_id""")
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


def claim_due_feeds(conn: Connection, shard: int, shards: int, *, limit: int, lease: timedelta) -> list[Row]:
    """Take up to `limit` due feeds of this shard and push their next_poll_at out by `lease`, in one
    committed statement: other workers skip them (SKIP LOCKED, then no longer due), and a worker
    that dies leaves them due again when the lease runs out."""
    with dict_cursor(conn) as cur:
        cur.execute(
            """UPDATE feeds SET next_poll_at = now() + %s
               WHERE id IN (SELECT id FROM feeds
                            WHERE enabled AND next_poll_at <= now() AND id %% %s = %s
                            ORDER BY next_poll_at, id
                            LIMIT %s FOR UPDATE SKIP LOCKED)
               RETURNING *""",
            (lease, shards, shard, limit),
        )
        rows = cur.fetchall()
    conn.commit()
    return rows


def record_poll_success(conn: Connection, feed_id: int, *, download: Download, outcome: str,
                        feed_title: str | None, entries: int | None, warning: str | None, body_hash: str | None,
                        next_poll_in: timedelta, verified: bool, conditional_off_because: str | None,
                        moved_to: str | None) -> None:
    has_validators = bool(download.headers.get("etag") or download.headers.get("last-modified"))
    with conn.cursor() as cur:
        cur.execute(
            """UPDATE feeds SET last_polled_at = now(), last_success_at = now(), last_status = 'ok',
                   last_http_status = %(status)s, last_error = %(warning)s, error_streak = 0,
                   hard_error_streak = 0, failure_kind = NULL, last_outcome = %(outcome)s,
                   etag = CASE WHEN %(status)s = 304 THEN etag ELSE %(etag)s END,
                   last_modified = CASE WHEN %(status)s = 304 THEN last_modified ELSE %(last_modified)s END,
                   body_hash = coalesce(%(body_hash)s, body_hash),
                   feed_title = coalesce(%(title)s, feed_title),
                   entries_last_poll = coalesce(%(entries)s, entries_last_poll),
                   poll_interval = %(interval)s, next_poll_at = now() + %(interval)s,
                   conditional_verified_at = CASE WHEN %(verified)s THEN now()
                       WHEN %(has_validators)s THEN coalesce(conditional_verified_at, now())
                       ELSE conditional_verified_at END,
                   conditional_get = conditional_get AND %(trust)s,
                   conditional_get_note = coalesce(%(lying)s, conditional_get_note),
                   previous_url = CASE WHEN %(moved_to)s::text IS NOT NULL THEN url ELSE previous_url END,
                   url_changed_at = CASE WHEN %(moved_to)s::text IS NOT NULL THEN now() ELSE url_changed_at END,
                   url = coalesce(%(moved_to)s, url),
                   updated_at = now()
               WHERE id = %(id)s""",
            {"status": download.status, "warning": warning, "outcome": outcome,
             "etag": download.headers.get("etag"), "last_modified": download.headers.get("last-modified"),
             "body_hash": body_hash, "title": feed_title, "entries": entries, "interval": next_poll_in,
             "verified": verified, "has_validators": has_validators, "trust": conditional_off_because is None,
             "lying": conditional_off_because, "moved_to": _unclaimed_url(conn, moved_to, feed_id), "id": feed_id},
        )


def _unclaimed_url(conn: Connection, url: str | None, feed_id: int) -> str | None:
    """A permanent redirect's target, unless another feed already has that URL (then keep ours)."""
    if url is None:
        return None
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM feeds WHERE url = %s AND id <> %s", (url, feed_id))
        return None if cur.fetchone() else url


def record_poll_failure(conn: Connection, feed_id: int, *, http_status: int | None, error: str, kind: str | None,
                        hard: bool, outcome: str, next_poll_in: timedelta, disable_reason: str | None) -> None:
    with conn.cursor() as cur:
        cur.execute(
            """UPDATE feeds SET last_polled_at = now(), last_status = 'error', last_http_status = %s,
                   last_error = %s, failure_kind = %s, last_outcome = %s, error_streak = error_streak + 1,
                   hard_error_streak = CASE WHEN %s THEN hard_error_streak + 1 ELSE 0 END,
                   next_poll_at = now() + %s,
                   enabled = enabled AND %s::text IS NULL,
                   disabled_reason = coalesce(%s, disabled_reason),
                   disabled_at = CASE WHEN %s::text IS NOT NULL THEN now() ELSE disabled_at END,
                   updated_at = now()
               WHERE id = %s""",
            (http_status, error, kind, outcome, hard, next_poll_in, disable_reason, disable_reason, disable_reason,
             feed_id),
        )


def record_fetch_event(conn: Connection, feed_id: int, *, url: str, outcome: str, http_status: int | None,
                       bytes_: int, duration: float, entries_seen: int, entries_new: int, conditional: bool,
                       detail: str | None) -> None:
    with conn.cursor() as cur:
        cur.execute(
            """INSERT INTO fetch_events (feed_id, url, outcome, http_status, bytes, duration_ms, entries_seen,
                                         entries_new, conditional, detail)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (feed_id, url, outcome, http_status, bytes_, round(duration * 1000), entries_seen, entries_new,
             conditional, detail),
        )


def purge_fetch_events(conn: Connection, keep: timedelta, limit: int) -> int:
    """Drop up to `limit` poll-history rows older than `keep`. -> how many."""
    with conn.cursor() as cur:
        cur.execute("DELETE FROM fetch_events WHERE id IN (SELECT id FROM fetch_events WHERE polled_at < now() - %s "
                    "LIMIT %s)", (keep, limit))
        return cur.rowcount


def set_feed_enabled(conn: Connection, feed_id: int, enabled: bool) -> Row | None:
    """Enable or disable a feed by hand; enabling clears an automatic disable and its streaks."""
    with dict_cursor(conn) as cur:
        cur.execute(
            """UPDATE feeds SET enabled = %(enabled)s, updated_at = now(),
                   disabled_reason = CASE WHEN %(enabled)s THEN NULL ELSE 'disabled by hand' END,
                   disabled_at = CASE WHEN %(enabled)s THEN NULL ELSE now() END,
                   error_streak = CASE WHEN %(enabled)s THEN 0 ELSE error_streak END,
                   hard_error_streak = CASE WHEN %(enabled)s THEN 0 ELSE hard_error_streak END,
                   next_poll_at = CASE WHEN %(enabled)s THEN now() ELSE next_poll_at END
               WHERE id = %(id)s RETURNING id, name, url, enabled""",
            {"enabled": enabled, "id": feed_id},
        )
        return cur.fetchone()


def queue_entries(conn: Connection, feed: Row, entries: Sequence[FeedEntry]) -> tuple[int, int]:
    """Queue each entry's article unless its canonical URL is known, and link it to the feed. A known,
    extracted article whose entry in this feed changed its headline is marked to be fetched again
    (an updated story). Four statements per feed, whatever its size. -> (new, already known, changed)."""
    if not entries:
        return 0, 0, 0
    unique = list({entry.canonical_url: entry for entry in reversed(entries)}.values())  # first one wins
    outlet = feed["outlet"] or feed["name"]
    with conn.cursor() as cur:
        inserted = psycopg2.extras.execute_values(
            cur,
            """INSERT INTO articles (canonical_url, url, feed_id, outlet, feed_title, feed_summary, feed_published_at)
               VALUES %s ON CONFLICT (canonical_url) DO NOTHING RETURNING id""",
            [(e.canonical_url, e.link, feed["id"], outlet, e.title, e.summary, e.published_at) for e in unique],
            page_size=1000, fetch=True,
        )
        cur.execute("SELECT canonical_url, id FROM articles WHERE canonical_url = ANY(%s)",
                    ([e.canonical_url for e in unique],))
        article_ids = dict(cur.fetchall())
        cur.execute(
            """UPDATE articles a SET refetch_requested_at = now(), updated_at = now()
               FROM feed_entries fe, unnest(%s::bigint[], %s::text[]) AS listed (article_id, title)
               WHERE fe.feed_id = %s AND fe.article_id = listed.article_id AND a.id = listed.article_id
                 AND a.status = 'extracted' AND a.refetch_requested_at IS NULL
                 AND listed.title IS NOT NULL AND fe.title IS DISTINCT FROM listed.title""",
            ([article_ids[e.canonical_url] for e in unique], [e.title for e in unique], feed["id"]),
        )
        changed = cur.rowcount
        psycopg2.extras.execute_values(
            cur,
            """INSERT INTO feed_entries (feed_id, article_id, entry_id, title) VALUES %s
               ON CONFLICT (feed_id, article_id) DO UPDATE SET last_seen_at = now(),
                   title = coalesce(EXCLUDED.title, feed_entries.title)""",
            [(feed["id"], article_ids[e.canonical_url], e.entry_id, e.title) for e in unique],
            page_size=1000,
        )
    return len(inserted), len(entries) - len(inserted), changed
