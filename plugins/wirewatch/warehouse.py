"""Warehouse I/O: every SQL statement the stages run, in one module.

Work is claimed row by row with `FOR UPDATE SKIP LOCKED` inside the transaction that records
its outcome: parallel workers never take the same row, and a worker that dies mid-way rolls
back, leaving the row queued for the retry. Inserts are keyed (ON CONFLICT), so re-running
a stage adds nothing twice.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import psycopg2.extras

from wirewatch import rawpages
from wirewatch.actors import ActorMention, Gazetteer
from wirewatch.db import Connection, dict_cursor, prepared
from wirewatch.dedup import Candidate, StoryMatch
from wirewatch.events import EventFacts
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


def purge_fetch_events(conn: Connection, keep: timedelta) -> int:
    with conn.cursor() as cur:
        cur.execute("DELETE FROM fetch_events WHERE polled_at < now() - %s", (keep,))
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


# --- articles: fetch and extract -------------------------------------------------------------

def count_queued_articles(conn: Connection) -> int:
    with conn.cursor() as cur:
        cur.execute("""SELECT count(*) FROM articles
                       WHERE (status = 'queued' AND next_attempt_at <= now()) OR refetch_requested_at IS NOT NULL""")
        return cur.fetchone()[0]


def claim_queued_article(conn: Connection, shard: int, shards: int) -> Row | None:
    with dict_cursor(conn) as cur:
        cur.execute(
            """SELECT id, url, canonical_url, attempts, feed_summary, refetch_requested_at IS NOT NULL AS refetch
               FROM articles
               WHERE ((status = 'queued' AND next_attempt_at <= now()) OR refetch_requested_at IS NOT NULL)
                 -- shard by host: one task owns a host, so politeness holds across tasks
                 AND abs(hashtext(split_part(canonical_url, '/', 3))) %% %s = %s
               ORDER BY id
               LIMIT 1 FOR UPDATE SKIP LOCKED""",
            (shards, shard),
        )
        return cur.fetchone()


def _http_fields(download: Download) -> tuple:
    return download.status, download.headers.get("content-type"), download.final_url


def save_fetched(conn: Connection, article_id: int, download: Download) -> None:
    """Store the downloaded page (compressed) and queue the article for the extract step."""
    with conn.cursor() as cur:
        cur.execute(
            """INSERT INTO raw_pages (article_id, fetched_at, http_status, content_type, final_url, body, body_bytes)
               VALUES (%s, now(), %s, %s, %s, %s, %s)
               ON CONFLICT (article_id) DO UPDATE SET
                   fetched_at = now(), http_status = EXCLUDED.http_status, content_type = EXCLUDED.content_type,
                   final_url = EXCLUDED.final_url, body = EXCLUDED.body, body_bytes = EXCLUDED.body_bytes""",
            (article_id, *_http_fields(download), psycopg2.Binary(rawpages.compress(download.body)),
             len(download.body)),
        )
        cur.execute(
            """UPDATE articles SET status = 'fetched', attempts = attempts + 1, failure_reason = NULL,
                   refetch_requested_at = NULL,
                   http_status = %s, content_type = %s, final_url = %s, fetched_at = now(), updated_at = now()
               WHERE id = %s""",
            (*_http_fields(download), article_id),
        )


def count_fetched_articles(conn: Connection) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM articles WHERE status = 'fetched'")
        return cur.fetchone()[0]


def claim_fetched_articles(conn: Connection, limit: int) -> list[Row]:
    """Lock a batch of fetched articles with their raw pages, for the extract step."""
    with dict_cursor(conn) as cur:
        cur.execute(
            """SELECT a.id, a.url, a.feed_summary, a.feed_title, a.text IS NOT NULL AS extracted_before,
                      r.body, r.content_type, r.final_url
               FROM articles a JOIN raw_pages r ON r.article_id = a.id
               WHERE a.status = 'fetched'
               ORDER BY a.id
               LIMIT %s FOR UPDATE OF a SKIP LOCKED""",
            (limit,),
        )
        return [{**row, "body": bytes(row["body"])} for row in cur.fetchall()]


SAVE_EXTRACTED = """UPDATE articles SET status = 'extracted', failure_reason = NULL,
        title = %s, author = %s, published_at = %s, site_name = %s, language = %s,
        page_canonical_url = %s, top_image = %s, text = %s, text_hash = %s, word_count = %s,
        wire_note = %s, wire_source = %s, quality_flags = %s,
        extraction = %s, extracted_at = now(), updated_at = now(),
        deduped_at = NULL, tagged_at = NULL
    WHERE id = %s"""


def save_extracted_many(conn: Connection, articles: Sequence[tuple[int, ExtractedArticle]]) -> None:
    """Store extracted articles; one round trip per 100 (execute_batch)."""
    with conn.cursor() as cur:
        psycopg2.extras.execute_batch(cur, SAVE_EXTRACTED, [
            (a.title, a.author, a.published_at, a.site_name, a.language, a.page_canonical_url, a.top_image, a.text,
             a.text_hash, a.word_count, a.wire_note, a.wire_source, list(a.quality_flags), json.dumps(a.extraction),
             article_id)
            for article_id, a in articles])
    record_revisions(conn, [article_id for article_id, _ in articles])


def save_not_extracted(conn: Connection, article_id: int, *, status: str, reason: str) -> None:
    """The extract step's 'rejected' (not an article) or 'failed' (extractor error) outcome. A
    re-extracted article that no longer is one leaves its story."""
    with conn.cursor() as cur:
        cur.execute(
            """UPDATE articles new SET status = %s, failure_reason = %s, extracted_at = now(), updated_at = now(),
                   story_id = NULL, duplicate_of = NULL
               FROM articles old WHERE new.id = %s AND old.id = new.id
               RETURNING old.story_id""",
            (status, reason, article_id),
        )
        left = cur.fetchone()
    if left and left[0] is not None:
        refresh_stories(conn, article_id, left[0])


def save_refetch_failed(conn: Connection, article_id: int, download: Download, *, reason: str) -> None:
    """A refetch that failed or got something unusable: the article keeps its extracted text and
    story; the reason is recorded, and the next headline change will try again."""
    with conn.cursor() as cur:
        cur.execute(
            """UPDATE articles SET refetch_requested_at = NULL, failure_reason = %s, http_status = %s,
                   content_type = %s, final_url = %s, fetched_at = now(), updated_at = now()
               WHERE id = %s""",
            (f"refetch failed: {reason}", *_http_fields(download), article_id),
        )


def save_unusable(conn: Connection, article_id: int, download: Download, *, status: str, reason: str,
                  retry_at: datetime | None = None) -> None:
    """Record a fetch's rejection ('rejected'), final failure ('failed') or, with `retry_at`, a retry."""
    with conn.cursor() as cur:
        cur.execute(
            """UPDATE articles SET status = %s, attempts = attempts + 1, failure_reason = %s,
                   next_attempt_at = coalesce(%s, next_attempt_at),
                   http_status = %s, content_type = %s, final_url = %s, fetched_at = now(), updated_at = now()
               WHERE id = %s""",
            ("queued" if retry_at else status, reason, retry_at, *_http_fields(download), article_id),
        )


