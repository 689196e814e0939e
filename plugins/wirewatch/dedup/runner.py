"""The dedup step's runner: every newly extracted article put in a story, in order, under locks."""

from __future__ import annotations

import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import timedelta

from wirewatch import warehouse
from wirewatch.db import connect
from wirewatch.dedup.similarity import (
    Candidate,
    Fingerprint,
    StoryMatch,
    best_match,
    choose_story,
    fingerprint,
    lock_key,
)
from wirewatch.settings import Settings
from wirewatch.stages import Counts, finish, settings_or_env
from wirewatch.urls import page_key
from wirewatch.workers import SafePool, default_workers

LOGGER = logging.getLogger(__name__)


# Articles read per round, and candidates (sharing most LSH bands) verified per article.
DEDUP_BATCH = 500
DEDUP_CANDIDATES = 20
# A text whose fingerprint has not come back after this long is fingerprinted again in the dedup process.
FINGERPRINT_TIMEOUT = 60.0
DEDUP_OUTCOME_COUNT = {"exact": "exact_duplicates", "near": "syndicated_copies", "new": "new_stories",
                       "same_page": "same_page_merged"}


def dedup_articles(*, run_id: str, shard: int = 0, shards: int = 1, settings: Settings | None = None) -> Counts:
    """Put every newly extracted article (of this shard) in a story: the same page as a stored
    article (rel=canonical), an exact copy, a syndicated copy, or a new story.

    Each article is decided and recorded in its own transaction under advisory locks on its
    fingerprint keys (see warehouse.begin_dedup), so any number of workers, shards or DAG
    runs can deduplicate at once without splitting a story."""
    settings = settings_or_env(settings)
    counts: Counter = Counter()
    contested: set[int] = set()  # claimed by another worker right now: theirs to finish
    with connect(settings.database_url) as conn:
        warehouse.refresh_article_statistics(conn)
        index_missing_bands(conn)
        batch = warehouse.articles_to_dedup(conn, shard, shards, DEDUP_BATCH, skip=contested)
        # The texts' fingerprints (most of the CPU) are computed by a pool of worker processes, a
        # batch ahead, while this process decides the batch before in order; one batch alone is
        # fingerprinted here, since starting the pool costs more.
        with ExitStack() as stack:
            pool = stack.enter_context(fingerprint_pool(settings)) if len(batch) >= DEDUP_BATCH else None
            background = stack.enter_context(ThreadPoolExecutor(1))

            def fingerprints(articles: list[dict]) -> list[Fingerprint | None]:
                texts = [article["text"] or "" for article in articles]
                return pool.map(fingerprint, texts) if pool else [fingerprint(text) for text in texts]

            running = background.submit(fingerprints, batch)
            while batch:
                found = running.result()
                following = warehouse.articles_to_dedup(conn, shard, shards, DEDUP_BATCH,
                                                        skip=contested | {article["id"] for article in batch})
                running = background.submit(fingerprints, following)
                for article, article_print in zip(batch, found):
                    outcome = dedup_article(conn, article, settings, article_print)
                    if outcome is None:
                        contested.add(article["id"])
                        continue
                    counts["articles_deduped"] += 1
                    counts[DEDUP_OUTCOME_COUNT[outcome]] += 1
                LOGGER.info("deduplicated %d articles so far", counts["articles_deduped"])
                batch = following
    return finish(settings, run_id, "dedup", shard, counts, Counter())


def fingerprint_pool(settings: Settings) -> SafePool:
    """Worker processes for dedup's fingerprints; an item whose worker failed is fingerprinted again
    in the dedup process (None)."""
    return SafePool(default_workers(settings.extract_workers), item_timeout=FINGERPRINT_TIMEOUT,
                    on_error=lambda _reason: None, preload=["wirewatch.dedup.similarity"], chunksize=16)


def index_missing_bands(conn) -> int:
    """Store the LSH bands of articles deduplicated before the index existed, so that new copies
    find them. -> how many (zero, after the first run following the upgrade)."""
    indexed = 0
    while batch := warehouse.articles_without_bands(conn, DEDUP_BATCH):
        for article in batch:
            found = fingerprint(article["text"] or "")
            warehouse.save_bands(conn, article["id"], found.band_keys, len(found.shingles))
        conn.commit()
        indexed += len(batch)
    if indexed:
        LOGGER.info("indexed the LSH bands of %d articles deduplicated before the index existed", indexed)
    return indexed


def dedup_article(conn, article: dict, settings: Settings, found: Fingerprint | None = None) -> str | None:
    """Decide and record one article's story in one transaction (`found`: its text's fingerprint,
    if computed already). -> 'same_page', 'exact', 'near' or 'new'; None when another worker holds
    the article."""
    found = found or fingerprint(article["text"] or "")
    key = page_key(article["canonical_url"], article["page_canonical_url"])
    try:
        context = warehouse.begin_dedup(conn, article["id"], article["text_hash"], key,
                                        [*found.band_keys, lock_key(article["text_hash"]), lock_key(key)])
        if context is None:
            conn.rollback()
            return None
        if context["same_page_id"] is not None:
            warehouse.merge_article(conn, article["id"], context["same_page_id"])
            conn.commit()
            return "same_page"
        if context["exact_id"] is not None:
            match = StoryMatch("exact", context["exact_story_id"], context["exact_id"], 1.0)
        else:
            candidates = [Candidate(*row) for row in warehouse.band_candidates(
                conn, found.band_keys, article["id"], article["seen_at"],
                timedelta(days=settings.dedup_window_days), DEDUP_CANDIDATES)]
            match = best_match(found, candidates, settings.near_duplicate_containment)
        warehouse.assign_story(conn, article["id"], match=match, context=context, band_keys=found.band_keys,
                               shingle_count=len(found.shingles), url_key=key,
                               story_id=choose_story(match, context["previous_story_id"], context["companions"]))
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return match.kind
