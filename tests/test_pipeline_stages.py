"""Stage runners against real Postgres and a misbehaving loopback server: every item ends
with exactly one recorded outcome, and no failure stops the others."""

import html
from pathlib import Path

import psycopg2
import pytest
from conftest import query, scalar
from faultserver import FaultServer, send, stall

from wirewatch import warehouse
from wirewatch.dedup.runner import dedup_articles
from wirewatch.extraction.runner import extract_articles
from wirewatch.feeds.lists import FeedSpec
from wirewatch.feeds.runner import poll_feeds
from wirewatch.fetch.runner import fetch_articles, plan_fetch
from wirewatch.tagging.runner import tag_articles

FIXTURES = Path(__file__).parent / "fixtures"
SEED_LINES = (FIXTURES / "seed-article.txt").read_text().splitlines()


def article_page(lines: list[str], title: str) -> bytes:
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines if line.strip())
    return (f"<!doctype html><html lang='en'><head><title>{title}</title></head><body>"
            f"<article><h1>{title}</h1>{body}</article></body></html>").encode()


def rss(items: list[tuple[str, str]]) -> bytes:
    entries = "".join(f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid></item>" for t, link in items)
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>{entries}</channel></rss>".encode()


@pytest.fixture
def server():
    with FaultServer({}) as srv:
        srv.routes.update({
            "/good.xml": send(200, rss([("Seed", srv.url("/seed.html")), ("PDF", srv.url("/report.pdf")),
                                        ("Dead", srv.url("/dead.html")), ("Down", srv.url("/down.html"))]),
                              "application/rss+xml", headers={"ETag": '"e1"'}),
            "/html.xml": send(200, b"<!doctype html><html><body>Home</body></html>"),
            "/malformed.xml": send(200, (FIXTURES / "truncated.xml").read_bytes(), "application/rss+xml"),
            "/slow.xml": stall(5),
            "/seed.html": send(200, article_page(SEED_LINES, "US blames Russia")),
            "/report.pdf": send(200, b"%PDF-1.4\n%%EOF", "application/pdf"),
            "/down.html": send(503, b"maintenance"),
        })
        yield srv


def load_feeds(settings, server, names):
    with psycopg2.connect(settings.database_url) as conn:
        warehouse.upsert_feeds(conn, [FeedSpec(url=server.url(f"/{n}"), name=n, outlet=n) for n in names])


def test_poll_records_each_feed_and_continues(settings, server, db):
    load_feeds(settings, server, ["good.xml", "html.xml", "malformed.xml", "slow.xml", "missing.xml"])
    counts = poll_feeds(0, 1, run_id="r1", settings=settings)
    assert counts["feeds_polled"] == 5 and counts["feeds_ok"] == 1 and counts["feeds_failed"] == 4
    assert counts["articles_new"] == 4
    state = dict(query(db, "SELECT name, last_status || ': ' || coalesce(last_error, '') FROM feeds"))
    assert state == {
        "good.xml": "ok: ",
        "html.xml": "error: not a feed (got an HTML page)",
        "malformed.xml": state["malformed.xml"],
        "slow.xml": "error: timeout: no response within 3s",
        "missing.xml": "error: HTTP 404",
    }
    assert state["malformed.xml"].startswith("error: malformed feed")
    # Failing feeds back off; the good one is next due in the normal interval; ETag is stored.
    assert scalar(db, "SELECT etag FROM feeds WHERE name = 'good.xml'") == '"e1"'
    assert scalar(db, "SELECT error_streak FROM feeds WHERE name = 'missing.xml'") == 1
    assert scalar(db, "SELECT next_poll_at > now() + interval '25 minutes' FROM feeds WHERE name = 'missing.xml'")
    assert query(db, "SELECT stage, counts->>'feeds_polled' FROM run_stats") == [("poll", "5")]


def test_second_poll_sends_the_etag_and_adds_nothing(settings, server, db):
    load_feeds(settings, server, ["good.xml"])
    poll_feeds(0, 1, run_id="r1", settings=settings)
    query(db, "UPDATE feeds SET next_poll_at = now() RETURNING id")
    seen = {}

    def not_modified(req):
        seen["etag"] = req.headers.get("If-None-Match")
        send(304)(req)

    server.routes["/good.xml"] = not_modified
    counts = poll_feeds(0, 1, run_id="r2", settings=settings)
    assert seen["etag"] == '"e1"' and counts["feeds_not_modified"] == 1
    assert scalar(db, "SELECT count(*) FROM articles") == 4


def test_fetch_records_one_outcome_per_article(settings, server, db):
    load_feeds(settings, server, ["good.xml"])
    poll_feeds(0, 1, run_id="r1", settings=settings)
    counts = fetch_articles(0, 1, run_id="r1", settings=settings)
    assert (counts["fetched"], counts["rejected"], counts["failed"], counts["retrying"]) == (1, 1, 1, 1)
    assert scalar(db, "SELECT status FROM articles WHERE url LIKE '%seed.html'") == "fetched"
    # Only the page worth extracting is kept; the PDF is rejected at once.
    assert scalar(db, "SELECT count(*) FROM raw_pages") == 1
    assert extract_articles(run_id="r1", settings=settings)["extracted"] == 1
    outcomes = dict(query(db, "SELECT substring(url from '[^/]+$'), status || ': ' || coalesce(failure_reason, '') "
                              "FROM articles"))
    assert outcomes == {
        "seed.html": "extracted: ",
        "report.pdf": "rejected: not an HTML page (application/pdf)",
        "dead.html": "failed: HTTP 404",
        "down.html": "queued: HTTP 503",
    }
    text = scalar(db, "SELECT text FROM articles WHERE status = 'extracted'")
    assert "Russia alone" in text and "Subscribe" not in text


def test_planning_the_fetch_refreshes_the_statistics_of_the_queue_a_poll_just_filled(settings, server, db):
    # Without them the planner sorts the whole queue for every claim (see refresh_article_statistics).
    load_feeds(settings, server, ["good.xml"])
    poll_feeds(0, 1, run_id="r1", settings=settings)
    assert scalar(db, "SELECT count(*) FROM articles") == 4
    # reltuples is the planner's row count, -1 until the table is first analyzed
    assert scalar(db, "SELECT reltuples FROM pg_class WHERE relname = 'articles'") != 4
    plan_fetch(settings)
    assert scalar(db, "SELECT reltuples FROM pg_class WHERE relname = 'articles'") == 4


def test_transient_failures_give_up_after_max_attempts(settings, server, db):
    load_feeds(settings, server, ["good.xml"])
    poll_feeds(0, 1, run_id="r1", settings=settings)
    for attempt in range(settings.fetch_max_attempts):
        query(db, "UPDATE articles SET next_attempt_at = now() WHERE status = 'queued' RETURNING id")
        fetch_articles(0, 1, run_id=f"r{attempt}", settings=settings)
    assert query(db, "SELECT status, failure_reason, attempts FROM articles WHERE url LIKE '%down.html'") == [
        ("failed", f"HTTP 503 (after {settings.fetch_max_attempts} attempts)", settings.fetch_max_attempts)]


def test_dedup_and_tag_stages(settings, server, db):
    load_feeds(settings, server, ["good.xml"])
    poll_feeds(0, 1, run_id="r1", settings=settings)
    fetch_articles(0, 1, run_id="r1", settings=settings)
    extract_articles(run_id="r1", settings=settings)
    assert dedup_articles(run_id="r1", settings=settings)["new_stories"] == 1
    tagged = tag_articles(run_id="r1", settings=settings)
    assert tagged["articles_tagged"] == 1
    topics = {r[0] for r in query(db, "SELECT topic_id FROM article_topics")}
    assert {"troop-movements", "mercenary-recruitment"} <= topics
    # Re-running both stages finds nothing to do and changes nothing.
    before = query(db, "SELECT article_id, topic_id, score, evidence FROM article_topics ORDER BY 1, 2")
    assert dedup_articles(run_id="r2", settings=settings)["articles_deduped"] == 0
    assert tag_articles(run_id="r2", settings=settings)["articles_tagged"] == 0
    assert query(db, "SELECT article_id, topic_id, score, evidence FROM article_topics ORDER BY 1, 2") == before


def run_all(settings, run_id: str) -> dict:
    """poll -> fetch -> extract -> dedup, as one DAG run does; -> each stage's counts."""
    return {"poll": poll_feeds(0, 1, run_id=run_id, settings=settings),
            "fetch": fetch_articles(0, 1, run_id=run_id, settings=settings),
            "extract": extract_articles(run_id=run_id, settings=settings),
            "dedup": dedup_articles(run_id=run_id, settings=settings)}


@pytest.fixture
def updating_server():
    """One feed with one story; the test rewrites the headline (and the page) between polls."""
    with FaultServer({}) as srv:
        def publish(title: str, lines: list[str]) -> None:
            srv.routes["/feed.xml"] = send(200, rss([(title, srv.url("/story.html"))]), "application/rss+xml")
            srv.routes["/story.html"] = send(200, article_page(lines, title))
        srv.publish = publish
        yield srv


def test_a_headline_change_in_the_feed_refetches_the_article_into_the_same_story(settings, updating_server, db):
    updating_server.publish("US blames Russia", SEED_LINES)
    load_feeds(settings, updating_server, ["feed.xml"])
    run_all(settings, "r1")
    article, story = query(db, "SELECT id, story_id FROM articles")[0]
    # The outlet updates the story: new headline in the feed, a paragraph added to the page.
    updating_server.publish("US blames Russia alone, adds new sanctions", SEED_LINES[:4] + [
        "Update: the State Department later announced new sanctions on three Russian defence firms."]
        + SEED_LINES[4:])
    query(db, "UPDATE feeds SET next_poll_at = now() RETURNING id")
    counts = run_all(settings, "r2")
    assert counts["poll"]["articles_changed"] == 1 and counts["fetch"]["fetched"] == 1
    assert counts["dedup"]["articles_deduped"] == 1
    assert query(db, "SELECT id, story_id, status, refetch_requested_at FROM articles") == \
        [(article, story, "extracted", None)]
    assert "new sanctions on three Russian defence firms" in scalar(db, "SELECT text FROM articles")
    assert [row[0] for row in query(db, "SELECT title FROM article_revisions ORDER BY revision")] == \
        ["US blames Russia", "US blames Russia alone, adds new sanctions"]
    assert scalar(db, "SELECT count(*) FROM stories") == 1
    # The same headline again is no change: nothing is fetched.
    query(db, "UPDATE feeds SET next_poll_at = now() RETURNING id")
    assert run_all(settings, "r3")["fetch"] == {"fetched": 0, "rejected": 0, "failed": 0, "retrying": 0}


def test_a_failed_refetch_keeps_the_stored_article(settings, updating_server, db):
    updating_server.publish("First headline", SEED_LINES)
    load_feeds(settings, updating_server, ["feed.xml"])
    run_all(settings, "r1")
    before = query(db, "SELECT id, story_id, text FROM articles")
    updating_server.publish("Second headline", SEED_LINES)
    updating_server.routes["/story.html"] = send(503, b"down")
    query(db, "UPDATE feeds SET next_poll_at = now() RETURNING id")
    counts = run_all(settings, "r2")
    assert counts["fetch"]["failed"] == 1
    assert query(db, "SELECT id, story_id, text FROM articles") == before
    assert query(db, "SELECT status, failure_reason, refetch_requested_at FROM articles") == \
        [("extracted", "refetch failed: HTTP 503", None)]
