"""Feed polling against a fault-injecting loopback server and a real warehouse: every misbehaving
feed ends with the right state and reason, and the others are polled regardless."""

import asyncio
import dataclasses
import socket
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import brotli
import psycopg2
import pytest
from conftest import query, scalar
from faultserver import FaultServer, gzip_bomb, redirect, reset, send, stall, stream, trickle

from wirewatch import warehouse
from wirewatch.feeds import polling
from wirewatch.feeds.lists import FeedSpec
from wirewatch.feeds.parsing import ParsedFeed
from wirewatch.feeds.runner import poll_feeds
from wirewatch.fetch.client import Download, HttpClient, download
from wirewatch.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2024, 11, 28, 12, 0, tzinfo=timezone.utc)


def rss(items: list[tuple[str, str]], *, hourly_from: datetime = NOW, extra: str = "") -> bytes:
    """An RSS 2.0 feed whose items were published an hour apart, newest first."""
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>{(hourly_from - timedelta(hours=n)).strftime('%a, %d %b %Y %H:%M:%S GMT')}</pubDate></item>"
        for n, (title, link) in enumerate(items))
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>T</title>{extra}"
            f"{entries}</channel></rss>").encode()


def feed_of(server, name: str, count: int = 3, **kw) -> bytes:
    return rss([(f"{name} story {n}", server.url(f"/{name}/story-{n}.html")) for n in range(count)], **kw)


def add_feeds(settings, urls: dict[str, str], **spec) -> None:
    with psycopg2.connect(settings.database_url) as conn:
        warehouse.upsert_feeds(conn, [FeedSpec(url=url, name=name, **spec) for name, url in urls.items()])


def poll(settings, **overrides) -> dict:
    return poll_feeds(0, 1, run_id="test", settings=dataclasses.replace(settings, **overrides))


def make_due(db) -> None:
    query(db, "UPDATE feeds SET next_poll_at = now() RETURNING id")


def feed_row(db, name: str) -> dict:
    with db.cursor() as cur:
        cur.execute("SELECT * FROM feeds WHERE name = %s", (name,))
        return dict(zip([c.name for c in cur.description], cur.fetchone()))


def events(db, name: str) -> list[tuple]:
    return query(db, "SELECT e.outcome, e.http_status, e.entries_new, e.conditional FROM fetch_events e "
                     "JOIN feeds f ON f.id = e.feed_id WHERE f.name = %s ORDER BY e.id", (name,))


@pytest.fixture
def server():
    with FaultServer({}) as srv:
        yield srv


# name -> (route handler factory, expected last_status, failure kind, error starts with, enabled, outcome)
FAULTS = {
    "ok": (lambda s: send(200, feed_of(s, "ok"), "application/rss+xml", {"ETag": '"v1"'}),
           "ok", None, None, True, "new_entries"),
    "http-500": (lambda s: send(500, b"oops"), "error", "http_server", "HTTP 500", True, "http_error"),
    "http-404": (lambda s: send(404, b"nope"), "error", "http_client", "HTTP 404", True, "http_error"),
    "http-410": (lambda s: send(410, b"gone"), "error", "gone", "HTTP 410", False, "http_error"),
    "http-429": (lambda s: send(429, b"slow down", headers={"Retry-After": "7200"}),
                 "error", "rate_limited", "HTTP 429", True, "http_error"),
    "reset": (lambda s: reset, "error", "connection", "connection", True, "connection_error"),
    "drip": (lambda s: trickle(1.0, total=100), "error", "timeout", "timeout", True, "timeout"),
    "malformed": (lambda s: send(200, (FIXTURES / "truncated.xml").read_bytes(), "application/rss+xml"),
                  "error", "parse", "malformed feed", True, "parse_error"),
    "html": (lambda s: send(200, b"<!doctype html><html><body><h1>Home</h1></body></html>"),
             "error", "not_a_feed", "not a feed (got an HTML page)", True, "not_a_feed"),
    "empty": (lambda s: send(200, b"", "application/rss+xml"), "error", "not_a_feed", "not a feed", True,
              "not_a_feed"),
    "gzip-bomb": (lambda s: gzip_bomb(200_000_000), "error", "too_large", "too large", True, "too_large"),
    "huge": (lambda s: stream(50 * 1024 * 1024), "error", "too_large", "too large", True, "too_large"),
    "latin1-said-utf8": (lambda s: send(200, (FIXTURES / "latin1.xml").read_bytes(),
                                        "application/rss+xml; charset=utf-8"), "ok", None, None, True, "new_entries"),
    "utf8-said-latin1": (lambda s: send(200, (FIXTURES / "latin1.xml").read_bytes().decode("latin-1").encode()
                                        .replace(b"ISO-8859-1", b"utf-8").replace(b"</link>", b"utf8</link>"),
                                        "application/rss+xml; charset=iso-8859-1"),
                         "ok", None, None, True, "new_entries"),
    "loop": (lambda s: redirect(s.url("/loop")), "error", "redirects", "redirect loop", True, "redirect_error"),
}


