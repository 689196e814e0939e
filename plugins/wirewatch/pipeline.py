"""Stage runners: what each DAG task calls. Each takes ids/counts in and returns counts out.

Every item a stage touches ends with exactly one recorded outcome in the warehouse, committed
item by item, so a task that dies half-way loses nothing and its retry duplicates nothing.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wirewatch import polling, rawpages, warehouse
from wirewatch.actors import Gazetteer, load_gazetteer
from wirewatch.boilerplate import countable_lines, site_of
from wirewatch.db import connect
from wirewatch.dedup import Fingerprint, StoryMatch, best_match, choose_story, fingerprint, lock_key
from wirewatch.events import event_facts
from wirewatch.extract import ExtractedArticle, Rejection, extract_article, media_rejection
from wirewatch.matching import tokenize
from wirewatch.fetch import Download, download, make_session
from wirewatch.politeness import HostPolicy
from wirewatch.settings import Settings
from wirewatch.topics import Taxonomy, load_taxonomy
from wirewatch.urls import page_key
from wirewatch.workers import SafePool, default_workers

LOGGER = logging.getLogger(__name__)

Counts = dict[str, object]
TAG_BATCH = 200
TAG_CHUNK = 8
# A pathological text that has not been tagged after this long is given up (and reported).
TAG_ARTICLE_TIMEOUT = 60.0

# The counts each stage reports (always all of them, zeros included, so summaries are stable).
STAGE_COUNTS = {
    "poll": ("feeds_polled", "feeds_ok", "feeds_not_modified", "feeds_failed", "entries_seen", "entries_skipped",
             "articles_new", "articles_known", "articles_changed"),
    "fetch": ("fetched", "rejected", "failed", "retrying"),
    "extract": ("extracted", "rejected", "failed", "flagged_maybe_not_article"),
    "dedup": ("articles_deduped", "new_stories", "syndicated_copies", "exact_duplicates", "same_page_merged"),
    "tag": ("articles_tagged", "topic_links", "actor_links", "articles_without_topic", "articles_untagged_language",
            "event_facts"),
}


def _settings(settings: Settings | None) -> Settings:
    return settings or Settings.from_env()


def _shards(pending: int, settings: Settings) -> list[dict[str, int]]:
    """Split `pending` items into at most `max_shards` shards; always at least one, so the
    mapped task runs (and records zero) rather than being skipped."""
    shards = max(1, min(settings.max_shards, math.ceil(pending / settings.shard_size)))
    return [{"shard": k, "shards": shards} for k in range(shards)]


def reason_kind(reason: str) -> str:
    """A reason without its particulars ("not an HTML page (application/pdf)" -> "not an HTML
    page"), so that a run's reasons group and a site being dropped stands out."""
    return reason.split(" (", 1)[0][:REASON_KIND_MAX]


REASON_KIND_MAX = 100
# A run's report names at most this many sites whose articles were not loaded.
REASON_SITES_MAX = 50


def _note_reason(reasons: Counter, by_site: dict[str, Counter], reason: str, url: str) -> None:
    kind = reason_kind(reason)
    reasons[kind] += 1
    by_site.setdefault(site_of(url), Counter())[kind] += 1


def _finish(settings: Settings, run_id: str, stage: str, shard: int, counts: Counter, reasons: Counter,
            by_site: dict[str, Counter] | None = None) -> Counts:
    result: Counts = {key: counts[key] for key in STAGE_COUNTS[stage]}
    if reasons:
        result["reasons"] = dict(reasons)
    if by_site:
        busiest = sorted(by_site.items(), key=lambda kv: -sum(kv[1].values()))[:REASON_SITES_MAX]
        result["reasons_by_site"] = {site: dict(kinds) for site, kinds in busiest}
    with connect(settings.database_url) as conn:
        warehouse.record_run_stats(conn, run_id, stage, shard, result)
    LOGGER.info("%s%s done: %s", stage, f" shard {shard}" if stage in ("poll", "fetch") else "",
                ", ".join(f"{key.replace('_', ' ')} {counts[key]}" for key in STAGE_COUNTS[stage]))
    return result


# --- poll ------------------------------------------------------------------------------------

def plan_poll(settings: Settings | None = None) -> list[dict[str, int]]:
    settings = _settings(settings)
    with connect(settings.database_url) as conn:
        due = warehouse.count_due_feeds(conn)
    LOGGER.info("%d feeds due", due)
    return _shards(due, settings)


def poll_feeds(shard: int, shards: int, *, run_id: str, settings: Settings | None = None) -> Counts:
    """Poll the due feeds of one shard, many at a time; queue new entries as articles.

    One asyncio loop (see polling.poll_due_feeds): feeds are claimed in batches with a lease,
    up to WIREWATCH_POLL_WORKERS downloads are in flight, and outcomes are written in groups, one
    transaction each (feed state, fetch_events, queued articles together)."""
    settings = _settings(settings)
    counts: Counter = Counter()
    reasons: Counter = Counter()

    def recorded(result: polling.PollResult, found: dict[str, int]) -> None:
        counts.update(found)
        counts["feeds_polled"] += 1
        counts[POLL_OUTCOME_COUNT.get(result.outcome, "feeds_failed")] += 1
        if result.error:
            reasons[result.error] += 1
        LOGGER.info("polled feed %s (%s): %s%s", result.feed["id"], result.feed["url"], result.outcome,
                    f" ({result.error})" if result.error else "")

    with connect(settings.database_url) as conn:
        asyncio.run(polling.poll_due_feeds(conn, shard, shards, settings, recorded))
    return _finish(settings, run_id, "poll", shard, counts, reasons)


# How each poll outcome is counted in the stage summary.
POLL_OUTCOME_COUNT = {"new_entries": "feeds_ok", "no_new_entries": "feeds_ok", "parsed": "feeds_ok",
                      "not_modified": "feeds_not_modified", "same_body": "feeds_not_modified"}


# --- fetch + extract -------------------------------------------------------------------------

def plan_fetch(settings: Settings | None = None) -> list[dict[str, int]]:
    settings = _settings(settings)
    with connect(settings.database_url) as conn:
        queued = warehouse.count_queued_articles(conn)
    LOGGER.info("%d articles queued for fetching", queued)
    return _shards(queued, settings)


def fetch_articles(shard: int, shards: int, *, run_id: str, settings: Settings | None = None) -> Counts:
    """Fetch the queued articles of one shard (its hosts): up to WIREWATCH_FETCH_WORKERS at once, each
    on a different host, so a host still gets one request at a time, its robots.txt and its delay,
    while a slow network costs no throughput. Each article is claimed, fetched and recorded in its
    own transaction on its worker's connection: a task killed half-way loses only what was in flight,
    which the retry fetches again. Pages are stored for the extract step."""
    settings = _settings(settings)
    counts: Counter = Counter()
    reasons: Counter = Counter()
    by_site: dict[str, Counter] = {}
    session = make_session(settings)
    hosts = HostPolicy(session, settings)
    busy: set[str] = set()  # hosts a worker is fetching from right now
    turn = threading.Condition()

    def claim(conn) -> tuple[dict, str] | None:
        """The next article of a host no other worker holds; None when the shard has no more."""
        with turn:
            while True:
                article = warehouse.claim_queued_article(conn, shard, shards, skip_hosts=busy)
                if article is not None:
                    host = urlsplit(article["canonical_url"]).netloc
                    busy.add(host)
                    return article, host
                conn.rollback()
                if not busy:
                    return None
                turn.wait(timeout=1.0)  # the rest belongs to hosts in use: wait for one to free

    def worker() -> None:
        with connect(settings.database_url) as conn:
            while (claimed := claim(conn)) is not None:
                article, host = claimed
                try:
                    verdict = hosts.check(article["url"])
                    if verdict.allowed:
                        hosts.wait_turn(article["url"])
                        got = download(session, article["url"], settings=settings, max_bytes=settings.max_page_bytes)
                    else:
                        got = Download(url=article["url"], final_url=article["url"], error=verdict.reason,
                                       kind="robots", transient=verdict.transient)
                    outcome, reason = _record_download(conn, article, got, settings)
                    conn.commit()
                finally:
                    with turn:
                        busy.discard(host)
                        turn.notify_all()
                with turn:
                    counts[outcome] += 1
                    if reason:
                        _note_reason(reasons, by_site, reason, article["url"])
                LOGGER.info("article %s %s: %s%s", article["id"], article["url"], outcome,
                            f" ({reason})" if reason else "")

    workers = max(1, settings.fetch_workers)
    with ThreadPoolExecutor(workers, thread_name_prefix="fetch") as pool:
        for running in [pool.submit(worker) for _ in range(workers)]:
            running.result()  # a worker's error (a lost connection) fails the task: Airflow retries it
    return _finish(settings, run_id, "fetch", shard, counts, reasons, by_site)


def _record_download(conn, article: dict, got: Download, settings: Settings) -> tuple[str, str | None]:
    """Store one fetch's outcome. -> ('fetched' | 'rejected' | 'retrying' | 'failed', reason)."""
    # PDFs, images, empty bodies: not worth keeping for re-extraction.
    rejection = None if got.error is not None else media_rejection(got.body, got.headers.get("content-type", ""))
    if article["refetch"] and (got.error is not None or rejection):
        # An update check is not worth retries, and must never cost the stored article.
        reason = got.error or rejection.reason
        warehouse.save_refetch_failed(conn, article["id"], got, reason=reason)
        return "failed", f"refetch: {reason}"
    if got.error is not None:
        attempts = article["attempts"] + 1
        if got.transient and attempts < settings.fetch_max_attempts:
            retry_at = datetime.now(timezone.utc) + timedelta(minutes=settings.fetch_retry_minutes * 2 ** (attempts - 1))
            warehouse.save_unusable(conn, article["id"], got, status="queued", reason=got.error, retry_at=retry_at)
            return "retrying", got.error
        reason = f"{got.error} (after {attempts} attempts)" if got.transient else got.error
        warehouse.save_unusable(conn, article["id"], got, status="failed", reason=reason)
        return "failed", got.error
    if rejection:
        warehouse.save_unusable(conn, article["id"], got, status="rejected", reason=rejection.reason)
        return "rejected", rejection.reason
    warehouse.save_fetched(conn, article["id"], got)
    return "fetched", None


# --- extract ---------------------------------------------------------------------------------

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
                    on_error=lambda reason: f"extraction error: {reason}", preload=["wirewatch.extract", "wirewatch.pipeline"], chunksize=EXTRACT_CHUNK)


