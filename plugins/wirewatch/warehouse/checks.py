"""Data-quality checks run after each load (news_ingest's `check_*` tasks, common-sql's
SQLCheckOperator). Each is one query returning one row, `(passed, detail)`: `passed` is false
when rows break the rule, and `detail` always says how many and which (the first ids), so a
failing task's log shows what to look at. Checks only read: the good data stays loaded.
"""

from __future__ import annotations

from wirewatch.db import Connection

IDS_SHOWN = 20


def _check(what: str, ids: str, where: str) -> str:
    """A check: rows of `where` (a FROM … WHERE … clause) break the rule; `ids` names them."""
    return (f"SELECT count(*) = 0 AS passed, "
            f"format('%s {what}%s', count(*), coalesce(': ' || array_to_string("
            f"(array_agg({ids} ORDER BY {ids}))[1:{IDS_SHOWN}], ', '), '')) AS detail "
            f"{where}")


CHECKS: dict[str, str] = {
    # Every article came from a feed: its feed, or at least one feed's listing of it.
    "articles_have_a_feed": _check(
        "articles without a feed", "a.id",
        "FROM articles a WHERE a.feed_id IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM feed_entries e WHERE e.article_id = a.id)"),
    "extracted_articles_have_text": _check(
        "extracted articles with empty text", "a.id",
        "FROM articles a WHERE a.status = 'extracted' AND coalesce(btrim(a.text), '') = ''"),
    # story_id is one column, so "exactly one" means "one, not none".
    "extracted_articles_in_a_story": _check(
        "extracted articles in no story", "a.id",
        "FROM articles a WHERE a.status = 'extracted' AND a.story_id IS NULL"),
    "topic_links_in_the_taxonomy": _check(
        "topic links to topics no longer in the taxonomy", "t.article_id || ':' || t.topic_id",
        "FROM article_topics t JOIN topics p ON p.id = t.topic_id WHERE NOT p.active"),
    "no_publication_date_in_the_future": _check(
        "articles published more than a day ahead", "a.id",
        "FROM articles a WHERE a.published_at > now() + interval '1 day'"),
    # Due, not backed off, yet unpolled for three intervals: the poller is not reaching it. An
    # interval under a minute (feeds polled at every run) counts as a minute: no run is that quick.
    "no_feed_silently_stuck": _check(
        "enabled feeds not polled for three times their interval", "f.id",
        "FROM feeds f WHERE f.enabled AND f.next_poll_at < now() "
        "AND coalesce(f.last_polled_at, f.created_at) < now() - 3 * greatest(f.poll_interval, interval '1 minute')"),
}


def run_checks(conn: Connection) -> dict[str, tuple[bool, str]]:
    """Every check on `conn`: name -> (passed, detail). (`wirewatch check`, and tests.)"""
    results = {}
    with conn.cursor() as cur:
        for name, sql in CHECKS.items():
            cur.execute(sql)
            results[name] = cur.fetchone()
    return results