def test_every_fault_is_recorded_and_the_run_goes_on(settings, server, db):
    for name, (handler, *_expected) in FAULTS.items():
        server.routes[f"/{name}"] = handler(server)
    add_feeds(settings, {name: server.url(f"/{name}") for name in FAULTS})
    add_feeds(settings, {"private": "http://10.0.0.1/feed.xml"})  # never requested: refused before connecting

    counts = poll(settings, max_feed_bytes=10 * 1024 * 1024)

    assert counts["feeds_polled"] == len(FAULTS) + 1
    assert counts["feeds_ok"] == 3 and counts["feeds_failed"] == len(FAULTS) - 2
    for name, (_handler, status, kind, error, enabled, outcome) in FAULTS.items():
        row = feed_row(db, name)
        assert (row["last_status"], row["failure_kind"], row["enabled"]) == (status, kind, enabled), name
        if error:
            assert row["last_error"].startswith(error), (name, row["last_error"])
        assert events(db, name)[0][0] == outcome, name
    assert feed_row(db, "http-410")["disabled_reason"].startswith("HTTP 410 Gone")
    retry_at = feed_row(db, "http-429")["next_poll_at"]
    assert retry_at >= datetime.now(timezone.utc) + timedelta(seconds=7000), "Retry-After is honoured"
    private = feed_row(db, "private")
    assert private["failure_kind"] == "refused" and "10.0.0.1" in private["last_error"]

    titles = dict(query(db, "SELECT f.name, a.feed_title FROM articles a JOIN feeds f ON f.id = a.feed_id "
                            "WHERE f.name LIKE '%%-said-%%'"))
    assert titles == {"latin1-said-utf8": "Trêve à Genève : négociations « sérieuses »",
                      "utf8-said-latin1": "Trêve à Genève : négociations « sérieuses »"}
    assert "body is UTF-8" in feed_row(db, "utf8-said-latin1")["last_error"]


def test_not_modified_and_unchanged_bodies_cost_no_parsing(settings, server, db):
    seen = []

    def honest(req):
        seen.append(req.headers.get("If-None-Match"))
        if req.headers.get("If-None-Match") == '"v1"':
            return send(304, headers={"ETag": '"v1"'})(req)
        return send(200, feed_of(server, "a"), "application/rss+xml", {"ETag": '"v1"'})(req)

    body = feed_of(server, "b")
    server.routes.update({"/a": honest, "/b": send(200, body, "application/rss+xml")})  # b ignores validators
    add_feeds(settings, {"a": server.url("/a"), "b": server.url("/b")})
    poll(settings)
    first_interval = feed_row(db, "a")["poll_interval"]
    make_due(db)
    counts = poll(settings)

    assert seen == [None, '"v1"'], "the stored ETag is sent back exactly"
    assert counts["feeds_not_modified"] == 2 and counts["entries_seen"] == 0
    assert events(db, "a")[-1] == ("not_modified", 304, 0, True)
    assert events(db, "b")[-1] == ("same_body", 200, 0, False)
    assert feed_row(db, "a")["poll_interval"] == first_interval * 1.5, "quiet feeds are polled less often"


