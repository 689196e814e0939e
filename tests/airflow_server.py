"""A real `airflow api-server` for the authentication and browser tests (issue 14).

`start_airflow_api()` runs Airflow 3's API server as a subprocess on a free 127.0.0.1 port with
this repo's plugins (so /wirewatch is mounted) and dags, the default SimpleAuthManager with two
known users, a fixed JWT secret, and a given warehouse (WIREWATCH_DATABASE_URL). The session
fixture `airflow_api` in conftest.py wraps it over a migrated test warehouse.

    def test_something(airflow_api):
        requests.get(f"{airflow_api.base_url}/api/v2/dags", headers=airflow_api.headers("viewer"))

SimpleAuthManager facts (Airflow 3.3.2), read from airflow/api_fastapi/auth/managers/simple/:
- users come from `[core] simple_auth_manager_users` ("name:role,..."; roles viewer, user, op, admin);
  passwords from the JSON file `[core] simple_auth_manager_passwords_file` ({"name": "password"}).
  On start the server only *adds* generated passwords for users missing from the file, so writing
  the file first gives fixed passwords.
- token: POST /auth/token with JSON {"username", "password"} -> 201 {"access_token": JWT};
  the API accepts it as `Authorization: Bearer <JWT>` or as the `_token` cookie.
- UI login page: /auth/login (a React page). Its form has inputs name="username" and
  name="password" and a "Sign in" button; on success the page's JavaScript (not the server) sets
  the `_token` cookie (path "/", not HttpOnly) and goes to `?next=` (same origin only) or "/".
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS_DIR = REPO_ROOT / "artifacts"  # git-ignored: screenshots of the browser tests
CHROMIUM = "/usr/bin/chromium"

USERS = {"admin": "admin", "viewer": "viewer"}  # username -> SimpleAuthManager role
PASSWORDS = {"admin": "admin-test-password", "viewer": "viewer-test-password"}
JWT_SECRET = "wirewatch-tests-jwt-secret-not-for-production"
SECRET_KEY = "wirewatch-tests-secret-key-not-for-production"
START_TIMEOUT = 90.0  # seconds; it usually answers in well under 20
TOKEN_COOKIE = "_token"


@dataclass
class AirflowApi:
    """A running API server: where it is, what it reads, and how to authenticate to it."""

    base_url: str
    database_url: str  # the warehouse the server (its /wirewatch plugin) reads
    airflow_home: str
    log_path: Path
    passwords: dict[str, str] = field(default_factory=lambda: dict(PASSWORDS))
    roles: dict[str, str] = field(default_factory=lambda: dict(USERS))
    process: subprocess.Popen | None = None
    _tokens: dict[str, str] = field(default_factory=dict, repr=False)

    def token(self, username: str) -> str:
        """A JWT for the user, from POST /auth/token (cached: valid for a day)."""
        if username not in self._tokens:
            response = requests.post(f"{self.base_url}/auth/token", timeout=30,
                                     json={"username": username, "password": self.passwords[username]})
            if response.status_code != 201:
                raise RuntimeError(f"POST /auth/token for {username!r}: {response.status_code} {response.text}")
            self._tokens[username] = response.json()["access_token"]
        return self._tokens[username]

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}"}

    def cookies(self, username: str) -> dict[str, str]:
        """The cookie the UI sends once logged in (what a browser session carries)."""
        return {TOKEN_COOKIE: self.token(username)}

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(*, database_url: str, airflow_home: str, passwords_file: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": airflow_home,
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__AUTH_MANAGER":
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{r}" for u, r in USERS.items()),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file),
        "AIRFLOW__API_AUTH__JWT_SECRET": JWT_SECRET,
        "AIRFLOW__API__SECRET_KEY": SECRET_KEY,
        "WIREWATCH_DATABASE_URL": database_url,
    })
    env.pop("AIRFLOW__API__BASE_URL", None)  # links and cookie paths relative to "/"
    return env


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)  # the server runs in its own process group
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def _wait_until_up(api: AirflowApi, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if api.process.poll() is not None:
            raise RuntimeError(f"airflow api-server exited with code {api.process.returncode} before answering; "
                               f"log tail ({api.log_path}):\n{api.log_tail()}")
        try:
            response = requests.get(f"{api.base_url}/api/v2/version", timeout=2)
            if response.status_code == 200:
                return
            last_error = f"GET /api/v2/version: {response.status_code}"
        except requests.RequestException as exc:
            last_error = type(exc).__name__
        time.sleep(0.25)
    raise RuntimeError(f"airflow api-server did not answer on {api.base_url} within {timeout:.0f}s "
                       f"({last_error}); log tail ({api.log_path}):\n{api.log_tail()}")


def reserialize_dags(env: dict[str, str]) -> None:
    """Parse dags/ into the metadata DB (DagModel, serialized DAGs), as the dag processor would."""
    done = subprocess.run([sys.executable, "-m", "airflow", "dags", "reserialize"],
                          env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError("airflow dags reserialize failed:\n" + (done.stderr or done.stdout)[-3000:])


@contextmanager
def start_airflow_api(*, database_url: str, airflow_home: str, workdir: Path | None = None,
                      timeout: float = START_TIMEOUT) -> Iterator[AirflowApi]:
    """Run `airflow api-server` until the block ends. Airflow's metadata DB in `airflow_home`
    must be migrated (`airflow db migrate`); the warehouse at `database_url` too."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="wirewatch-api-server-"))
    workdir.mkdir(parents=True, exist_ok=True)
    passwords_file = workdir / "simple_auth_manager_passwords.json"
    passwords_file.write_text(json.dumps(PASSWORDS) + "\n")
    env = server_environment(database_url=database_url, airflow_home=airflow_home,
                             passwords_file=passwords_file)
    port = free_port()
    api = AirflowApi(base_url=f"http://127.0.0.1:{port}", database_url=database_url,
                     airflow_home=airflow_home, log_path=workdir / "api-server.log")
    with open(api.log_path, "wb") as log:
        api.process = subprocess.Popen(
            [sys.executable, "-m", "airflow", "api-server", "--host", "127.0.0.1", "--port", str(port),
             "--workers", "1"],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        # While the server imports Airflow, make news_ingest known to the metadata DB (for links to
        # its runs, and DagModel lookups such as requires_access_dag's team name).
        reserialize_dags(env)
        _wait_until_up(api, timeout)
        yield api
    finally:
        _stop(api.process)


def browser_login(page, api: AirflowApi, username: str, *, timeout: float = 30.0) -> None:
    """Log in through Airflow's login page with a Playwright page; returns once the UI's `_token`
    cookie is set and the page has left the login form."""
    page.goto(f"{api.base_url}/auth/login?{urlencode({'next': api.base_url + '/'})}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(api.passwords[username])
    page.get_by_role("button", name="Sign in").click()
    deadline = time.monotonic() + timeout
    while not any(cookie["name"] == TOKEN_COOKIE for cookie in page.context.cookies(api.base_url)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {TOKEN_COOKIE} cookie {timeout:.0f}s after signing in as {username!r} "
                               f"(page {page.url})")
        page.wait_for_timeout(100)
    page.wait_for_url(lambda url: "/auth/login" not in url, timeout=timeout * 1000)