def extract_articles(*, run_id: str, settings: Settings | None = None) -> Counts:
    """Extract every fetched article from its stored page, across all cores.

    Each round locks a batch, extracts it in the pool, and records the outcomes and the site
    boilerplate it learned in one transaction: a task that dies loses the round, not its rows.
    Rounds overlap: while the pool extracts one batch, the previous batch is saved on a second
    connection (so a batch learns the boilerplate committed up to two batches before it)."""
    settings = _settings(settings)
    counts: Counter = Counter()
    reasons: Counter = Counter()
    by_site: dict[str, Counter] = {}
    with connect(settings.database_url) as conn, connect(settings.database_url) as other_conn:
        pending = warehouse.count_fetched_articles(conn)
        LOGGER.info("%d fetched articles to extract with %d worker process(es)", pending,
                    default_workers(settings.extract_workers))
        if pending:
            def save(save_conn, batch: list[dict], results: list) -> None:
                _save_batch(save_conn, batch, results, counts, reasons, by_site)
                LOGGER.info("extracted %d of %d so far", counts["extracted"] + counts["rejected"] + counts["failed"],
                            pending)

            with extract_pool(settings) as pool:
                overlapped_rounds((conn, other_conn),
                                  claim=lambda c: warehouse.claim_fetched_articles(c, EXTRACT_BATCH),
                                  prepare=lambda c, batch: _extract_jobs(c, batch, settings),
                                  work=lambda jobs: pool.map(run_extract_job, jobs), save=save)
    return _finish(settings, run_id, "extract", 0, counts, reasons, by_site)