def test_interval_follows_the_publishing_rate_within_bounds(settings, server, db):
    server.routes.update({
        "/hourly": send(200, feed_of(server, "hourly", 10), "application/rss+xml"),
        "/ttl": send(200, feed_of(server, "ttl", 10, extra="<ttl>180</ttl>"), "application/rss+xml"),
        "/max-age": send(200, feed_of(server, "max-age", 10), "application/rss+xml",
                         {"Cache-Control": "public, max-age=7200"}),
        "/bounded": send(200, feed_of(server, "bounded", 10), "application/rss+xml"),
    })
    add_feeds(settings, {name: server.url(f"/{name}") for name in ("hourly", "ttl", "max-age")})
    add_feeds(settings, {"bounded": server.url("/bounded")}, max_interval_minutes=20)
    poll(settings)
    intervals = dict(query(db, "SELECT name, extract(epoch FROM poll_interval) / 60 FROM feeds"))
    assert intervals == {"hourly": 60, "ttl": 180, "max-age": 120, "bounded": 20}
    due_in = scalar(db, "SELECT extract(epoch FROM next_poll_at - now()) / 60 FROM feeds WHERE name = 'hourly'")
    assert 59 < due_in <= 60


def test_hard_failures_back_off_then_disable_and_enabling_recovers(settings, server, db):
    server.routes["/flaky"] = send(404, b"nope")
    add_feeds(settings, {"flaky": server.url("/flaky")})
    delays = []
    for _ in range(3):
        poll(settings, disable_after_hard_failures=3)
        delays.append(scalar(db, "SELECT round(extract(epoch FROM next_poll_at - now()) / 60) FROM feeds"))
        make_due(db)
    row = feed_row(db, "flaky")
    assert delays[:2] == [30, 60], "exponential backoff from the normal 15-minute interval"
    assert not row["enabled"] and row["disabled_reason"] == "3 hard failures in a row; the last: HTTP 404"
    assert poll(settings)["feeds_polled"] == 0, "a disabled feed is not polled"

    server.routes["/flaky"] = send(200, feed_of(server, "flaky"), "application/rss+xml")
    with psycopg2.connect(settings.database_url) as conn:
        assert warehouse.set_feed_enabled(conn, row["id"], True)["enabled"]
    assert poll(settings)["feeds_ok"] == 1
    row = feed_row(db, "flaky")
    assert (row["error_streak"], row["hard_error_streak"], row["disabled_reason"]) == (0, 0, None)


def test_soft_failures_back_off_up_to_a_day_but_never_disable(settings, server, db):
    server.routes["/down"] = send(503, b"maintenance")
    add_feeds(settings, {"down": server.url("/down")})
    query(db, "UPDATE feeds SET error_streak = 30 RETURNING id")
    poll(settings, disable_after_hard_failures=1)
    row = feed_row(db, "down")
    assert row["enabled"] and row["failure_kind"] == "http_server"
    assert timedelta(hours=23, minutes=59) < row["next_poll_at"] - datetime.now(timezone.utc) <= timedelta(days=1)


def test_permanent_redirect_moves_the_feed_and_temporary_does_not(settings, server, db):
    server.routes.update({
        "/old": redirect(server.url("/new"), 301),
        "/new": send(200, feed_of(server, "new"), "application/rss+xml"),
        "/holiday": redirect(server.url("/elsewhere"), 302),
        "/elsewhere": send(200, feed_of(server, "elsewhere"), "application/rss+xml"),
    })
    add_feeds(settings, {"moved": server.url("/old"), "visiting": server.url("/holiday")})
    poll(settings)
    moved, visiting = feed_row(db, "moved"), feed_row(db, "visiting")
    assert (moved["url"], moved["previous_url"]) == (server.url("/new"), server.url("/old"))
    assert (visiting["url"], visiting["previous_url"]) == (server.url("/holiday"), None)


