"""Politeness of article fetches: robots.txt (RFC 9309 semantics) and spacing of requests per host."""

import dataclasses
import time

import psycopg2
import pytest
from conftest import query
from faultserver import FaultServer, send
from test_pipeline_stages import SEED_LINES, article_page, rss

from wirewatch import warehouse
from wirewatch.feeds.lists import FeedSpec
from wirewatch.feeds.runner import poll_feeds
from wirewatch.fetch.client import HttpClient
from wirewatch.fetch.politeness import HostPolicy
from wirewatch.fetch.runner import fetch_articles

ROBOTS = b"User-agent: *\nDisallow: /private/\nCrawl-delay: 0.3\n\nUser-agent: wirewatch\nDisallow: /no-bots/\n"


def timed(handler, log):
    def handle(req):
        log.append(time.monotonic())
        handler(req)
    return handle


@pytest.fixture
def server():
    with FaultServer({}) as srv:
        yield srv


def test_robots_rules_and_crawl_delay(settings, server):
    server.routes["/robots.txt"] = send(200, ROBOTS, "text/plain")
    policy = HostPolicy(HttpClient(settings), settings)
    assert policy.check(server.url("/news/a.html")).allowed
    assert not policy.check(server.url("/no-bots/a.html")).allowed, "the group naming wirewatch applies"
    assert policy.check(server.url("/private/a.html")).allowed, "…and replaces the * group for us"
    refusal = policy.check(server.url("/no-bots/a.html"))
    assert refusal.reason.endswith("disallows this URL for wirewatch") and not refusal.transient
    assert server.hits.count("/robots.txt") == 1, "robots.txt is read once per host"


def test_missing_robots_allows_and_unreadable_robots_defers(settings, server):
    policy = HostPolicy(HttpClient(settings), settings)
    assert policy.check(server.url("/a.html")).allowed  # 404: no rules
    with FaultServer({"/robots.txt": send(503, b"busy")}) as busy:
        verdict = HostPolicy(HttpClient(settings), settings).check(busy.url("/a.html"))
    assert not verdict.allowed and verdict.transient and "HTTP 503" in verdict.reason


def test_requests_to_one_host_are_spaced(settings, server):
    spaced = dataclasses.replace(settings, host_delay_seconds=0.25)
    policy = HostPolicy(HttpClient(spaced), spaced)
    moments = []
    for _ in range(3):
        policy.wait_turn(server.url("/x"))
        moments.append(time.monotonic())
    assert all(b - a >= 0.24 for a, b in zip(moments, moments[1:]))


def test_fetch_stage_obeys_robots_and_spaces_requests(settings, server, db):
    hits = []
    server.routes.update({
        "/robots.txt": send(200, b"User-agent: *\nDisallow: /members/\n", "text/plain"),
        "/feed.xml": send(200, rss([(f"Story {n}", server.url(f"/news/{n}.html")) for n in range(3)]
                                   + [("Members only", server.url("/members/1.html"))]), "application/rss+xml"),
        **{f"/news/{n}.html": timed(send(200, article_page(SEED_LINES, f"Story {n}")), hits) for n in range(3)},
        "/members/1.html": send(200, article_page(SEED_LINES, "Members")),
    })
    with psycopg2.connect(settings.database_url) as conn:
        warehouse.upsert_feeds(conn, [FeedSpec(url=server.url("/feed.xml"), name="site")])
    spaced = dataclasses.replace(settings, host_delay_seconds=0.2)
    poll_feeds(0, 1, run_id="r", settings=spaced)
    counts = fetch_articles(0, 1, run_id="r", settings=spaced)

    assert counts["fetched"] == 3 and counts["failed"] == 1
    assert "/members/1.html" not in server.hits, "a disallowed page is never requested"
    assert query(db, "SELECT status, failure_reason FROM articles WHERE url LIKE '%%/members/%%'") == [
        ("failed", f"robots.txt of {server.url('')} disallows this URL for wirewatch")]
    assert all(b - a >= 0.19 for a, b in zip(hits, hits[1:])), "one host's pages are fetched 0.2 s apart"