def overlapped_rounds(conns: tuple, *, claim: Callable[[Any], list], prepare: Callable[[Any, list], list],
                      work: Callable[[list], list], save: Callable[[Any, list, list], None]) -> None:
    """Rounds of claim (lock a batch in a transaction) -> prepare its jobs (on the same connection,
    in this thread) -> work (in a worker pool) -> save and commit, on two connections in turn:
    while the pool works on one batch, the previous one is saved and committed, so neither the
    pool nor PostgreSQL waits for the other. A batch is prepared before the previous one is saved,
    so what it reads of the warehouse does not depend on timing. A task that dies loses the rounds
    it had not committed, whose rows its retry claims again."""
    with ThreadPoolExecutor(1) as background:
        turn, previous = 0, None
        while True:
            batch = claim(conns[turn])
            running = background.submit(work, prepare(conns[turn], batch)) if batch else None
            if previous is not None:
                save(*previous)
                previous[0].commit()
            if running is None:
                break
            previous, turn = (conns[turn], batch, running.result()), 1 - turn


def mark_for_reprocess(*, site: str | None = None, since: datetime | None = None,
                       statuses: tuple[str, ...] = ("extracted", "rejected", "failed"),
                       settings: Settings | None = None) -> int:
    """Send stored pages back to the extract step (after the extractor improved). -> how many."""
    settings = _settings(settings)
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
            _note_reason(reasons, by_site, reason, row["final_url"])
        LOGGER.info("article %s %s: %s%s", row["id"], row["url"], outcome, f" ({reason})" if reason else "")
    warehouse.save_extracted_many(conn, extracted)
    for site, articles in learned.items():
        warehouse.learn_site_lines(conn, site, articles)