def test_a_server_answering_304_for_a_changed_feed_loses_conditional_get(settings, server, db):
    state = {"items": 3, "conditional_requests": 0}

    def liar(req):
        if req.headers.get("If-None-Match"):
            state["conditional_requests"] += 1
            return send(304)(req)  # always, even when the feed changed
        return send(200, feed_of(server, "liar", state["items"]), "application/rss+xml", {"ETag": '"same"'})(req)

    server.routes["/liar"] = liar
    add_feeds(settings, {"liar": server.url("/liar")})
    poll(settings)
    state["items"] = 5  # two new stories, hidden behind 304s
    make_due(db)
    poll(settings)
    assert events(db, "liar")[-1][0] == "not_modified"

    query(db, "UPDATE feeds SET next_poll_at = now(), conditional_verified_at = now() - interval '2 days' "
              "RETURNING id")
    counts = poll(settings)
    row = feed_row(db, "liar")
    assert counts["articles_new"] == 2
    assert not row["conditional_get"]
    assert row["conditional_get_note"] == "answered 304 Not Modified although the feed had 2 new entries"

    make_due(db)
    before = state["conditional_requests"]
    poll(settings)
    assert state["conditional_requests"] == before, "validators are no longer sent to this server"


def test_parallel_workers_never_poll_a_feed_twice(settings, server, db):
    names = [f"f{n}" for n in range(40)]
    for name in names:
        server.routes[f"/{name}"] = send(200, feed_of(server, name, 2), "application/rss+xml")
    add_feeds(settings, {name: server.url(f"/{name}") for name in names})
    results = []
    workers = [threading.Thread(target=lambda: results.append(poll(settings, poll_workers=4))) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    hits = Counter(path for path in server.hits if path.startswith("/f"))
    assert set(hits) == {f"/{name}" for name in names} and set(hits.values()) == {1}
    assert sum(r["feeds_polled"] for r in results) == 40
    assert scalar(db, "SELECT count(*) FROM fetch_events") == 40


def test_old_fetch_events_are_purged_by_retention(settings, server, db):
    from wirewatch import retention

    server.routes["/a"] = send(200, feed_of(server, "a"), "application/rss+xml")
    add_feeds(settings, {"a": server.url("/a")})
    poll(settings)
    query(db, "INSERT INTO fetch_events (feed_id, url, outcome) SELECT feed_id, url, outcome FROM fetch_events "
              "RETURNING id")  # a recent one beside it
    query(db, "UPDATE fetch_events SET polled_at = now() - interval '40 days' WHERE id = "
              "(SELECT min(id) FROM fetch_events) RETURNING id")
    assert retention.prune(settings)["fetch_events"] == 1
    assert scalar(db, "SELECT count(*) FROM fetch_events") == 1


def test_a_poll_killed_mid_way_loses_nothing_and_repeats_only_the_unwritten(settings, server, db):
    """The poll task's database session dies half-way: the outcomes it had committed stand, the
    feeds it had claimed but not written are due again when their lease runs out, and the next
    run polls those (and only those): every feed ends with one outcome, every entry queued once."""
    names = [f"k{n}" for n in range(60)]
    kills = []

    def killing(name):
        def handle(req):
            if len([p for p in server.hits if p.startswith("/k")]) == 30 and not kills:
                with psycopg2.connect(settings.database_url) as conn, conn.cursor() as cur:
                    for _ in range(100):  # until a group of outcomes is committed (one a second at least)
                        cur.execute("SELECT count(*) FROM fetch_events")
                        if cur.fetchone()[0]:
                            break
                        conn.commit()
                        time.sleep(0.1)
                    cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND application_name = 'wirewatch' "
                                "AND pid <> pg_backend_pid()")
                    kills.extend(cur.fetchall())
            send(200, feed_of(server, name, 2), "application/rss+xml")(req)
        return handle

    for name in names:
        server.routes[f"/{name}"] = killing(name)
    add_feeds(settings, {name: server.url(f"/{name}") for name in names})
    with pytest.raises(psycopg2.Error):
        poll(settings, poll_workers=4)
    assert kills, "the fault was never injected"
    written = {name for (name,) in query(db, "SELECT name FROM feeds WHERE last_polled_at IS NOT NULL")}
    assert 0 < len(written) < len(names)
    assert scalar(db, "SELECT count(*) FROM fetch_events") == len(written)
    assert scalar(db, "SELECT count(*) FROM articles") == 2 * len(written)

    unwritten = dict(query(db, "SELECT name, next_poll_at > now() + interval '5 minutes' FROM feeds "
                               "WHERE last_polled_at IS NULL"))
    leased = {name for name, in_lease in unwritten.items() if in_lease}  # claimed, polled or not, not written
    assert leased, "some claimed feeds were not written yet"
    assert poll(settings)["feeds_polled"] == len(unwritten) - len(leased), "leased feeds wait for their lease"
    query(db, "UPDATE feeds SET next_poll_at = now() WHERE last_polled_at IS NULL RETURNING id")  # lease over
    counts = poll(settings)

    assert counts["feeds_polled"] == len(leased) and counts["articles_new"] == 2 * len(leased)
    assert query(db, "SELECT count(*), count(DISTINCT feed_id) FROM fetch_events") == [(len(names), len(names))]
    assert query(db, "SELECT DISTINCT last_status FROM feeds") == [("ok",)]
    assert scalar(db, "SELECT count(*) FROM articles") == scalar(db, "SELECT count(*) FROM feed_entries") \
        == 2 * len(names)
    hits = Counter(path for path in server.hits if path.startswith("/k"))
    assert all(hits[f"/{name}"] == 1 for name in written), "a written outcome is never polled again"


