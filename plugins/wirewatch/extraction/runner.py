"""The extract step's runner: every fetched article extracted from its stored page, on all cores."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from wirewatch import warehouse
from wirewatch.db import connect
from wirewatch.extraction.boilerplate import countable_lines
from wirewatch.extraction.extract import ExtractedArticle, Rejection, extract_article
from wirewatch.settings import Settings
from wirewatch.stages import Counts, finish, note_reason, settings_or_env
from wirewatch.urls import site_of
from wirewatch.warehouse import rawpages
from wirewatch.workers import SafePool, default_workers, overlapped_rounds

LOGGER = logging.getLogger(__name__)


# Articles claimed (and locked) per round; each round is committed as one transaction.
EXTRACT_BATCH = 64
# Pages handed to a pool worker at a time: fewer round trips between processes.
EXTRACT_CHUNK = 4


@dataclass(frozen=True)
class ExtractJob:
    """What a pool worker needs to extract one article: picklable, no connection."""

    article_id: int
    compressed_body: bytes
    url: str
    content_type: str
    summary: str | None
    feed_title: str | None
    min_words: int
    boilerplate: frozenset[int]


def run_extract_job(job: ExtractJob) -> ExtractedArticle | Rejection | str:
    """Extract one article (in a pool worker). -> the article, a rejection, or an error string."""
    try:
        return extract_article(rawpages.decompress(job.compressed_body), url=job.url,
                               content_type=job.content_type, min_words=job.min_words, summary=job.summary,
                               feed_title=job.feed_title, boilerplate=job.boilerplate)
    except Exception as exc:  # a parser crash on one hostile page must not stop the batch
        LOGGER.exception("extraction crashed on %s", job.url)
        return f"extraction error: {type(exc).__name__}: {exc}"[:500]


# A page that has not come out of the extractor after this long is given up (and recorded as failed).
EXTRACT_PAGE_TIMEOUT = 120.0


def extract_pool(settings: Settings) -> SafePool:
    """The extract step's process pool: all cores unless WIREWATCH_EXTRACT_WORKERS says otherwise.
    The forkserver preloads this module too: workers unpickle `run_extract_job` from it, and would
    otherwise each import it (1-2 s) before their first page."""
    return SafePool(default_workers(settings.extract_workers), item_timeout=EXTRACT_PAGE_TIMEOUT,
                    on_error=lambda reason: f"extraction error: {reason}",
                    preload=["wirewatch.extraction.extract", "wirewatch.extraction.runner"],
                    chunksize=EXTRACT_CHUNK)


def extract_articles(*, run_id: str, settings: Settings | None = None) -> Counts:
    """Extract every fetched article from its stored page, across all cores.

    Each round locks a batch, extracts it in the pool, and records the outcomes and the site
    boilerplate it learned in one transaction: a task that dies loses the round, not its rows.
    Rounds overlap: while the pool extracts one batch, the previous batch is saved on a second
    connection (so a batch learns the boilerplate committed up to two batches before it)."""
    settings = settings_or_env(settings)
    with connect(settings.database_url) as conn:
        pending = warehouse.count_fetched_articles(conn)
    LOGGER.info("%d fetched articles to extract with %d worker process(es)", pending,
                default_workers(settings.extract_workers))
    return _extract_rounds(run_id, settings, EXTRACT_SHARD, lambda c: warehouse.claim_fetched_articles(c, EXTRACT_BATCH),
                           of=f" of {pending}")


# run_stats shards of the extract stage: the task after the fetch, and the one beside it.
EXTRACT_SHARD, WHILE_FETCHING_SHARD = 0, 1
# While fetching goes on, a round waits for at least this many pages per worker process...
FOLLOW_MIN_PAGES_PER_WORKER = 2 * EXTRACT_CHUNK
# ...checking the queue this often, and no longer than this for a round to fill.
FOLLOW_POLL_SECONDS = 0.25
FOLLOW_FILL_SECONDS = 2.0


def extract_while_fetching(*, run_id: str, settings: Settings | None = None,
                           idle_seconds: float | None = None) -> Counts:
    """The extract step run beside the fetch tasks: pages are extracted as the fetch stores them.

    Stops once nothing is left to fetch (no article due for fetching, in flight or not, and no
    page waiting), or when nothing new was fetched for `idle_seconds` (WIREWATCH_EXTRACT_IDLE_SECONDS):
    a fetch task that failed is retried after this task has gone, and the `extract` task after
    the fetch takes whatever it stores. Same rounds, same transactions as `extract_articles`."""
    settings = settings_or_env(settings)
    idle_seconds = settings.extract_idle_seconds if idle_seconds is None else idle_seconds
    workers = default_workers(settings.extract_workers)
    enough = workers * FOLLOW_MIN_PAGES_PER_WORKER
    last_progress, last_to_fetch = time.monotonic(), None

    def claim(conn) -> list[dict]:
        nonlocal last_progress, last_to_fetch
        filling_since = time.monotonic()
        while True:
            # In this order: an article leaves the fetch queue and becomes a page in one commit.
            to_fetch = warehouse.count_queued_articles(conn)
            waiting = warehouse.count_fetched_articles(conn)
            now = time.monotonic()
            if to_fetch != last_to_fetch:  # the fetch moves on, even when it only records failures
                last_progress, last_to_fetch = now, to_fetch
            fetching = to_fetch > 0 and now - last_progress < idle_seconds
            if waiting and (waiting >= enough or not fetching or now - filling_since >= FOLLOW_FILL_SECONDS):
                batch = warehouse.claim_fetched_articles(conn, EXTRACT_BATCH)
                if batch:
                    return batch
            conn.rollback()  # a fresh snapshot, and no transaction left open while waiting
            if not fetching:
                if to_fetch:
                    LOGGER.info("nothing fetched for %.0fs with %d articles still to fetch: stopping; the extract "
                                "task after the fetch takes the rest", idle_seconds, to_fetch)
                return []
            time.sleep(FOLLOW_POLL_SECONDS)

    LOGGER.info("extracting pages as they are fetched, with %d worker process(es)", workers)
    return _extract_rounds(run_id, settings, WHILE_FETCHING_SHARD, claim, of="")


def _extract_rounds(run_id: str, settings: Settings, shard: int, claim, *, of: str) -> Counts:
    counts: Counter = Counter()
    reasons: Counter = Counter()
    by_site: dict[str, Counter] = {}
    with connect(settings.database_url) as conn, connect(settings.database_url) as other_conn:
        def save(save_conn, batch: list[dict], results: list) -> None:
            _save_batch(save_conn, batch, results, counts, reasons, by_site)
            LOGGER.info("extracted %d%s so far", counts["extracted"] + counts["rejected"] + counts["failed"], of)

        first = claim(conn)
        if first:  # no pool started for nothing; the first batch is then the first round's
            batches = iter([first])
            with extract_pool(settings) as pool:
                overlapped_rounds((conn, other_conn), claim=lambda c: next(batches, None) or claim(c),
                                  prepare=lambda c, batch: _extract_jobs(c, batch, settings),
                                  work=lambda jobs: pool.map(run_extract_job, jobs), save=save)
    return finish(settings, run_id, "extract", shard, counts, reasons, by_site)


def mark_for_reprocess(*, site: str | None = None, since: datetime | None = None,
                       statuses: tuple[str, ...] = ("extracted", "rejected", "failed"),
                       settings: Settings | None = None) -> int:
    """Send stored pages back to the extract step (after the extractor improved). -> how many."""
    settings = settings_or_env(settings)
    with connect(settings.database_url) as conn:
        marked = warehouse.mark_for_reprocess(conn, site=site, since=since, statuses=statuses)
    LOGGER.info("%d articles with a stored page marked for re-extraction (site %s, fetched since %s, status %s)",
                marked, site or "any", since or "ever", "/".join(statuses))
    return marked


def _extract_jobs(conn, batch: list[dict], settings: Settings) -> list[ExtractJob]:
    known = warehouse.known_boilerplate(conn, {site_of(row["final_url"]) for row in batch})
    return [ExtractJob(article_id=row["id"], compressed_body=row["body"], url=row["final_url"],
                       content_type=row["content_type"] or "", summary=row["feed_summary"],
                       feed_title=row["feed_title"], min_words=settings.min_article_words,
                       boilerplate=known.get(site_of(row["final_url"]), frozenset()))
            for row in batch]


def _save_batch(conn, batch: list[dict], results: list, counts: Counter, reasons: Counter,
                by_site: dict[str, Counter]) -> None:
    """Record each page's outcome (article, rejection or error) and the site lines it taught."""
    extracted: list[tuple[int, ExtractedArticle]] = []
    learned: dict[str, list[dict[int, str]]] = {}
    for row, result in zip(batch, results):
        if isinstance(result, ExtractedArticle):
            extracted.append((row["id"], result))
            if not row["extracted_before"]:  # reprocessing must not count a page's lines twice
                learned.setdefault(site_of(row["final_url"]), []).append(countable_lines(result.text))
            outcome, reason = "extracted", None
            if "maybe_not_article" in result.quality_flags:
                counts["flagged_maybe_not_article"] += 1
        elif isinstance(result, Rejection):
            warehouse.save_not_extracted(conn, row["id"], status="rejected", reason=result.reason)
            outcome, reason = "rejected", result.reason
        else:
            warehouse.save_not_extracted(conn, row["id"], status="failed", reason=result)
            outcome, reason = "failed", result
        counts[outcome] += 1
        if reason:
            note_reason(reasons, by_site, reason, row["final_url"])
        LOGGER.info("article %s %s: %s%s", row["id"], row["url"], outcome, f" ({reason})" if reason else "")
    warehouse.save_extracted_many(conn, extracted)
    for site, articles in learned.items():
        warehouse.learn_site_lines(conn, site, articles)