# --- dedup -----------------------------------------------------------------------------------

# Articles read per round, and candidates (sharing most LSH bands) verified per article.
DEDUP_BATCH = 500
DEDUP_CANDIDATES = 20
DEDUP_OUTCOME_COUNT = {"exact": "exact_duplicates", "near": "syndicated_copies", "new": "new_stories",
                       "same_page": "same_page_merged"}


def dedup_articles(*, run_id: str, shard: int = 0, shards: int = 1, settings: Settings | None = None) -> Counts:
    """Put every newly extracted article (of this shard) in a story: the same page as a stored
    article (rel=canonical), an exact copy, a syndicated copy, or a new story.

    Each article is decided and recorded in its own transaction under advisory locks on its
    fingerprint keys (see warehouse.begin_dedup), so any number of workers, shards or DAG
    runs can deduplicate at once without splitting a story."""
    settings = _settings(settings)
    counts: Counter = Counter()
    contested: set[int] = set()  # claimed by another worker right now: theirs to finish
    with connect(settings.database_url) as conn:
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
    return _finish(settings, run_id, "dedup", shard, counts, Counter())


def fingerprint_pool(settings: Settings) -> SafePool:
    """Worker processes for dedup's fingerprints; an item whose worker failed is fingerprinted again
    in the dedup process (None)."""
    return SafePool(default_workers(settings.extract_workers), item_timeout=TAG_ARTICLE_TIMEOUT,
                    on_error=lambda _reason: None, preload=["wirewatch.dedup"], chunksize=16)


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
            candidates = warehouse.band_candidates(conn, found.band_keys, article["id"], article["seen_at"],
                                                   timedelta(days=settings.dedup_window_days), DEDUP_CANDIDATES)
            match = best_match(found, candidates, settings.near_duplicate_containment)
        warehouse.assign_story(conn, article["id"], match=match, context=context, band_keys=found.band_keys,
                               shingle_count=len(found.shingles), url_key=key,
                               story_id=choose_story(match, context["previous_story_id"], context["companions"]))
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return match.kind


# --- tag -------------------------------------------------------------------------------------

def mark_for_retag(settings: Settings | None = None) -> int:
    """Make every extracted article due for tagging again. -> how many."""
    settings = _settings(settings)
    with connect(settings.database_url) as conn:
        marked = warehouse.mark_for_retag(conn)
    LOGGER.info("%d articles marked for re-tagging", marked)
    return marked


@dataclass(frozen=True)
class TagJob:
    """One article to tag (in a pool worker), with the files and version the step loaded."""

    article: dict
    taxonomy_path: Path
    gazetteer_path: Path
    version: str


@dataclass(frozen=True)
class Tags:
    topics: list
    actors: list
    events: dict


@lru_cache(maxsize=1)
def _tagger(taxonomy_path: Path, gazetteer_path: Path) -> tuple[Taxonomy, Gazetteer, str]:
    """The taxonomy and gazetteer a pool worker tags with, loaded once per worker."""
    taxonomy, gazetteer = load_taxonomy(taxonomy_path), load_gazetteer(gazetteer_path)
    return taxonomy, gazetteer, f"{taxonomy.version}+{gazetteer.version}"


