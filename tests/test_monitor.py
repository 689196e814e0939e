import psycopg2
from fastapi.testclient import TestClient

from wirewatch import warehouse
from wirewatch.feeds import FeedSpec
from wirewatch.monitor import create_app


def test_monitor_page_shows_feed_health(settings):
    with psycopg2.connect(settings.database_url) as conn:
        warehouse.upsert_feeds(conn, [FeedSpec(url="http://127.0.0.1/a.xml", name="Broken <feed>")])
        with conn.cursor() as cur:
            cur.execute("UPDATE feeds SET last_status = 'error', error_streak = 2, last_error = 'HTTP 404'")
    client = TestClient(create_app(lambda: settings))
    page = client.get("/")
    assert page.status_code == 200
    assert "Broken &lt;feed&gt;" in page.text and "HTTP 404" in page.text and "failing" in page.text
    assert "No pipeline run recorded yet." in page.text
    assert client.get("/api/feeds").json()[0]["error_streak"] == 2
    assert client.get("/api/nonsense").json() == []


def test_plugin_registers_app_and_nav_link(airflow_db):
    from wirewatch_monitor import WirewatchMonitorPlugin

    assert WirewatchMonitorPlugin.fastapi_apps[0]["url_prefix"] == "/wirewatch"
    assert WirewatchMonitorPlugin.external_views[0]["href"] == "wirewatch/"


def test_monitor_shows_extraction_quality_per_site(settings):
    with psycopg2.connect(settings.database_url) as conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO articles (url, canonical_url, status, site_name, word_count, quality_flags, wire_source)
                       VALUES ('https://a.example/1', 'https://a.example/1', 'extracted', 'Gazette', 400, '{}', 'AP'),
                              ('https://a.example/2', 'https://a.example/2', 'extracted', 'Gazette', 100,
                               '{paywall_teaser,short}', NULL)""")
        warehouse.learn_site_lines(conn, "a.example", [{1: "Follow us on Telegram."}] * 3)
    client = TestClient(create_app(lambda: settings))
    quality = client.get("/api/quality").json()
    assert quality == [{"site": "Gazette", "articles": 2, "clean": 1, "paywall_teaser": 1, "mojibake": 0,
                        "consent_text": 0, "short": 1, "wire_copies": 1, "avg_words": 250}]
    assert [row["sample"] for row in client.get("/api/boilerplate").json()] == ["Follow us on Telegram."]
    assert "Learned site boilerplate" in client.get("/").text