def test_outcomes_written_together_count_each_feed_as_if_written_one_by_one(db_url):
    """Two feeds of one group listing the same story: the first one found it, the second knew it."""
    from wirewatch.feeds.parsing import FeedEntry

    def entry(n):
        url = f"http://127.0.0.1/story-{n}.html"
        return FeedEntry(link=url, canonical_url=url, entry_id=None, title=f"Story {n}", summary=None,
                         published_at=None, author=None)

    with psycopg2.connect(db_url) as conn:
        warehouse.upsert_feeds(conn, [FeedSpec(url=f"http://127.0.0.1/{name}.xml", name=name, outlet=name.upper())
                                      for name in ("a", "b")])
        feeds = [dict(zip(("id", "name", "outlet"), row))
                 for row in query(conn, "SELECT id, name, outlet FROM feeds ORDER BY name")]
        counts = warehouse.queue_feed_entries(conn, [(feeds[0], [entry(1), entry(2), entry(1)]),
                                                     (feeds[1], [entry(2), entry(3)])])
        assert counts == [(2, 1, 0), (1, 1, 0)]
        assert dict(query(conn, "SELECT canonical_url, outlet FROM articles")) == {
            "http://127.0.0.1/story-1.html": "A", "http://127.0.0.1/story-2.html": "A",
            "http://127.0.0.1/story-3.html": "B"}
        assert scalar(conn, "SELECT count(*) FROM feed_entries") == 4


# --- the poll task's HTTP client against fetch.download --------------------------------------

PARITY = Settings(connect_timeout=2, read_timeout=1, total_timeout=3, max_redirects=3,
                  allowed_networks=("127.0.0.0/8", "::1"))
PARITY_LIMIT = 1_000_000
PARITY_ROUTES = {
    "/ok": send(200, b"<rss>hello</rss>", "application/rss+xml", headers={"ETag": '"v1"'}),
    "/404": send(404, b"gone"), "/410": send(410, b"gone for good"), "/500": send(500, b"oops"),
    "/429": send(429, b"slow down", headers={"Retry-After": "120"}),
    "/big-declared": send(200, b"x" * 2_000_000), "/big-streamed": stream(3_000_000, chunk=64 * 1024),
    "/bomb": gzip_bomb(50_000_000), "/trickle": trickle(0.5, total=20), "/stall": stall(3),
    "/loop-a": redirect("/loop-b"), "/loop-b": redirect("/loop-a"),
    "/moved": redirect("/ok", 301), "/moved-twice": redirect("/moved", 308), "/temporarily": redirect("/moved", 302),
    "/chain-1": redirect("/chain-2"), "/chain-2": redirect("/chain-3"), "/chain-3": redirect("/chain-4"),
    "/chain-4": redirect("/chain-5"), "/chain-5": redirect("/ok"),
    "/brotli": send(200, brotli.compress(b"<rss>compressed</rss>"), headers={"Content-Encoding": "br"}),
    "/to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
    "/not-modified": lambda req: send(304 if req.headers.get("If-None-Match") == '"v1"' else 200, b"")(req),
}