def tag_article(article: dict, taxonomy: Taxonomy, gazetteer: Gazetteer) -> Tags:
    """Topics (with their event facts) and actors of one article."""
    tokens = tokenize(article["text"])  # one tokenization for topics and actors
    language = article["language"] or "unknown"
    # Only the phrase lists of the article's language apply; other languages get no topic.
    topics = taxonomy.tag(article["title"], article["text"], tokens=tokens, year=article["year"], language=language)
    actors = gazetteer.find(article["title"], article["text"], tokens=tokens)
    events = {m.topic_id: event_facts(article["text"], m.evidence_spans, language=language,
                                      published=article["published"]) for m in topics}
    return Tags(topics, actors, events)


def run_tag_job(job: TagJob) -> Tags | str:
    """Tag one article in a pool worker. -> its tags, or an error string."""
    try:
        taxonomy, gazetteer, version = _tagger(job.taxonomy_path, job.gazetteer_path)
        if version != job.version:
            return f"tagging error: the taxonomy or gazetteer changed during the run ({version}, not {job.version})"
        return tag_article(job.article, taxonomy, gazetteer)
    except Exception as exc:  # one article must not stop the step
        LOGGER.exception("tagging crashed on article %s", job.article["id"])
        return f"tagging error: {type(exc).__name__}: {exc}"[:500]


def tag_articles(*, run_id: str, settings: Settings | None = None) -> Counts:
    """Tag topics and actors on articles not yet tagged with the current taxonomy and gazetteer.

    More than one batch of them is tagged in a pool of worker processes (WIREWATCH_EXTRACT_WORKERS,
    all cores), each batch saved and committed while the pool tags the next (`overlapped_rounds`);
    a single batch is tagged in this process, since starting the pool costs more."""
    settings = _settings(settings)
    taxonomy = load_taxonomy(settings.taxonomy_path)
    gazetteer = load_gazetteer(settings.gazetteer_path)
    # Editing either file makes every stored article due for re-tagging.
    version = f"{taxonomy.version}+{gazetteer.version}"
    counts: Counter = Counter()
    reasons: Counter = Counter()
    failed: set[int] = set()  # a tagging error: left untagged (and reported), not tried again this run

    def claim(conn) -> list[dict]:
        return warehouse.articles_to_tag(conn, version, TAG_BATCH, skip=failed)

    def save(conn, batch: list[dict], results: list) -> None:
        for article, tags in zip(batch, results):
            if isinstance(tags, str):
                failed.add(article["id"])
                reasons[tags] += 1
                LOGGER.error("article %s: %s", article["id"], tags)
                continue
            warehouse.save_tags(conn, article["id"], version, tags.topics, tags.actors, tags.events)
            counts["event_facts"] += sum(1 for e in tags.events.values() if e.killed or e.injured or e.places)
            counts["articles_tagged"] += 1
            counts["topic_links"] += len(tags.topics)
            counts["actor_links"] += len(tags.actors)
            counts["articles_without_topic"] += not tags.topics
            language = article["language"] or "unknown"
            if language not in taxonomy.rules:
                counts["articles_untagged_language"] += 1
                reasons[f"untagged: language {language}"] += 1
        LOGGER.info("tagged %d articles so far", counts["articles_tagged"])

    with connect(settings.database_url) as conn, connect(settings.database_url) as other_conn:
        warehouse.sync_taxonomy(conn, taxonomy, gazetteer)
        warehouse.record_taxonomy_version(conn, version, topics=len(taxonomy.topics), actors=len(gazetteer.actors))
        conn.commit()
        first = claim(conn)
        if len(first) < TAG_BATCH:  # all there is: no pool
            save(conn, first, [tag_article(article, taxonomy, gazetteer) for article in first])
            conn.commit()
        else:
            conn.rollback()  # the rounds claim it again
            with SafePool(default_workers(settings.extract_workers), item_timeout=TAG_ARTICLE_TIMEOUT,
                          on_error=lambda reason: f"tagging error: {reason}", preload=["wirewatch.pipeline"],
                          chunksize=TAG_CHUNK) as pool:
                overlapped_rounds((conn, other_conn), claim=claim,
                                  prepare=lambda _conn, batch: [TagJob(article, settings.taxonomy_path,
                                                                       settings.gazetteer_path, version)
                                                                for article in batch],
                                  work=lambda jobs: pool.map(run_tag_job, jobs), save=save)
    LOGGER.info("tagged with taxonomy version %s (topic phrase lists for %s)", version, ", ".join(taxonomy.languages))
    return _finish(settings, run_id, "tag", 0, counts, reasons)
