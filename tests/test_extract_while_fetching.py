"""extract_while_fetching against real Postgres and a slow loopback server: pages are extracted
while the real fetch step is still downloading the rest, nothing is taken twice, and the task
gives up following a fetch that no longer moves, leaving its articles queued."""

import dataclasses
import gzip
import threading
import time
from pathlib import Path

import psycopg2
from conftest import query, scalar
from faultserver import FaultServer, send

from wirewatch.extraction.runner import WHILE_FETCHING_SHARD, extract_articles, extract_while_fetching
from wirewatch.fetch.runner import fetch_articles

PAGES = 12
LATENCY = 0.3  # seconds per page: one host, fetched one page at a time, so about 3.6 s in all


# Real pages (tests/fixtures/realpages: fundus-derived, licence beside them), each a different article.
REAL_PAGES = [gzip.decompress(p.read_bytes())
              for p in sorted((Path(__file__).parent / "fixtures" / "realpages" / "pages").glob("*.html.gz"))]


def article_page(n: int) -> bytes:
    return REAL_PAGES[n]


def slow(body: bytes):
    def handle(req) -> None:
        time.sleep(LATENCY)
        send(200, body)(req)
    return handle


def queue_articles(db_url: str, urls: list[str]) -> None:
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        for url in urls:
            cur.execute("INSERT INTO articles (url, canonical_url) VALUES (%s, %s)", (url, url))


def test_pages_are_extracted_while_the_rest_are_still_being_fetched(settings, db):
    settings = dataclasses.replace(settings, extract_workers=1)
    with FaultServer({f"/news/{n}.html": slow(article_page(n)) for n in range(PAGES)}) as server:
        queue_articles(settings.database_url, [server.url(f"/news/{n}.html") for n in range(PAGES)])
        fetched: dict = {}
        fetch = threading.Thread(target=lambda: fetched.update(fetch_articles(0, 1, run_id="r1", settings=settings)))
        fetch.start()
        try:
            counts = extract_while_fetching(run_id="r1", settings=settings, idle_seconds=30)
        finally:
            fetch.join()
    assert fetched["fetched"] == PAGES, fetched
    # It followed the fetch to its end: every page is extracted, none left for the task after it.
    done = counts["extracted"] + counts["rejected"] + counts["failed"]
    assert done == PAGES and counts["extracted"] >= PAGES - 2, counts
    assert scalar(db, "SELECT count(*) FROM articles WHERE status = 'extracted'") == counts["extracted"]
    assert scalar(db, "SELECT count(*) FROM articles WHERE status IN ('queued', 'fetched')") == 0
    assert extract_articles(run_id="r1", settings=settings)["extracted"] == 0
    # ...and it did not wait for the end to begin: the first page was extracted before the last was fetched.
    first_extracted, last_fetched = query(db, "SELECT min(extracted_at), max(fetched_at) FROM articles")[0]
    assert first_extracted < last_fetched
    assert query(db, "SELECT shard, (counts->>'extracted')::int FROM run_stats WHERE run_id = 'r1' "
                     "AND stage = 'extract' ORDER BY shard") == [(0, 0), (WHILE_FETCHING_SHARD, counts["extracted"])]


def test_it_stops_following_a_fetch_that_does_not_move_and_loses_nothing(settings, db):
    urls = [f"http://127.0.0.1:9/never-fetched/{n}.html" for n in range(3)]
    queue_articles(settings.database_url, urls)
    started = time.monotonic()
    counts = extract_while_fetching(run_id="r1", settings=settings, idle_seconds=1.0)
    waited = time.monotonic() - started
    assert counts["extracted"] == 0
    assert 1.0 <= waited < 10, waited
    # The articles are still queued, for the fetch task's retry and the extract task after it.
    assert scalar(db, "SELECT count(*) FROM articles WHERE status = 'queued'") == 3


def test_with_nothing_to_fetch_it_extracts_what_is_stored_and_returns(settings, db):
    settings = dataclasses.replace(settings, extract_workers=1)
    with FaultServer({"/news/1.html": send(200, article_page(1))}) as server:
        queue_articles(settings.database_url, [server.url("/news/1.html")])
        fetch_articles(0, 1, run_id="r1", settings=settings)
    started = time.monotonic()
    counts = extract_while_fetching(run_id="r1", settings=settings, idle_seconds=60)
    assert counts["extracted"] + counts["rejected"] == 1
    assert time.monotonic() - started < 20  # did not wait out idle_seconds
