"""Stories: the dedup step's statements. Each article is decided in one transaction of four or
five round trips (begin, context, candidates, assign, commit) of statements prepared once per
connection: at a few milliseconds per article, round trips and query planning would otherwise
cost more than the work.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from wirewatch.db import Connection, dict_cursor, prepared
from wirewatch.warehouse.base import SEEN_AT, Row

if TYPE_CHECKING:  # the warehouse stores what the stages find, and imports none of them
    from wirewatch.dedup.similarity import StoryMatch


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
    -- OFFSET 0 fences each key's lookup in: the statistics of a fresh run say every story_id is
    -- NULL, and the planner would walk articles_story_idx through all deduplicated rows instead.
    SELECT (SELECT id FROM (SELECT id, story_id, first_seen_at FROM articles
                            WHERE url_key = $3 AND status = 'extracted' OFFSET 0) same_page
            WHERE id <> $1 AND story_id IS NOT NULL ORDER BY first_seen_at, id LIMIT 1) AS same_page_id,
           exact.id AS exact_id, exact.story_id AS exact_story_id,
           me.story_id AS previous_story_id,
           -- Pruned bands have no rows left to keep: all of them are written again.
           CASE WHEN me.bands_pruned_at IS NULL THEN me.lsh_bands END AS old_bands,
           (SELECT count(*) FROM articles other WHERE other.story_id = me.story_id AND other.id <> me.id) AS companions
    FROM articles me
    LEFT JOIN LATERAL (SELECT id, story_id FROM (SELECT id, story_id, status, {SEEN_AT} AS seen FROM articles
                                                 WHERE text_hash = $2 OFFSET 0) same_text
                       WHERE id <> $1 AND status = 'extracted' AND story_id IS NOT NULL
                       ORDER BY seen, id LIMIT 1) exact ON true
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
                    window: timedelta, limit: int) -> list[tuple[int, int, str]]:
    """Deduplicated articles seen within `window` of `seen_at` sharing at least one LSH band with
    the new article: the `limit` sharing most bands, earliest first, as (article id, story id,
    text). One index probe per band."""
    if not band_keys:
        return []
    with conn.cursor() as cur:
        cur.execute(_execute(conn, BAND_CANDIDATES, "%s::bigint[], %s, %s, %s, %s"),
                    (list(band_keys), exclude_id, seen_at, window, limit))
        return cur.fetchall()


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
            similarity = $4, url_key = $5, lsh_bands = $6, shingle_count = $7, bands_pruned_at = NULL, deduped_at = now(),
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
    """Index the bands of an article that has none yet (see dedup.runner.index_missing_bands)."""
    bands = {k: v for k, v in ASSIGN_STATEMENTS.items() if "bands" in k}
    with conn.cursor() as cur:
        cur.execute("UPDATE articles SET lsh_bands = %(bands)s::bigint[], shingle_count = %(shingles)s, "
                    "bands_pruned_at = NULL "
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


def prune_bands(conn: Connection, seen_before: datetime, limit: int) -> tuple[int, int]:
    """Delete the band rows of up to `limit` articles seen before `seen_before` (no new article can
    match them any more), through the (band_key, article_id) index. -> (articles, band rows)."""
    with conn.cursor() as cur:
        cur.execute(
            f"""WITH old AS (
                    SELECT id, lsh_bands FROM articles
                    WHERE bands_pruned_at IS NULL AND lsh_bands IS NOT NULL AND {SEEN_AT} < %s
                    ORDER BY {SEEN_AT}, id LIMIT %s FOR UPDATE SKIP LOCKED),
                gone AS (
                    DELETE FROM article_bands b USING (SELECT id, unnest(lsh_bands) AS band_key FROM old) k
                    WHERE b.band_key = k.band_key AND b.article_id = k.id RETURNING 1),
                marked AS (
                    UPDATE articles a SET bands_pruned_at = now() FROM old WHERE a.id = old.id RETURNING 1)
                SELECT (SELECT count(*) FROM marked), (SELECT count(*) FROM gone)""",
            (seen_before, limit))
        return cur.fetchone()
