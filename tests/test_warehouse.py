import dataclasses
from datetime import datetime, timezone

import psycopg2
from conftest import query, scalar

from wirewatch import warehouse
from wirewatch.feeds.lists import FeedSpec
from wirewatch.feeds.parsing import FeedEntry


def entry(n: int) -> FeedEntry:
    url = f"http://127.0.0.1/story-{n}.html"
    return FeedEntry(link=url + "?utm_source=rss", canonical_url=url, entry_id=f"id-{n}", title=f"Story {n}",
                     summary=None, published_at=datetime(2026, 11, 20, tzinfo=timezone.utc), author=None)


def add_feed(conn, url="http://127.0.0.1/feed.xml", outlet="Outlet") -> dict:
    warehouse.upsert_feeds(conn, [FeedSpec(url=url, name=url, outlet=outlet)])
    conn.commit()
    with conn.cursor() as cur:
        cur.execute("SELECT * FROM feeds WHERE url = %s", (url,))
        return dict(zip([d[0] for d in cur.description], cur.fetchone()))


def test_upsert_feeds_keeps_poll_state(db_url):
    with psycopg2.connect(db_url) as conn:
        feed = add_feed(conn)
        with conn.cursor() as cur:
            cur.execute("UPDATE feeds SET error_streak = 4 WHERE id = %s", (feed["id"],))
        added, updated = warehouse.upsert_feeds(conn, [FeedSpec(url=feed["url"], name="Renamed")])
        assert (added, updated) == (0, 1)
        assert query(conn, "SELECT name, error_streak FROM feeds") == [("Renamed", 4)]


def test_queueing_is_idempotent_across_feeds(db_url):
    with psycopg2.connect(db_url) as conn:
        first = add_feed(conn, "http://127.0.0.1/a.xml", "A")
        second = add_feed(conn, "http://127.0.0.1/b.xml", "B")
        assert warehouse.queue_entries(conn, first, [entry(1), entry(2)]) == (2, 0, 0)
        assert warehouse.queue_entries(conn, first, [entry(1), entry(2)]) == (0, 2, 0)
        assert warehouse.queue_entries(conn, second, [entry(2), entry(3)]) == (1, 1, 0)
        assert scalar(conn, "SELECT count(*) FROM articles") == 3
        assert scalar(conn, "SELECT count(*) FROM feed_entries") == 4
        # The article keeps the outlet of the feed that found it first.
        assert scalar(conn, "SELECT outlet FROM articles WHERE canonical_url LIKE '%story-2.html'") == "A"


def test_parallel_workers_never_claim_the_same_article(db_url):
    with psycopg2.connect(db_url) as setup:
        warehouse.queue_entries(setup, add_feed(setup), [entry(n) for n in range(4)])
    workers = [psycopg2.connect(db_url) for _ in range(3)]
    try:
        claimed = [warehouse.claim_queued_article(conn, 0, 1) for conn in workers]  # transactions stay open
        ids = [row["id"] for row in claimed]
        assert len(set(ids)) == 3
        workers[0].rollback()  # a worker dies: its article becomes claimable again
        assert warehouse.claim_queued_article(workers[0], 0, 1)["id"] in {ids[0], *(set(range(1, 5)) - set(ids))}
    finally:
        for conn in workers:
            conn.close()


def test_sharding_splits_the_queue_by_host(db_url):
    hosts = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"]
    entries = [dataclasses.replace(entry(n), canonical_url=f"http://{hosts[n % 4]}/story-{n}.html")
               for n in range(12)]
    with psycopg2.connect(db_url) as conn:
        warehouse.queue_entries(conn, add_feed(conn), entries)
        conn.commit()
        seen = []
        shard_of_host: dict[str, int] = {}
        for shard in range(2):
            while (row := warehouse.claim_queued_article(conn, shard, 2)) is not None:
                host = row["canonical_url"].split("/")[2]
                assert shard_of_host.setdefault(host, shard) == shard, "one host, one shard"
                seen.append(row["id"])
                query(conn, "UPDATE articles SET status = 'failed' WHERE id = %s RETURNING id", (row["id"],))
        assert sorted(seen) == [r[0] for r in query(conn, "SELECT id FROM articles ORDER BY id")]
