"""The harness for the authentication and browser tests: a real Airflow API server (issue 14)."""

import os
import re

import pytest
import requests

from airflow_server import ARTIFACTS_DIR, CHROMIUM, TOKEN_COOKIE, browser_login


def test_api_requires_a_token(airflow_api):
    url = f"{airflow_api.base_url}/api/v2/dags"
    assert requests.get(url, timeout=30).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer not-a-jwt"}, timeout=30).status_code in (401, 403)

    as_admin = requests.get(url, headers=airflow_api.headers("admin"), timeout=30)
    assert as_admin.status_code == 200
    assert "news_ingest" in {dag["dag_id"] for dag in as_admin.json()["dags"]}

    as_viewer = requests.get(url, headers=airflow_api.headers("viewer"), timeout=30)
    assert as_viewer.status_code == 200
    assert as_viewer.json()["total_entries"] == as_admin.json()["total_entries"]
    # The UI's cookie works like the header.
    assert requests.get(url, cookies=airflow_api.cookies("viewer"), timeout=30).status_code == 200


def test_roles_differ_on_writes(airflow_api):
    url = f"{airflow_api.base_url}/api/v2/dags/news_ingest"
    paused = requests.get(url, headers=airflow_api.headers("viewer"), timeout=30).json()["is_paused"]
    body = {"is_paused": paused}  # a no-op change: only the permission check matters
    assert requests.patch(url, json=body, headers=airflow_api.headers("viewer"), timeout=30).status_code == 403
    assert requests.patch(url, json=body, headers=airflow_api.headers("admin"), timeout=30).status_code == 200


def test_wrong_password_gets_no_token(airflow_api):
    response = requests.post(f"{airflow_api.base_url}/auth/token", timeout=30,
                             json={"username": "admin", "password": "wrong"})
    assert response.status_code == 401


def test_plugin_is_mounted(airflow_api):
    # /wirewatch/ is served by this repo's plugin (whatever its auth policy is at the moment).
    response = requests.get(f"{airflow_api.base_url}/wirewatch/", headers=airflow_api.headers("admin"), timeout=30)
    assert response.status_code == 200


def test_browser_login(airflow_api):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: scripts/test-prereqs.sh should have installed it")
        pytest.skip(f"{CHROMIUM} is missing: run scripts/test-prereqs.sh as root (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS_DIR.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            browser_login(page, airflow_api, "admin")
            assert TOKEN_COOKIE in {cookie["name"] for cookie in page.context.cookies(airflow_api.base_url)}

            page.goto(f"{airflow_api.base_url}/")
            expect(page).to_have_title(re.compile("Airflow"))
            # The React UI rendered its navigation (with the plugin's Wirewatch entry under Browse).
            expect(page.get_by_role("link", name=re.compile("Dags", re.I)).first).to_be_visible(timeout=30_000)
            page.screenshot(path=str(ARTIFACTS_DIR / "airflow-home-admin.png"), full_page=True)
        finally:
            browser.close()
