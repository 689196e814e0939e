"""Articles and pages: claiming queued articles for fetching, storing downloads and raw pages,
claiming fetched articles for extraction and saving what it found, re-extraction, and the
per-site boilerplate lines the extract step learns.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import psycopg2.errors
import psycopg2.extras

from wirewatch.db import Connection, dict_cursor
from wirewatch.warehouse import rawpages
from wirewatch.warehouse.base import Row
from wirewatch.warehouse.stories import record_revisions, refresh_stories

LOGGER = logging.getLogger(__name__)

if TYPE_CHECKING:  # the warehouse stores what the stages find, and imports none of them
    from wirewatch.extraction.extract import ExtractedArticle
    from wirewatch.fetch.client import Download


def count_queued_articles(conn: Connection) -> int:
    with conn.cursor() as cur:
        cur.execute("""SELECT count(*) FROM articles
                       WHERE (status = 'queued' AND next_attempt_at <= now()) OR refetch_requested_at IS NOT NULL""")
        return cur.fetchone()[0]


def refresh_article_statistics(conn: Connection) -> bool:
    """ANALYZE articles, so the planner sees the queue a poll has just filled. Until autovacuum
    gets to it, the statistics predate the new rows, and each claim then sorts the whole queue
    (0.8 ms with 800 queued, growing with the queue) instead of taking the first entry of
    articles_fetch_todo_idx (0.05 ms). Skipped, with False, when a vacuum holds the table for
    more than half a second: the claims are slower then, not wrong."""
    with conn.cursor() as cur:
        try:
            cur.execute("SET LOCAL lock_timeout = '500ms'")
            cur.execute("ANALYZE articles")
        except psycopg2.errors.LockNotAvailable:
            conn.rollback()
            LOGGER.info("articles is being vacuumed: its statistics were not refreshed")
            return False
    conn.commit()
    return True


def claim_queued_article(conn: Connection, shard: int, shards: int, *, skip_hosts: Collection[str] = ()) -> Row | None:
    """Lock the next article of the shard due for fetching, except those of `skip_hosts` (hosts
    another worker of the task is fetching from): queued articles first, then requested refetches.
    The lock lasts until the caller commits."""
    for due in ("status = 'queued' AND next_attempt_at <= now()",  # articles_fetch_todo_idx
                "refetch_requested_at IS NOT NULL"):               # articles_refetch_idx
        with dict_cursor(conn) as cur:
            cur.execute(
                f"""SELECT id, url, canonical_url, attempts, feed_summary, refetch_requested_at IS NOT NULL AS refetch
                    FROM articles
                    WHERE {due}
                      -- shard by host: one task owns a host, so politeness holds across tasks
                      AND abs(hashtext(split_part(canonical_url, '/', 3))) %% %s = %s
                      AND NOT (split_part(canonical_url, '/', 3) = ANY (%s))
                    ORDER BY id
                    LIMIT 1 FOR UPDATE SKIP LOCKED""",
                (shards, shard, sorted(skip_hosts)),
            )
            if (row := cur.fetchone()) is not None:
                return row
    return None


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


def purge_raw_pages(conn: Connection, older_than: timedelta, limit: int) -> int:
    """Drop up to `limit` raw pages past their retention, except those still waiting for the
    extract step. -> how many."""
    with conn.cursor() as cur:
        cur.execute(
            """DELETE FROM raw_pages WHERE article_id IN (
                   SELECT r.article_id FROM raw_pages r JOIN articles a ON a.id = r.article_id
                   WHERE a.status <> 'fetched' AND r.fetched_at < now() - %s LIMIT %s)""",
            (older_than, limit),
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


def purge_site_lines(conn: Connection, older_than: timedelta, limit: int) -> int:
    """Forget up to `limit` lines seen in only one article long ago: story sentences, not
    boilerplate. -> how many."""
    with conn.cursor() as cur:
        cur.execute("""DELETE FROM site_lines WHERE (site, line_key) IN (
                           SELECT site, line_key FROM site_lines
                           WHERE articles = 1 AND last_seen < now() - %s LIMIT %s)""", (older_than, limit))
        return cur.rowcount