@pytest.fixture(scope="module")
def parity_server():
    with FaultServer(PARITY_ROUTES) as srv:
        yield srv


def client_download(url: str, settings: Settings = PARITY, **kw) -> Download:
    async def run():
        async with polling.FeedClient(settings) as client:
            return await client.download(url, max_bytes=PARITY_LIMIT, **kw)
    return asyncio.run(run())


def same_download(got: Download, expected: Download) -> None:
    fields = ("status", "error", "kind", "transient", "final_url", "moved_permanently_to", "body", "content_type")
    assert {f: getattr(got, f) for f in fields} == {f: getattr(expected, f) for f in fields}


@pytest.mark.parametrize("path", sorted(set(PARITY_ROUTES) - {"/loop-b", "/chain-2", "/chain-3", "/chain-4",
                                                                 "/chain-5"}))
def test_the_poll_client_downloads_as_fetch_download_does(parity_server, path):
    url = parity_server.url(path)
    headers = {"If-None-Match": '"v1"'} if path == "/not-modified" else None
    same_download(client_download(url, headers=headers),
                  download(HttpClient(PARITY), url, settings=PARITY, max_bytes=PARITY_LIMIT, headers=headers))


def test_the_poll_client_refuses_and_fails_as_fetch_download_does(parity_server):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    for url, settings in [(parity_server.url("/ok"), Settings()),  # loopback not allowed by default
                          ("http://bad..host/feed", PARITY), (closed, PARITY), ("ftp://127.0.0.1/feed.xml", PARITY)]:
        same_download(client_download(url, settings),
                      download(HttpClient(settings), url, settings=settings, max_bytes=PARITY_LIMIT))
    parity_server.routes["/reset"] = reset
    got = client_download(parity_server.url("/reset"))
    assert (got.kind, got.transient) == ("connection", True) and got.error.startswith("connection")


def test_the_poll_client_reuses_connections_and_sends_the_user_agent(parity_server):
    seen = []

    def capture(req):
        seen.append((req.client_address, req.headers.get("User-Agent"), req.headers.get("If-None-Match")))
        send(304)(req)

    parity_server.routes["/capture"] = capture

    async def run():
        async with polling.FeedClient(PARITY) as client:
            return [await client.download(parity_server.url("/capture"), max_bytes=PARITY_LIMIT,
                                          headers={"If-None-Match": '"v1"'}) for _ in range(5)]

    assert [got.status for got in asyncio.run(run())] == [304] * 5
    assert {address for address, _agent, _etag in seen} == {seen[0][0]}, "one keep-alive connection"
    assert {(agent, etag) for _address, agent, etag in seen} == {(PARITY.user_agent, '"v1"')}


def test_the_poll_client_keeps_idle_connections_to_a_bounded_number_of_hosts(monkeypatch):
    monkeypatch.setattr(polling, "IDLE_HOSTS", 2)
    seen = []

    def capture(req):
        seen.append(req.client_address)
        send(304)(req)

    servers = [FaultServer({"/f": capture}) for _ in range(4)]
    for srv in servers:
        srv.__enter__()
    try:
        async def run():
            async with polling.FeedClient(PARITY) as client:
                for srv in [*servers, servers[-1]]:
                    assert (await client.download(srv.url("/f"), max_bytes=PARITY_LIMIT)).status == 304
                return len(client._session.connector._conns)

        assert asyncio.run(run()) == 2
        assert seen[-1] == seen[-2], "the most recent host's connection is still reused"
    finally:
        for srv in servers:
            srv.__exit__(None, None, None)