def mark_for_reprocess(conn: Connection, *, site: str | None = None, since: datetime | None = None,
                       statuses: Sequence[str] = ("extracted", "rejected", "failed")) -> int:
    """Send articles whose raw page is still stored back to the extract step. -> how many."""
    with conn.cursor() as cur:
        cur.execute(
            """UPDATE articles a SET status = 'fetched', updated_at = now()
               FROM raw_pages r
               WHERE r.article_id = a.id AND a.status = ANY(%s)
                 AND (%s::text IS NULL OR split_part(a.canonical_url, '/', 3) IN (%s, 'www.' || %s))
                 AND (%s::timestamptz IS NULL OR r.fetched_at >= %s)""",
            (list(statuses), site, site, site, since, since),
        )
        return cur.rowcount


def purge_raw_pages(conn: Connection, older_than: timedelta) -> int:
    """Drop raw pages past their retention, except those still waiting for the extract step."""
    with conn.cursor() as cur:
        cur.execute(
            """DELETE FROM raw_pages r USING articles a
               WHERE r.article_id = a.id AND a.status <> 'fetched' AND r.fetched_at < now() - %s""",
            (older_than,),
        )
        return cur.rowcount


# --- per-site boilerplate ----------------------------------------------------------------------

def known_boilerplate(conn: Connection, sites: Iterable[str]) -> dict[str, frozenset[int]]:
    """The line keys the site_boilerplate view currently counts as boilerplate, per site."""
    found: dict[str, set[int]] = {}
    with conn.cursor() as cur:
        cur.execute("SELECT site, line_key FROM site_boilerplate WHERE site = ANY(%s)", (sorted(set(sites)),))
        for site, key in cur.fetchall():
            found.setdefault(site, set()).add(key)
    return {site: frozenset(keys) for site, keys in found.items()}


