"""The monitoring page and its JSON endpoints over a warehouse loaded from the demo corpus by the real
stage functions. Who may read and act is Airflow's decision (tests/test_monitor_auth.py checks it
against a real Airflow API server); here a stand-in `Access` names the user by a header, so the
page's own logic (windows, charts, filters, pages, actions and their audit log) is tested fast."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import psycopg2
import pytest
from conftest import query, scalar
from test_export import add_article, add_event
from fastapi import Header, HTTPException
from fastapi.testclient import TestClient

from wirewatch import warehouse
from wirewatch.dedup.runner import dedup_articles
from wirewatch.demo import import_demo_feeds
from wirewatch.extraction.runner import extract_articles
from wirewatch.feeds.lists import FeedSpec
from wirewatch.feeds.runner import poll_feeds
from wirewatch.fetch.runner import fetch_articles
from wirewatch.reporting import dashboard
from wirewatch.reporting.monitor import Access, create_app
from wirewatch.tagging.runner import tag_articles


class _User:
    def __init__(self, name: str):
        self.name = name

    def get_name(self) -> str:
        return self.name


def _user(x_test_user: str | None = Header(default=None)) -> _User:
    if not x_test_user:
        raise HTTPException(401, "Not authenticated")
    return _User(x_test_user)


def _editor(x_test_user: str | None = Header(default=None)) -> None:
    if _user(x_test_user).name != "admin":
        raise HTTPException(403, "Forbidden")


ACCESS = Access(user=_user, read=_user, edit=_editor)
ADMIN = {"X-Test-User": "admin"}
ACTION = {**ADMIN, "X-Requested-By": "wirewatch"}


def run_stages(settings, run_id: str) -> None:
    for stage in (lambda: poll_feeds(0, 1, run_id=run_id, settings=settings),
                  lambda: fetch_articles(0, 1, run_id=run_id, settings=settings),
                  lambda: extract_articles(run_id=run_id, settings=settings),
                  lambda: dedup_articles(run_id=run_id, settings=settings),
                  lambda: tag_articles(run_id=run_id, settings=settings)):
        stage()


@pytest.fixture
def demo(settings, corpus):
    """The demo corpus loaded by one run of every stage."""
    import_demo_feeds(settings, corpus.base_url)
    run_stages(settings, "manual__2026-12-03T10:00:00+00:00")
    return settings


@pytest.fixture
def client(settings):
    return TestClient(create_app(lambda: settings, access=ACCESS))


def test_every_route_needs_the_access_dependencies(client):
    assert client.get("/").status_code == 401
    assert client.get("/api/feeds").status_code == 401
    assert client.post("/api/retag", headers={"X-Requested-By": "wirewatch"}).status_code == 401
    viewer = {"X-Test-User": "viewer", "X-Requested-By": "wirewatch"}
    assert client.get("/", headers=viewer).status_code == 200
    assert client.post("/api/retag", headers=viewer).status_code == 403


def test_dashboard_over_the_demo_corpus(demo, client, db):
    page = client.get("/", headers=ADMIN)
    assert page.status_code == 200
    html = page.text
    # The demo corpus dates from 2024: the windows end at its newest article, and the page says so.
    assert "id='window-notice'" in html and "ends at the newest data" in html
    volume = html.split("id='volume-charts'", 1)[1].split("</div>", 1)[0]
    assert volume.count("<svg") == 2 and "New stories per topic per day" in volume
    assert re.search(r"<title>[^<]+: [1-9]\d* articles</title>", html), "the hourly chart has no articles"
    feeds = scalar(db, "SELECT count(*) FROM feeds")
    assert html.count("data-feed-id=") == min(feeds, 25)
    story_title = scalar(db, "SELECT title FROM report_stories ORDER BY last_seen_at DESC LIMIT 1")
    assert story_title.replace("'", "&#x27;") in html
    assert "/dags/news_ingest/runs/manual__2026-12-03T10%3A00%3A00%2B00%3A00" in html
    assert "<time datetime=" in html and "ago</time>" in html
    assert "id='trending-topic'" in html


def test_windows_end_at_the_newest_data_only_when_nothing_is_recent(demo, db):
    with psycopg2.connect(demo.database_url) as conn:
        old = dashboard.window(conn)
        assert not old.live and old.end == old.newest
        newest = scalar(db, "SELECT max(coalesce(published_at, feed_published_at, first_seen_at)) FROM articles "
                            "WHERE status = 'extracted'")
        assert old.end == newest
        hours = dashboard.hourly_volume(conn, old.end)
        assert len(hours) == 48 and sum(h["articles"] for h in hours) >= 1
        daily = dashboard.topic_daily(conn, old.end)
        assert len(daily["days"]) == 14 and daily["days"][-1] == newest.astimezone(timezone.utc).date().isoformat()
        assert sum(map(sum, daily["series"].values())) >= 1
        live = dashboard.window(conn, now=newest + timedelta(hours=3))
        assert live.live and live.end == newest + timedelta(hours=3)


def test_json_endpoints(demo, client):
    feeds = client.get("/api/feeds", params={"per_page": 2}, headers=ADMIN).json()
    assert len(feeds["rows"]) == 2 and feeds["pages"] == -(-feeds["total"] // 2)
    assert client.get("/api/feeds", params={"status": "nonsense"}, headers=ADMIN).status_code == 422
    stories = client.get("/api/stories", headers=ADMIN).json()
    assert stories["total"] >= 1 and all(row["copies"] for row in stories["rows"])
    runs = client.get("/api/runs", headers=ADMIN).json()
    assert runs["rows"][0]["extracted"] >= 1 and runs["rows"][0]["airflow_url"].startswith("/dags/news_ingest/runs/")
    volume = client.get("/api/volume", headers=ADMIN).json()
    assert volume["live"] is False and len(volume["hours"]) == 48
    assert set(client.get("/api/trending", headers=ADMIN).json()) >= {"topics", "actors"}
    assert client.get("/api/topic-volume", headers=ADMIN).json()["series"]
    assert client.get("/api/quality", headers=ADMIN).json()["total"] >= 1
    assert client.get("/api/nonsense", headers=ADMIN).status_code == 404


def test_feed_filters_and_pages(settings, client):
    with psycopg2.connect(settings.database_url) as conn:
        warehouse.upsert_feeds(conn, [FeedSpec(url=f"http://127.0.0.1/{i}.xml", name=f"Feed {i:02}",
                                               tags=("ukraine",) if i % 2 else ("sahel",)) for i in range(30)])
        with conn.cursor() as cur:
            cur.execute("UPDATE feeds SET last_status = 'error', error_streak = 3, last_error = 'HTTP 404' "
                        "WHERE name = 'Feed 07'")
            cur.execute("UPDATE feeds SET enabled = false WHERE name = 'Feed 08'")
    first = client.get("/", headers=ADMIN).text
    assert first.count("data-feed-id=") == 25 and "page 1 of 2 (30 in all)" in first
    assert first.index("Feed 07") < first.index("Feed 00"), "failing feeds come first"
    assert client.get("/", params={"feeds_page": 2}, headers=ADMIN).text.count("data-feed-id=") == 5
    failing = client.get("/", params={"status": "failing"}, headers=ADMIN).text
    assert failing.count("data-feed-id=") == 1 and "HTTP 404" in failing
    tagged = client.get("/api/feeds", params={"tag": "ukraine", "per_page": 100}, headers=ADMIN).json()
    assert tagged["total"] == 15 and all("ukraine" in row["tags"] for row in tagged["rows"])
    assert client.get("/api/feeds", params={"status": "disabled"}, headers=ADMIN).json()["rows"][0]["feed"] == "Feed 08"


def test_actions_change_the_warehouse_and_are_recorded(demo, client, db):
    feed_id = scalar(db, "SELECT min(id) FROM feeds")
    refused = client.post(f"/api/feeds/{feed_id}/disable", headers=ADMIN)
    assert refused.status_code == 403 and "X-Requested-By" in refused.json()["detail"]
    cross_site = client.post(f"/api/feeds/{feed_id}/disable", headers={**ACTION, "Origin": "https://evil.example"})
    assert cross_site.status_code == 403
    assert scalar(db, "SELECT enabled FROM feeds WHERE id = %s", (feed_id,)) is True

    done = client.post(f"/api/feeds/{feed_id}/disable", headers=ACTION)
    assert done.status_code == 200 and done.json()["result"]["enabled"] is False
    assert scalar(db, "SELECT enabled FROM feeds WHERE id = %s", (feed_id,)) is False
    assert client.post(f"/api/feeds/{feed_id}/poll", headers=ACTION).status_code == 404  # disabled: not polled
    assert client.post(f"/api/feeds/{feed_id}/enable", headers=ACTION).json()["result"]["enabled"] is True
    db.cursor().execute("UPDATE feeds SET next_poll_at = now() + interval '1 day' WHERE id = %s", (feed_id,))
    assert client.post(f"/api/feeds/{feed_id}/poll", headers=ACTION).status_code == 200
    assert scalar(db, "SELECT next_poll_at <= now() FROM feeds WHERE id = %s", (feed_id,)) is True
    # A Bearer-token client is not a browser riding a cookie: no header needed.
    assert client.post("/api/retag", headers={**ADMIN, "Authorization": "Bearer x"}).json()["result"]["articles_marked"] >= 1
    assert scalar(db, "SELECT count(*) FROM articles WHERE status = 'extracted' AND tagged_at IS NOT NULL") == 0
    site = scalar(db, "SELECT split_part(canonical_url, '/', 3) FROM articles a JOIN raw_pages r ON r.article_id = a.id "
                      "LIMIT 1")
    marked = client.post(f"/api/sites/{site}/re-extract", headers=ACTION).json()["result"]["articles_marked"]
    assert marked >= 1 and scalar(db, "SELECT count(*) FROM articles WHERE status = 'fetched'") == marked
    assert client.post("/api/feeds/999999/enable", headers=ACTION).status_code == 404

    log = query(db, "SELECT username, action, target FROM monitor_actions ORDER BY id")
    assert log == [("admin", "disable-feed", str(feed_id)), ("admin", "enable-feed", str(feed_id)),
                   ("admin", "poll-feed", str(feed_id)), ("admin", "retag", None), ("admin", "re-extract-site", site)]
    assert "re-extract-site" in client.get("/", headers=ADMIN).text


def test_trending_marks_spikes_against_the_trailing_mean(settings, db):
    with psycopg2.connect(settings.database_url) as conn:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO topics (id, label, taxonomy_version) VALUES ('drone-strikes', 'Drone strikes', 't'),"
                        " ('sanctions', 'Sanctions', 't')")
        end = datetime(2026, 6, 15, 12, tzinfo=timezone.utc)
        # drone strikes: 4 stories today, none before -> spike; sanctions: 1 a day every day -> none
        plan = [("drone-strikes", end - timedelta(hours=h)) for h in (1, 2, 3, 4)]
        plan += [("sanctions", end - timedelta(days=d, hours=1)) for d in range(15)]
        with conn.cursor() as cur:
            for i, (topic, seen) in enumerate(plan):
                cur.execute("INSERT INTO stories (first_seen_at, last_seen_at, articles, outlets) VALUES (%s, %s, 1, 1) "
                            "RETURNING id", (seen, seen))
                story = cur.fetchone()[0]
                cur.execute("INSERT INTO articles (url, canonical_url, status, story_id, published_at) "
                            "VALUES (%s, %s, 'extracted', %s, %s) RETURNING id", (f"u{i}", f"u{i}", story, seen))
                cur.execute("INSERT INTO article_topics (article_id, topic_id, score, matches, evidence, taxonomy_version)"
                            " VALUES (%s, %s, 1, 1, '', 't')", (cur.fetchone()[0], topic))
        rows = {row["id"]: row for row in dashboard.trending(conn, end, kind="topic")}
    assert rows["drone-strikes"]["last_24h"] == 4 and rows["drone-strikes"]["spike"] is True
    assert rows["sanctions"]["last_24h"] == 1 and rows["sanctions"]["daily_mean"] == 1.0
    assert rows["sanctions"]["spike"] is False


def test_fatalities_and_places_read_as_written():
    event = {"fatalities": 12, "fatalities_qualifier": "at least", "fatalities_low": 12, "fatalities_high": 12,
             "location": "Kharkiv", "admin1": "Kharkiv Oblast", "country": "UA", "country_name": "Ukraine"}
    assert dashboard.fatalities_text(event) == "at least 12"
    assert dashboard.fatalities_text({**event, "fatalities_qualifier": "dozens", "fatalities": 24}) == "dozens (24)"
    assert dashboard.fatalities_text({**event, "fatalities_qualifier": "exact", "fatalities_low": 9}) == \
        "12 (reports: 9–12)"
    assert dashboard.fatalities_text({**event, "fatalities": None}) == ""
    assert dashboard.place_text(event) == "Kharkiv (Kharkiv Oblast, Ukraine)"
    assert dashboard.place_text({**event, "location": "Kharkiv Oblast"}) == "Kharkiv Oblast (Ukraine)"
    assert dashboard.place_text({**event, "location": "Ukraine", "admin1": None}) == "Ukraine"


@pytest.fixture
def events(settings, db) -> dict[str, int]:
    """Events around today (the page's window is live: its one article was seen now)."""
    today = datetime.now(timezone.utc).date()
    article = add_article(db, "Reuters")
    return {
        "today": add_event(db, event_date=today, article_ids=[article], fatalities=12, fatalities_qualifier="at least",
                           fatalities_low=12, fatalities_high=12, outlets=3,
                           notes="Officials said <b>twelve</b> died."),
        "yesterday": add_event(db, event_date=today - timedelta(days=1), event_type="Battles",
                               sub_event_type="Armed clash", location="El Fasher", admin1="North Darfur",
                               country="SD", country_name="Sudan", latitude=13.63, longitude=25.35,
                               fatalities=None, fatalities_low=None, fatalities_high=None, fatalities_qualifier=None),
        "older": add_event(db, event_date=today - timedelta(days=10), location="Odesa <port>", admin1="Odesa Oblast",
                           latitude=46.48, longitude=30.73),
        "long_ago": add_event(db, event_date=today - timedelta(days=40), location="Kherson", admin1="Kherson Oblast"),
    }


def test_events_section_chart_and_map(events, client):
    today = datetime.now(timezone.utc).date()
    html = client.get("/", headers=ADMIN).text
    section = html.split("<h2 id='events'>", 1)[1].split("<h2 ", 1)[0]
    assert "<a href='#events'>Events</a>" in html
    ids = [int(i) for i in re.findall(r"<tr data-event-id='(\d+)'>", section)]
    assert ids == [events["today"], events["yesterday"], events["older"], events["long_ago"]], "newest first"
    assert "Kharkiv (Kharkiv Oblast, Ukraine)" in section and "El Fasher (North Darfur, Sudan)" in section
    assert "<td class='n'>at least 12</td><td class='n'>3</td>" in section
    assert "<td class='n'>–</td>" in section, "no figure reported: a dash, not 0"
    assert "Odesa &lt;port&gt;" in section and "<port>" not in section
    assert "title='Officials said &lt;b&gt;twelve&lt;/b&gt; died.'" in section
    charts = section.split("id='event-charts'>", 1)[1].split("</div>", 1)[0]
    assert charts.count("<svg") == 2 and "Events per day by ACLED type, last 14 days" in charts
    assert f"<title>{today}: 1 Explosions/Remote violence</title>" in charts
    assert f"<title>{today - timedelta(days=1)}: 1 Battles</title>" in charts
    assert f"<title>{today - timedelta(days=10)}: 1 Explosions/Remote violence</title>" in charts
    assert str(today - timedelta(days=40)) not in charts, "outside the 14 days"
    event_map = charts.split("<svg id='event-map' ", 1)[1].split("</svg>", 1)[0]
    mapped = [int(i) for i in re.findall(r'<circle class="event" data-id="(\d+)"', event_map)]
    assert sorted(mapped) == sorted([events["today"], events["yesterday"]]), "the last 7 days only"
    assert mapped == [events["today"], events["yesterday"]], "big circles first, the small on top of them"
    assert ">UA</text>" in event_map and ">SD</text>" in event_map
    assert 'class="graticule"' in event_map and 'class="land"' in event_map, "countryinfo's outlines drawn"
    assert "at least 12 killed, 3 outlets</title>" in event_map
    assert "http" not in event_map.replace('xmlns="http://www.w3.org/2000/svg"', ""), "nothing fetched"


def test_event_endpoints(events, client):
    listed = client.get("/api/events", params={"per_page": 2}, headers=ADMIN).json()
    assert listed["total"] == 4 and listed["pages"] == 2
    assert [r["event_id"] for r in listed["rows"]] == [events["today"], events["yesterday"]]
    assert listed["rows"][0]["fatalities_qualifier"] == "at least" and listed["rows"][0]["latitude"] == 49.9935
    mapped = client.get("/api/event-map", headers=ADMIN).json()
    assert mapped["live"] is True and mapped["days"] == 7
    assert [e["event_id"] for e in mapped["events"]] == [events["today"], events["yesterday"]], "deadliest first"
    assert len(client.get("/api/event-map", params={"days": 30}, headers=ADMIN).json()["events"]) == 3
    volume = client.get("/api/event-volume", headers=ADMIN).json()
    assert len(volume["days"]) == 14 and list(volume["series"]) == ["Battles", "Explosions/Remote violence"]
    assert sum(volume["series"]["Explosions/Remote violence"]) == 2


def test_events_are_paged(settings, db, client):
    for i in range(23):
        add_event(db, event_date=date(2026, 1, 1) + timedelta(days=i), location=f"Town {i:02}")
    first = client.get("/", headers=ADMIN).text
    assert first.count("<tr data-event-id=") == 20 and "page 1 of 2 (23 in all)" in first
    assert "events_page=2#events" in first
    second = client.get("/", params={"events_page": 2}, headers=ADMIN).text
    assert second.count("<tr data-event-id=") == 3 and "Town 00" in second and "Town 03" not in second


def test_no_events_yet(client):
    html = client.get("/", headers=ADMIN).text
    assert "No conflict events yet." in html and "id='event-table'" not in html


def test_plugin_registers_app_and_nav_link(airflow_db):
    from wirewatch_monitor import WirewatchMonitorPlugin

    assert WirewatchMonitorPlugin.fastapi_apps[0]["url_prefix"] == "/wirewatch"
    assert WirewatchMonitorPlugin.external_views[0]["href"] == "wirewatch/"