# --- scheduling rules on their own -----------------------------------------------------------

def result_with(entries_at: list[datetime], headers: dict | None = None, publisher_minutes: float | None = None):
    from wirewatch.feeds.parsing import FeedEntry

    entries = [FeedEntry(link=f"http://x/{n}", canonical_url=f"http://x/{n}", entry_id=None, title=None,
                         summary=None, published_at=at, author=None) for n, at in enumerate(entries_at)]
    parsed = ParsedFeed(title=None, format="RSS 2.0", entries=entries, min_interval_minutes=publisher_minutes)
    got = Download(url="http://x/", final_url="http://x/", status=200, headers=headers or {})
    return polling.PollResult(feed={}, download=got, outcome="parsed", conditional=False, parsed=parsed)


@pytest.mark.parametrize(("gap_minutes", "expected_minutes"), [(1, 5), (30, 30), (600, 360)])
def test_interval_is_the_mean_gap_clamped_to_bounds(gap_minutes, expected_minutes, settings):
    times = [NOW - timedelta(minutes=gap_minutes * n) for n in range(6)]
    interval = polling.next_interval({}, result_with(times), settings, new_entries=2)
    assert interval == timedelta(minutes=expected_minutes)


def test_publisher_hints_are_floors(settings):
    times = [NOW - timedelta(minutes=10 * n) for n in range(6)]
    assert polling.next_interval({}, result_with(times, publisher_minutes=45), settings, new_entries=1) \
        == timedelta(minutes=45)
    assert polling.next_interval({}, result_with(times, {"cache-control": "max-age=1800"}), settings,
                                 new_entries=1) == timedelta(minutes=30)


def test_retry_after_accepts_seconds_and_dates():
    assert polling.retry_after({"retry-after": "120"}, NOW) == timedelta(seconds=120)
    assert polling.retry_after({"retry-after": "Thu, 28 Nov 2024 13:00:00 GMT"}, NOW) == timedelta(hours=1)
    assert polling.retry_after({"retry-after": "soon"}, NOW) is None


def test_sy_update_period_is_read_from_the_feed():
    from wirewatch.feeds.parsing import parse_feed

    body = (b"<?xml version='1.0'?><rss version='2.0' xmlns:sy='http://purl.org/rss/1.0/modules/syndication/'>"
            b"<channel><title>T</title><sy:updatePeriod>hourly</sy:updatePeriod>"
            b"<sy:updateFrequency>2</sy:updateFrequency><item><title>a</title><link>http://x/a</link></item>"
            b"</channel></rss>")
    assert parse_feed(body, url="http://x/").min_interval_minutes == 30


def test_a_feed_with_ten_thousand_entries_is_queued_whole(settings, server, db):
    server.routes["/big"] = send(200, feed_of(server, "big", 10_000), "application/rss+xml")
    add_feeds(settings, {"big": server.url("/big")})
    counts = poll(settings)
    assert (counts["entries_seen"], counts["articles_new"]) == (10_000, 10_000)
    assert scalar(db, "SELECT count(*) FROM feed_entries") == 10_000
    assert events(db, "big") == [("new_entries", 200, 10_000, False)]


def test_an_etag_that_never_changes_is_distrusted_once_proven(settings, server, db):
    state = {"items": 3}
    server.routes["/stuck-etag"] = lambda req: send(200, feed_of(server, "stuck", state["items"]),
                                                    "application/rss+xml", {"ETag": '"forever"'})(req)
    add_feeds(settings, {"stuck": server.url("/stuck-etag")})
    poll(settings)
    state["items"] = 4
    query(db, "UPDATE feeds SET next_poll_at = now(), conditional_verified_at = now() - interval '2 days' "
              "RETURNING id")
    poll(settings)
    row = feed_row(db, "stuck")
    assert not row["conditional_get"]
    assert row["conditional_get_note"] == 'repeated ETag "forever" for a changed feed with 1 new entry'