def learn_site_lines(conn: Connection, site: str, articles: Sequence[dict[int, str]]) -> None:
    """Count more articles of `site` and the short lines each carries (as if learned one by one)."""
    if not articles:
        return
    with conn.cursor() as cur:
        cur.execute(
            """INSERT INTO site_profiles (site, articles) VALUES (%s, %s)
               ON CONFLICT (site) DO UPDATE SET articles = site_profiles.articles + EXCLUDED.articles,
                   updated_at = now()
               RETURNING articles""",
            (site, len(articles)),
        )
        before = cur.fetchone()[0] - len(articles)
        seen: dict[int, list] = {}  # key -> [sample, articles carrying it, site articles before its first]
        for position, lines in enumerate(articles):
            for key, sample in lines.items():
                if key in seen:
                    seen[key][1] += 1
                else:
                    seen[key] = [sample, 1, before + position]
        if seen:
            psycopg2.extras.execute_values(
                cur,
                """INSERT INTO site_lines (site, line_key, sample, articles, site_articles_before) VALUES %s
                   ON CONFLICT (site, line_key) DO UPDATE SET
                       articles = site_lines.articles + EXCLUDED.articles, last_seen = now()""",
                [(site, key, sample, count, first) for key, (sample, count, first) in sorted(seen.items())],
                page_size=1000,
            )


def purge_site_lines(conn: Connection, older_than: timedelta) -> int:
    """Forget lines seen in only one article long ago: story sentences, not boilerplate."""
    with conn.cursor() as cur:
        cur.execute("DELETE FROM site_lines WHERE articles = 1 AND last_seen < now() - %s", (older_than,))
        return cur.rowcount


# --- dedup -----------------------------------------------------------------------------------
# Each article is decided in one transaction of four or five round trips (begin, context,
# candidates, assign, commit) of statements prepared once per connection: at a few milliseconds
# per article, round trips and query planning would otherwise cost more than the work.

def _execute(conn: Connection, statements: dict[str, str], args: str) -> str:
    """SQL EXECUTEing each prepared statement (PREPAREd on first use) with the same arguments."""
    return ";\n".join(f"EXECUTE {prepared(conn, signature, sql)}({args})" for signature, sql in statements.items())


