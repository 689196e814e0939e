"""Who may read the Wirewatch dashboard and act on it, against a real Airflow API server with the
plugin mounted (tests/airflow_server.py): anonymous, a read-only user (SimpleAuthManager role
viewer) and an admin, on every route of the plugin app, HTML and JSON, reads and actions."""

from __future__ import annotations

import psycopg2
import pytest
import requests

from wirewatch import warehouse
from wirewatch.feeds.lists import FeedSpec

READS = ["/wirewatch/", "/wirewatch/api/window", "/wirewatch/api/feeds", "/wirewatch/api/volume",
         "/wirewatch/api/topic-volume", "/wirewatch/api/trending", "/wirewatch/api/stories", "/wirewatch/api/runs",
         "/wirewatch/api/quality", "/wirewatch/api/rejections", "/wirewatch/api/outcomes",
         "/wirewatch/api/boilerplate", "/wirewatch/api/actions"]


@pytest.fixture(scope="module")
def feed_id(airflow_api) -> int:
    with psycopg2.connect(airflow_api.database_url) as conn:
        warehouse.upsert_feeds(conn, [FeedSpec(url="http://127.0.0.1:9/auth-test.xml", name="Auth test feed")])
        with conn.cursor() as cur:
            cur.execute("SELECT id FROM feeds WHERE name = 'Auth test feed'")
            return cur.fetchone()[0]


def actions(feed_id: int) -> list[str]:
    return [f"/wirewatch/api/feeds/{feed_id}/disable", f"/wirewatch/api/feeds/{feed_id}/enable",
            f"/wirewatch/api/feeds/{feed_id}/poll", "/wirewatch/api/sites/127.0.0.1/re-extract", "/wirewatch/api/retag"]


def get(api, path: str, **kwargs) -> requests.Response:
    return requests.get(api.base_url + path, timeout=30, **kwargs)


def post(api, path: str, **kwargs) -> requests.Response:
    return requests.post(api.base_url + path, timeout=30, **kwargs)


@pytest.mark.parametrize("path", READS)
def test_reading_needs_a_login(airflow_api, path):
    assert get(airflow_api, path).status_code == 401
    assert get(airflow_api, path, headers={"Authorization": "Bearer forged"}).status_code in (401, 403)
    for user in ("viewer", "admin"):
        assert get(airflow_api, path, headers=airflow_api.headers(user)).status_code == 200, user
        assert get(airflow_api, path, cookies=airflow_api.cookies(user)).status_code == 200, user


def test_actions_need_edit_rights_and_are_recorded(airflow_api, feed_id):
    with psycopg2.connect(airflow_api.database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0) FROM monitor_actions")  # other tests share the server
        before = cur.fetchone()[0]
    csrf = {"X-Requested-By": "wirewatch"}
    for path in actions(feed_id):
        assert post(airflow_api, path, headers=csrf).status_code == 401, path
        assert post(airflow_api, path, headers={**csrf, **airflow_api.headers("viewer")}).status_code == 403, path
        assert post(airflow_api, path, headers=csrf, cookies=airflow_api.cookies("viewer")).status_code == 403, path
        # An admin's browser session (cookie) without the header: refused, whatever the cookie is worth.
        assert post(airflow_api, path, cookies=airflow_api.cookies("admin")).status_code == 403, path
        done = post(airflow_api, path, headers=csrf, cookies=airflow_api.cookies("admin"))
        assert done.status_code == 200 and done.json()["by"] == "admin", (path, done.text)
        assert post(airflow_api, path, headers=airflow_api.headers("admin")).status_code == 200, path
    # Reads are GET only: a GET on an action's path is not an action.
    assert get(airflow_api, f"/wirewatch/api/feeds/{feed_id}/disable", headers=airflow_api.headers("admin")
               ).status_code in (404, 405)
    with psycopg2.connect(airflow_api.database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT username, action, target FROM monitor_actions WHERE id > %s ORDER BY id", (before,))
        log = cur.fetchall()
        cur.execute("SELECT enabled FROM feeds WHERE id = %s", (feed_id,))
        enabled = cur.fetchone()[0]
    expected = [("admin", action, target) for action, target in (
        ("disable-feed", str(feed_id)), ("enable-feed", str(feed_id)), ("poll-feed", str(feed_id)),
        ("re-extract-site", "127.0.0.1"), ("retag", None)) for _twice in range(2)]
    assert log == expected and enabled is True
