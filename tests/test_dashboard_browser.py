"""The Wirewatch dashboard in real headless Chromium (Debian's, driven by Playwright), inside the
Airflow UI of a real API server over a warehouse loaded from the demo corpus: log in through
Airflow's login page, open Wirewatch from the navigation, see the feeds, charts and stories, and
disable and re-enable a feed from the page. Screenshots go to artifacts/ (git-ignored)."""

from __future__ import annotations

import os
import re
import time
from datetime import timedelta, timezone

import psycopg2
import pytest
from airflow_server import ARTIFACTS_DIR, CHROMIUM, browser_login
from test_export import add_article, add_event
from test_monitor import run_stages

from wirewatch.demo import LOOPBACK_NETWORKS, CorpusServer, import_demo_feeds
from wirewatch.reporting import dashboard
from wirewatch.settings import Settings


@pytest.fixture(scope="module")
def demo_api(airflow_api):
    """The API server's warehouse, loaded from the demo corpus by one run of every stage."""
    with pytest.MonkeyPatch.context() as env, CorpusServer() as corpus:
        env.setenv("WIREWATCH_DATABASE_URL", airflow_api.database_url)
        env.setenv("WIREWATCH_ALLOWED_NETWORKS", LOOPBACK_NETWORKS)
        env.setenv("WIREWATCH_HOST_DELAY_SECONDS", "0")
        settings = Settings.from_env()
        import_demo_feeds(settings, corpus.base_url)
        run_stages(settings, "manual__2026-12-03T09:00:00+00:00")
    add_demo_events(airflow_api.database_url)
    return airflow_api


def add_demo_events(database_url: str) -> None:
    """Two events within the page's 7-day map window (it ends at the corpus's newest article)."""
    with psycopg2.connect(database_url) as conn:
        conn.autocommit = True
        end = dashboard.window(conn).end
        last = end.astimezone(timezone.utc).date()
        article = add_article(conn, "Browser Wire", published_at=end - timedelta(hours=1))  # keeps the window
        add_event(conn, event_date=last, article_ids=[article], location="Kharkiv", fatalities=4, outlets=2)
        add_event(conn, event_date=last - timedelta(days=2), article_ids=[article], event_type="Battles",
                  sub_event_type="Armed clash", location="Pokrovsk", admin1="Donetsk Oblast", latitude=48.28,
                  longitude=37.18, fatalities=None, fatalities_low=None, fatalities_high=None,
                  fatalities_qualifier=None)


@pytest.fixture(scope="module")
def chromium():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: scripts/test-prereqs.sh should have installed it")
        pytest.skip(f"{CHROMIUM} is missing: run scripts/test-prereqs.sh as root (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS_DIR.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


def feed_enabled(api, feed_id: int) -> bool:
    with psycopg2.connect(api.database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT enabled FROM feeds WHERE id = %s", (feed_id,))
        return cur.fetchone()[0]


def wait_for(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_dashboard_in_the_airflow_ui(demo_api, chromium):
    from playwright.sync_api import expect

    page = chromium.new_page(viewport={"width": 1440, "height": 1000})
    browser_login(page, demo_api, "admin")
    page.goto(f"{demo_api.base_url}/")
    page.get_by_role("button", name="Browse").click()
    page.get_by_role("menuitem", name="Wirewatch").click()
    expect(page).to_have_url(re.compile(r"/plugin/wirewatch"))
    board = page.frame_locator("iframe[src*='wirewatch']")

    with psycopg2.connect(demo_api.database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM feeds")
        feeds = cur.fetchone()[0]
        cur.execute("SELECT title FROM report_stories ORDER BY last_seen_at DESC NULLS LAST, story_id DESC LIMIT 1")
        newest_story = cur.fetchone()[0]
        cur.execute("SELECT min(id) FROM feeds WHERE enabled")
        feed_id = cur.fetchone()[0]

    expect(board.locator("h1")).to_have_text("wirewatch", timeout=30_000)
    expect(board.locator("#feed-table tr[data-feed-id]")).to_have_count(min(feeds, 25))
    expect(board.locator("#volume-charts svg.chart")).to_have_count(2)
    expect(board.locator("svg.chart rect title").first).to_be_attached()
    expect(board.locator("#story-table")).to_contain_text(newest_story)
    expect(board.locator("#window-notice")).to_contain_text("newest data")  # the corpus dates from 2024
    expect(board.locator("#run-table a").first).to_have_attribute("href", re.compile(r"^/dags/news_ingest/runs/"))
    page.screenshot(path=str(ARTIFACTS_DIR / "dashboard-in-airflow.png"))

    events = board.locator("#event-table")
    events.scroll_into_view_if_needed()
    expect(events).to_be_visible()
    expect(events.locator("tr[data-event-id]")).to_have_count(2)
    expect(events).to_contain_text("Kharkiv (Kharkiv Oblast, Ukraine)")
    expect(events).to_contain_text("Pokrovsk (Donetsk Oblast, Ukraine)")
    event_map = board.locator("svg#event-map")
    expect(event_map).to_be_visible()
    expect(event_map.locator("circle.event")).to_have_count(2)
    expect(event_map.locator("path.land")).to_be_attached()
    box = event_map.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 150, box
    expect(board.locator("#event-charts svg.chart")).to_have_count(2)
    event_map.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS_DIR / "dashboard-events.png"))

    row = board.locator(f"#feed-table tr[data-feed-id='{feed_id}']")
    row.get_by_role("button", name="Disable").click()
    wait_for(lambda: not feed_enabled(demo_api, feed_id))
    expect(row.get_by_role("button", name="Enable")).to_be_visible(timeout=15_000)
    expect(row.locator(".badge")).to_have_text("disabled")
    page.screenshot(path=str(ARTIFACTS_DIR / "dashboard-feed-disabled.png"))
    row.get_by_role("button", name="Enable").click()
    wait_for(lambda: feed_enabled(demo_api, feed_id))
    expect(row.get_by_role("button", name="Disable")).to_be_visible(timeout=15_000)
    expect(board.locator("#action-table")).to_contain_text("enable-feed")

    # The whole page on its own, for the record.
    whole = chromium.new_page(viewport={"width": 1440, "height": 1000})
    whole.context.add_cookies(page.context.cookies(demo_api.base_url))
    whole.goto(f"{demo_api.base_url}/wirewatch/")
    whole.screenshot(path=str(ARTIFACTS_DIR / "dashboard-full.png"), full_page=True)


def test_a_viewer_sees_the_dashboard_but_cannot_act(demo_api, chromium):
    from playwright.sync_api import expect

    page = chromium.new_page(viewport={"width": 1440, "height": 1000})
    browser_login(page, demo_api, "viewer")
    page.goto(f"{demo_api.base_url}/wirewatch/")
    expect(page.locator("#feed-table")).to_be_visible()
    row = page.locator("#feed-table tr[data-feed-id]").first
    feed_id = int(row.get_attribute("data-feed-id"))
    before = feed_enabled(demo_api, feed_id)
    row.get_by_role("button", name=re.compile("Disable|Enable")).click()
    expect(page.locator("#flash")).to_contain_text("refused (403)")
    assert feed_enabled(demo_api, feed_id) == before
    page.screenshot(path=str(ARTIFACTS_DIR / "dashboard-viewer-refused.png"))