def articles_to_dedup(conn: Connection, shard: int, shards: int, limit: int, skip: Iterable[int] = ()) -> list[Row]:
    """The next extracted, not yet deduplicated articles of a shard, earliest seen first (unlocked:
    each is claimed in its own transaction by `begin_dedup`), except those in `skip`."""
    with dict_cursor(conn) as cur:
        cur.execute(
            f"""SELECT id, canonical_url, page_canonical_url, text, text_hash, {SEEN_AT} AS seen_at
                FROM articles
                WHERE status = 'extracted' AND deduped_at IS NULL AND id %% %s = %s AND NOT (id = ANY(%s))
                ORDER BY {SEEN_AT}, id LIMIT %s""",
            (shards, shard, sorted(skip), limit),
        )
        return cur.fetchall()


DEDUP_LOCKS = {"wirewatch_dedup_locks(bigint[])":
               "SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT DISTINCT unnest($1) AS k ORDER BY 1) keys"}
DEDUP_CONTEXT = {"wirewatch_dedup_context(bigint, text, text)": f"""
    SELECT (SELECT id FROM articles WHERE url_key = $3 AND status = 'extracted' AND id <> $1
                                          AND story_id IS NOT NULL
            ORDER BY first_seen_at, id LIMIT 1) AS same_page_id,
           exact.id AS exact_id, exact.story_id AS exact_story_id,
           me.story_id AS previous_story_id, me.lsh_bands AS old_bands,
           (SELECT count(*) FROM articles other WHERE other.story_id = me.story_id AND other.id <> me.id) AS companions
    FROM articles me
    LEFT JOIN LATERAL (SELECT id, story_id FROM articles
                       WHERE text_hash = $2 AND id <> $1 AND status = 'extracted' AND story_id IS NOT NULL
                       ORDER BY {SEEN_AT}, id LIMIT 1) exact ON true
    WHERE me.id = $1 AND me.status = 'extracted' AND me.deduped_at IS NULL AND me.text_hash = $2
    FOR UPDATE OF me SKIP LOCKED"""}


def begin_dedup(conn: Connection, article_id: int, text_hash: str, url_key: str, lock_keys: Iterable[int]) -> Row | None:
    """Start the article's dedup transaction: take advisory locks on its keys (band keys, text
    hash, URL key) in ascending order, lock the article row, and read what decides its story: a
    stored article with the same URL key (same page), the earliest exact duplicate, and the story
    it is in already (re-dedup). One round trip. -> None when another worker has the article, or
    it was deduplicated or re-extracted meanwhile (the caller rolls back).

    Two workers holding copies of one story share at least the key through which one would find
    the other, so the second waits until the first commits and then sees its story: one copy can
    never found a second story. Losing the last commits in a server crash (synchronous_commit
    off) only leaves those articles to deduplicate again."""
    with dict_cursor(conn) as cur:
        cur.execute(";\n".join(["SET LOCAL synchronous_commit = off",
                                 _execute(conn, DEDUP_LOCKS, "%(keys)s::bigint[]"),
                                 _execute(conn, DEDUP_CONTEXT, "%(id)s, %(hash)s, %(url_key)s")]),
                    {"keys": sorted(set(lock_keys)), "id": article_id, "hash": text_hash, "url_key": url_key})
        return cur.fetchone()


BAND_CANDIDATES = {"wirewatch_band_candidates(bigint[], bigint, timestamptz, interval, int)": """
    SELECT id, story_id, text FROM (
        SELECT a.id, a.story_id, a.text, coalesce(a.published_at, a.feed_published_at, a.first_seen_at) AS seen
        FROM (SELECT article_id, count(*) AS shared FROM article_bands
              WHERE band_key = ANY($1) AND article_id <> $2 GROUP BY article_id) b
        JOIN articles a ON a.id = b.article_id
        WHERE a.status = 'extracted' AND a.story_id IS NOT NULL
          AND coalesce(a.published_at, a.feed_published_at, a.first_seen_at) BETWEEN $3 - $4 AND $3 + $4
        ORDER BY b.shared DESC, a.id LIMIT $5) best
    ORDER BY seen, id"""}


