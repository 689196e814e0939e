"""Feeds and polls: the feed list, claiming due feeds, recording each poll's outcome and
history, and queueing the entries a poll found as articles.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

import psycopg2.extras

from wirewatch.db import Connection, dict_cursor
from wirewatch.warehouse.base import Row

if TYPE_CHECKING:  # the warehouse stores what the stages find, and imports none of them
    from wirewatch.feeds.lists import FeedSpec
    from wirewatch.feeds.parsing import FeedEntry


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


# One row of VALUES per poll, typed (a NULL in the first row would otherwise type the column as text).
_SUCCESS_TEMPLATE = ("(%(id)s::bigint, %(status)s::int, %(warning)s::text, %(outcome)s::text, %(etag)s::text, "
                     "%(last_modified)s::text, %(body_hash)s::text, %(title)s::text, %(entries)s::int, "
                     "%(interval)s::interval, %(verified)s::boolean, %(has_validators)s::boolean, "
                     "%(trust)s::boolean, %(lying)s::text, %(moved_to)s::text)")


def record_poll_successes(conn: Connection, polls: Sequence[dict]) -> None:
    """The new state of feeds polled without error, in one statement. Each poll: id, status (HTTP),
    warning, outcome, etag, last_modified, body_hash, title, entries, interval (the next poll's),
    verified (a verification poll), has_validators, lying (why conditional GET is now off, or
    None) and moved_to (a permanent redirect's target, or None)."""
    if not polls:
        return
    rows = []
    targets = _unclaimed_urls(conn, polls)
    for poll in polls:
        rows.append({**poll, "trust": poll["lying"] is None, "moved_to": targets.get(poll["id"])})
    with conn.cursor() as cur:
        psycopg2.extras.execute_values(
            cur,
            """UPDATE feeds f SET last_polled_at = now(), last_success_at = now(), last_status = 'ok',
                   last_http_status = v.status, last_error = v.warning, error_streak = 0,
                   hard_error_streak = 0, failure_kind = NULL, last_outcome = v.outcome,
                   etag = CASE WHEN v.status = 304 THEN f.etag ELSE v.etag END,
                   last_modified = CASE WHEN v.status = 304 THEN f.last_modified ELSE v.last_modified END,
                   body_hash = coalesce(v.body_hash, f.body_hash),
                   feed_title = coalesce(v.title, f.feed_title),
                   entries_last_poll = coalesce(v.entries, f.entries_last_poll),
                   poll_interval = v.interval, next_poll_at = now() + v.interval,
                   conditional_verified_at = CASE WHEN v.verified THEN now()
                       WHEN v.has_validators THEN coalesce(f.conditional_verified_at, now())
                       ELSE f.conditional_verified_at END,
                   conditional_get = f.conditional_get AND v.trust,
                   conditional_get_note = coalesce(v.lying, f.conditional_get_note),
                   previous_url = CASE WHEN v.moved_to IS NOT NULL THEN f.url ELSE f.previous_url END,
                   url_changed_at = CASE WHEN v.moved_to IS NOT NULL THEN now() ELSE f.url_changed_at END,
                   url = coalesce(v.moved_to, f.url),
                   updated_at = now()
               FROM (VALUES %s) AS v (id, status, warning, outcome, etag, last_modified, body_hash, title, entries,
                                      interval, verified, has_validators, trust, lying, moved_to)
               WHERE f.id = v.id""",
            rows, template=_SUCCESS_TEMPLATE, page_size=len(rows),
        )


def _unclaimed_urls(conn: Connection, polls: Sequence[dict]) -> dict[int, str]:
    """Permanent redirects' targets by feed id, except those another feed already has (that feed
    keeps its URL, and so does ours) or an earlier poll of the same batch takes."""
    wanted = {poll["id"]: poll["moved_to"] for poll in polls if poll.get("moved_to")}
    if not wanted:
        return {}
    with conn.cursor() as cur:
        cur.execute("SELECT url, id FROM feeds WHERE url = ANY(%s)", (list(set(wanted.values())),))
        holders = dict(cur.fetchall())
    targets = {}
    for feed_id, url in wanted.items():
        if holders.get(url, feed_id) == feed_id:
            targets[feed_id] = url
            holders[url] = feed_id
    return targets


def record_poll_failures(conn: Connection, polls: Sequence[dict]) -> None:
    """The new state of feeds whose poll failed, in one statement. Each poll: id, status (HTTP or
    None), error, kind, hard, outcome, delay (until the next poll), disable_reason (or None)."""
    if not polls:
        return
    with conn.cursor() as cur:
        psycopg2.extras.execute_values(
            cur,
            """UPDATE feeds f SET last_polled_at = now(), last_status = 'error', last_http_status = v.status,
                   last_error = v.error, failure_kind = v.kind, last_outcome = v.outcome,
                   error_streak = f.error_streak + 1,
                   hard_error_streak = CASE WHEN v.hard THEN f.hard_error_streak + 1 ELSE 0 END,
                   next_poll_at = now() + v.delay,
                   enabled = f.enabled AND v.disable_reason IS NULL,
                   disabled_reason = coalesce(v.disable_reason, f.disabled_reason),
                   disabled_at = CASE WHEN v.disable_reason IS NOT NULL THEN now() ELSE f.disabled_at END,
                   updated_at = now()
               FROM (VALUES %s) AS v (id, status, error, kind, outcome, hard, delay, disable_reason)
               WHERE f.id = v.id""",
            polls, page_size=len(polls),
            template="(%(id)s::bigint, %(status)s::int, %(error)s::text, %(kind)s::text, %(outcome)s::text, "
                     "%(hard)s::boolean, %(delay)s::interval, %(disable_reason)s::text)",
        )


def record_fetch_events(conn: Connection, events: Sequence[dict]) -> None:
    """Poll history, one row per poll: feed_id, url, outcome, http_status, bytes, duration_ms,
    entries_seen, entries_new, conditional, detail."""
    if not events:
        return
    with conn.cursor() as cur:
        psycopg2.extras.execute_values(
            cur,
            """INSERT INTO fetch_events (feed_id, url, outcome, http_status, bytes, duration_ms, entries_seen,
                                         entries_new, conditional, detail) VALUES %s""",
            events, page_size=len(events),
            template="(%(feed_id)s, %(url)s, %(outcome)s, %(http_status)s, %(bytes)s, %(duration_ms)s, "
                     "%(entries_seen)s, %(entries_new)s, %(conditional)s, %(detail)s)",
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


def queue_entries(conn: Connection, feed: Row, entries: Sequence[FeedEntry]) -> tuple[int, int, int]:
    """Queue one feed's entries (see queue_feed_entries). -> (new, already known, changed)."""
    return queue_feed_entries(conn, [(feed, entries)])[0]


def queue_feed_entries(conn: Connection,
                       found: Sequence[tuple[Row, Sequence[FeedEntry]]]) -> list[tuple[int, int, int]]:
    """Queue each entry's article unless its canonical URL is known, and link it to its feed. A
    known, extracted article whose entry in a feed changed its headline is marked to be fetched
    again (an updated story). Two to four statements for any number of feeds and entries (articles
    just inserted need no lookup and cannot have changed); within a feed the first entry of a URL
    wins, and across feeds the first feed (its outlet, its id).
    Rows go in URL order, so that poll tasks queueing the same URLs at once wait on each other
    rather than deadlock. -> (new, already known, changed) per feed, in order."""
    lists = [list({entry.canonical_url: entry for entry in reversed(entries)}.values()) for _feed, entries in found]
    first: dict[str, tuple[int, FeedEntry]] = {}
    for position, unique in enumerate(lists):
        for entry in unique:
            first.setdefault(entry.canonical_url, (position, entry))
    if not first:
        return [(0, 0, 0) for _ in found]
    with conn.cursor() as cur:
        inserted = psycopg2.extras.execute_values(
            cur,
            """INSERT INTO articles (canonical_url, url, feed_id, outlet, feed_title, feed_summary, feed_published_at)
               VALUES %s ON CONFLICT (canonical_url) DO NOTHING RETURNING canonical_url, id""",
            [(url, e.link, found[position][0]["id"], found[position][0]["outlet"] or found[position][0]["name"],
              e.title, e.summary, e.published_at) for url, (position, e) in sorted(first.items())],
            page_size=5000, fetch=True,
        )
        article_ids = dict(inserted)
        new_urls = set(article_ids)
        if known := [url for url in first if url not in new_urls]:
            cur.execute("SELECT canonical_url, id FROM articles WHERE canonical_url = ANY(%s)", (known,))
            article_ids.update(cur.fetchall())
        listed = [(feed["id"], article_ids[e.canonical_url], e.entry_id, e.title)
                  for (feed, _entries), unique in zip(found, lists) for e in unique]
        changed: collections.Counter = collections.Counter()
        if rows := [(feed_id, article_id, title) for (feed_id, article_id, _entry, title), url
                    in zip(listed, (e.canonical_url for unique in lists for e in unique))
                    if url not in new_urls and title is not None]:
            cur.execute(
                """UPDATE articles a SET refetch_requested_at = now(), updated_at = now()
                   FROM feed_entries fe,
                        unnest(%s::bigint[], %s::bigint[], %s::text[]) AS listed (feed_id, article_id, title)
                   WHERE fe.feed_id = listed.feed_id AND fe.article_id = listed.article_id
                     AND a.id = listed.article_id AND a.status = 'extracted' AND a.refetch_requested_at IS NULL
                     AND fe.title IS DISTINCT FROM listed.title
                   RETURNING listed.feed_id""",
                ([row[0] for row in rows], [row[1] for row in rows], [row[2] for row in rows]),
            )
            changed.update(row[0] for row in cur.fetchall())
        psycopg2.extras.execute_values(
            cur,
            """INSERT INTO feed_entries (feed_id, article_id, entry_id, title) VALUES %s
               ON CONFLICT (feed_id, article_id) DO UPDATE SET last_seen_at = now(),
                   title = coalesce(EXCLUDED.title, feed_entries.title)""",
            sorted(listed, key=lambda row: row[:2]), page_size=5000,
        )
    counts = []
    for position, ((feed, entries), unique) in enumerate(zip(found, lists)):
        new = sum(1 for e in unique if e.canonical_url in new_urls and first[e.canonical_url][0] == position)
        counts.append((new, len(entries) - new, changed[feed["id"]]))
    return counts
