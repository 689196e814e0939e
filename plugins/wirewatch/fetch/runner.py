"""The fetch step's runner: plan the fetch's shards, and fetch one shard's queued articles."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from wirewatch import warehouse
from wirewatch.db import connect
from wirewatch.fetch.client import Download, HttpClient, download
from wirewatch.fetch.content import media_problem
from wirewatch.fetch.politeness import HostPolicy
from wirewatch.settings import Settings
from wirewatch.stages import Counts, finish, note_reason, settings_or_env, shards_for

LOGGER = logging.getLogger(__name__)


def plan_fetch(settings: Settings | None = None) -> list[dict[str, int]]:
    settings = settings_or_env(settings)
    with connect(settings.database_url) as conn:
        warehouse.refresh_article_statistics(conn)
        queued = warehouse.count_queued_articles(conn)
    LOGGER.info("%d articles queued for fetching", queued)
    return shards_for(queued, settings)


def fetch_articles(shard: int, shards: int, *, run_id: str, settings: Settings | None = None) -> Counts:
    """Fetch the queued articles of one shard (its hosts): up to WIREWATCH_FETCH_WORKERS at once, each
    on a different host, so a host still gets one request at a time, its robots.txt and its delay,
    while a slow network costs no throughput. Each article is claimed, fetched and recorded in its
    own transaction on its worker's connection: a task killed half-way loses only what was in flight,
    which the retry fetches again. Pages are stored for the extract step."""
    settings = settings_or_env(settings)
    counts: Counter = Counter()
    reasons: Counter = Counter()
    by_site: dict[str, Counter] = {}
    client = HttpClient(settings)
    hosts = HostPolicy(client, settings)
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
                        got = download(client, article["url"], settings=settings, max_bytes=settings.max_page_bytes)
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
                        note_reason(reasons, by_site, reason, article["url"])
                LOGGER.info("article %s %s: %s%s", article["id"], article["url"], outcome,
                            f" ({reason})" if reason else "")

    workers = max(1, settings.fetch_workers)
    with ThreadPoolExecutor(workers, thread_name_prefix="fetch") as pool:
        for running in [pool.submit(worker) for _ in range(workers)]:
            running.result()  # a worker's error (a lost connection) fails the task: Airflow retries it
    return finish(settings, run_id, "fetch", shard, counts, reasons, by_site)


def _record_download(conn, article: dict, got: Download, settings: Settings) -> tuple[str, str | None]:
    """Store one fetch's outcome. -> ('fetched' | 'rejected' | 'retrying' | 'failed', reason)."""
    # PDFs, images, empty bodies: not worth keeping for re-extraction.
    problem = None if got.error is not None else media_problem(got.body, got.headers.get("content-type", ""))
    if article["refetch"] and (got.error is not None or problem):
        # An update check is not worth retries, and must never cost the stored article.
        reason = got.error or problem
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
    if problem:
        warehouse.save_unusable(conn, article["id"], got, status="rejected", reason=problem)
        return "rejected", problem
    warehouse.save_fetched(conn, article["id"], got)
    return "fetched", None