def band_candidates(conn: Connection, band_keys: Sequence[int], exclude_id: int, seen_at: datetime,
                    window: timedelta, limit: int) -> list[Candidate]:
    """Deduplicated articles seen within `window` of `seen_at` sharing at least one LSH band with
    the new article: the `limit` sharing most bands, earliest first. One index probe per band."""
    if not band_keys:
        return []
    with conn.cursor() as cur:
        cur.execute(_execute(conn, BAND_CANDIDATES, "%s::bigint[], %s, %s, %s, %s"),
                    (list(band_keys), exclude_id, seen_at, window, limit))
        return [Candidate(*row) for row in cur.fetchall()]


# The stories an article is in and was in before ($1 the article, $2 its previous story).
_TOUCHED_STORIES = "array_remove(ARRAY[$2::bigint, (SELECT story_id FROM articles WHERE id = $1)], NULL)"

# Refreshing a story's figures: lock the touched stories first (id order: no deadlocks), in a
# statement of its own, so that concurrent workers refresh one story one after the other, each
# refresh seeing the others' committed articles; then recompute; then drop stories left empty.
STORY_STATEMENTS = {
    "wirewatch_lock_stories(bigint, bigint)":
        f"SELECT id FROM stories WHERE id = ANY({_TOUCHED_STORIES}) ORDER BY id FOR UPDATE",
    "wirewatch_refresh_stories(bigint, bigint)": f"""
        UPDATE stories s SET first_seen_at = f.first_seen, last_seen_at = f.last_seen,
            articles = coalesce(f.articles, 0), outlets = coalesce(f.outlets, 0),
            representative_article_id = f.representative, updated_at = now()
        FROM stories t
        LEFT JOIN LATERAL (
            SELECT min({SEEN_AT}) AS first_seen, max({SEEN_AT}) AS last_seen, count(*) AS articles,
                   count(DISTINCT outlet) AS outlets, (array_agg(id ORDER BY {SEEN_AT}, id))[1] AS representative
            FROM articles WHERE story_id = t.id AND status = 'extracted') f ON true
        WHERE s.id = t.id AND t.id = ANY({_TOUCHED_STORIES})""",
    "wirewatch_drop_empty_stories(bigint, bigint)": f"""
        DELETE FROM stories s WHERE id = ANY({_TOUCHED_STORIES}) AND articles = 0
            AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.story_id = s.id)""",
}

ASSIGN_STATEMENTS = {
    # $2 NULL: a new story.
    # A new story is born with its figures: its one article is first, last and representative.
    "wirewatch_assign_story(bigint, bigint, bigint, real, text, bigint[], int)": f"""
        WITH created AS (INSERT INTO stories (first_seen_at, last_seen_at, articles, outlets,
                                              representative_article_id)
                         SELECT {SEEN_AT}, {SEEN_AT}, 1, 1, id FROM articles WHERE id = $1 AND $2::bigint IS NULL
                         RETURNING id)
        UPDATE articles SET story_id = coalesce($2, (SELECT id FROM created)), duplicate_of = $3,
            similarity = $4, url_key = $5, lsh_bands = $6, shingle_count = $7, deduped_at = now(),
            updated_at = now()
        WHERE id = $1""",
    # $2 the new band keys, $3 the old ones (kept keys are neither deleted nor inserted twice).
    "wirewatch_replace_bands(bigint, bigint[], bigint[])": """
        WITH dropped AS (DELETE FROM article_bands
                         WHERE band_key = ANY($3) AND article_id = $1 AND NOT (band_key = ANY($2)))
        INSERT INTO article_bands (band_key, article_id)
        SELECT DISTINCT key, $1 FROM unnest($2) AS key WHERE NOT (key = ANY($3))""",
}


def assign_story(conn: Connection, article_id: int, *, story_id: int | None, match: StoryMatch,
                 context: Row, band_keys: Sequence[int], shingle_count: int, url_key: str) -> int:
    """Put the article in `story_id`, or in a new story when None (see dedup.choose_story); store
    its LSH bands in place of its old ones, and refresh the figures of the stories it joined or
    left (a story left empty is removed). One round trip of prepared statements. -> the story id."""
    assign, bands = ({signature: sql} for signature, sql in ASSIGN_STATEMENTS.items())
    with conn.cursor() as cur:
        cur.execute(
            ";\n".join(filter(None, [
                _execute(conn, assign, "%(id)s, %(story)s, %(duplicate_of)s, %(similarity)s, %(url_key)s, "
                                       "%(bands)s::bigint[], %(shingles)s"),
                _execute(conn, bands, "%(id)s, %(bands)s::bigint[], %(old_bands)s::bigint[]"),
                _execute(conn, _story_statements(story_id, context["previous_story_id"]), "%(id)s, %(previous)s"),
                "SELECT story_id FROM articles WHERE id = %(id)s"])),
            {"id": article_id, "story": story_id, "previous": context["previous_story_id"],
             "duplicate_of": match.matched_article_id if match.kind == "exact" else None,
             "similarity": match.similarity, "url_key": url_key, "bands": list(band_keys),
             "old_bands": context["old_bands"] or [], "shingles": shingle_count})
        return cur.fetchone()[0]


def _story_statements(story_id: int | None, previous_story_id: int | None) -> dict[str, str]:
    """What the figures need: nothing for a new story of a first-time article (born with them);
    no check for an emptied story unless the article was in one before."""
    if previous_story_id is None:
        if story_id is None:
            return {}
        return {k: v for k, v in STORY_STATEMENTS.items() if "drop_empty" not in k}
    return STORY_STATEMENTS


def refresh_stories(conn: Connection, article_id: int, previous_story_id: int | None) -> None:
    """Lock and recompute the figures of the article's story and of the one it left."""
    with conn.cursor() as cur:
        cur.execute(_execute(conn, STORY_STATEMENTS, "%(id)s, %(previous)s"),
                    {"id": article_id, "previous": previous_story_id})


def articles_without_bands(conn: Connection, limit: int) -> list[Row]:
    """Deduplicated articles whose LSH bands were never stored (deduplicated before migration 0005)."""
    with dict_cursor(conn) as cur:
        cur.execute("""SELECT id, text FROM articles
                       WHERE status = 'extracted' AND deduped_at IS NOT NULL AND lsh_bands IS NULL
                       ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED""", (limit,))
        return cur.fetchall()


def save_bands(conn: Connection, article_id: int, band_keys: Sequence[int], shingle_count: int) -> None:
    """Index the bands of an article that has none yet (see pipeline.index_missing_bands)."""
    bands = {k: v for k, v in ASSIGN_STATEMENTS.items() if "bands" in k}
    with conn.cursor() as cur:
        cur.execute("UPDATE articles SET lsh_bands = %(bands)s::bigint[], shingle_count = %(shingles)s "
                    "WHERE id = %(id)s;\n" + _execute(conn, bands, "%(id)s, %(bands)s::bigint[], '{}'::bigint[]"),
                    {"bands": list(band_keys), "shingles": shingle_count, "id": article_id})


def merge_article(conn: Connection, article_id: int, into_id: int) -> int:
    """Fold an article into the one stored under the same page URL (rel=canonical). -> its story.

    The row is kept as 'merged' (its URL stays known, so feeds listing it add nothing), its feed
    links move to the surviving article, and when it was fetched later its text and metadata
    become the surviving article's newest revision, which is then deduplicated again."""
    with conn.cursor() as cur:
        cur.execute("SELECT story_id FROM articles WHERE id = %s FOR UPDATE", (into_id,))
        story_id = cur.fetchone()[0]
        cur.execute(
            """UPDATE articles survivor SET title = m.title, author = m.author, published_at = m.published_at,
                   site_name = m.site_name, language = m.language, page_canonical_url = m.page_canonical_url,
                   top_image = m.top_image, text = m.text, text_hash = m.text_hash, word_count = m.word_count,
                   wire_note = m.wire_note, wire_source = m.wire_source, quality_flags = m.quality_flags,
                   extraction = m.extraction, final_url = m.final_url, fetched_at = m.fetched_at,
                   extracted_at = m.extracted_at, deduped_at = NULL, tagged_at = NULL, updated_at = now()
               FROM articles m
               WHERE survivor.id = %s AND m.id = %s AND m.fetched_at > survivor.fetched_at
               RETURNING survivor.id""",
            (into_id, article_id),
        )
        if cur.fetchone():
            record_revisions(conn, [into_id])
        cur.execute(
            """UPDATE articles SET status = 'merged', merged_into = %s, story_id = NULL, duplicate_of = NULL,
                   deduped_at = now(), tagged_at = now(), updated_at = now()
               WHERE id = %s""",
            (into_id, article_id),
        )
        cur.execute("""INSERT INTO feed_entries (feed_id, article_id, entry_id, title, first_seen_at, last_seen_at)
                       SELECT feed_id, %s, entry_id, title, first_seen_at, last_seen_at FROM feed_entries
                       WHERE article_id = %s ON CONFLICT (feed_id, article_id) DO NOTHING""", (into_id, article_id))
        cur.execute("DELETE FROM article_topics WHERE article_id = %s", (article_id,))
        cur.execute("DELETE FROM article_actors WHERE article_id = %s", (article_id,))
    return story_id


def record_revisions(conn: Connection, article_ids: Sequence[int]) -> None:
    """Add the articles' current title and text as a new revision when they differ from the last."""
    with conn.cursor() as cur:
        cur.execute(
            """INSERT INTO article_revisions (article_id, revision, url, title, text_hash, word_count)
               SELECT a.id, coalesce(last.revision, 0) + 1, coalesce(a.final_url, a.url), a.title, a.text_hash,
                      a.word_count
               FROM articles a
               LEFT JOIN LATERAL (SELECT revision, title, text_hash FROM article_revisions r
                                  WHERE r.article_id = a.id ORDER BY revision DESC LIMIT 1) last ON true
               WHERE a.id = ANY(%s) AND a.text_hash IS NOT NULL
                 AND (last.revision IS NULL OR last.title IS DISTINCT FROM a.title
                      OR last.text_hash IS DISTINCT FROM a.text_hash)""",
            (list(article_ids),),
        )


# --- tagging ---------------------------------------------------------------------------------

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


def articles_to_tag(conn: Connection, taxonomy_version: str, limit: int) -> list[Row]:
    with dict_cursor(conn) as cur:
        cur.execute(
            # The article's year tells the tagger which years mentioned in it are history.
            """SELECT id, title, text, language, coalesce(published_at, feed_published_at, first_seen_at) AS published,
                      extract(year FROM coalesce(published_at, feed_published_at, first_seen_at))::int AS year
               FROM articles
               WHERE status = 'extracted' AND (tagged_at IS NULL OR taxonomy_version IS DISTINCT FROM %s)
               ORDER BY id LIMIT %s
               FOR UPDATE SKIP LOCKED""",
            (taxonomy_version, limit),
        )
        return cur.fetchall()


def save_tags(conn: Connection, article_id: int, taxonomy_version: str, topics: Sequence[TopicMatch],
              actors: Sequence[ActorMention], events: dict[str, EventFacts] | None = None) -> None:
    """Replace the article's topics (with their event facts) and actors with the new ones
    (re-tagging leaves no stale rows)."""
    events = events or {}
    none = EventFacts()
    with conn.cursor() as cur:
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
              e.killed, e.killed_qualifier, e.injured, e.injured_qualifier, list(e.casualty_text),
              json.dumps([dataclasses.asdict(p) for p in e.places]), e.event_date)
             for m in topics for e in [events.get(m.topic_id, none)]],
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
