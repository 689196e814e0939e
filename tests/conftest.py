"""Shared fixtures: real PostgreSQL databases, a private Airflow home, loopback HTTP servers.

Each test that needs the warehouse gets a fresh database cloned from a migrated template
(CREATE DATABASE … TEMPLATE is a file copy: milliseconds), dropped afterwards.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import tempfile
from pathlib import Path

import psycopg2
import psycopg2.extensions
import pytest

# Airflow reads its configuration at import time: point it at a throwaway home first.
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="wirewatch-airflow-")
atexit.register(shutil.rmtree, _AIRFLOW_HOME, ignore_errors=True)
os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(__file__).resolve().parents[1] / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(Path(__file__).resolve().parents[1] / "plugins")

from wirewatch import migrations  # noqa: E402
from wirewatch.db import connect  # noqa: E402
from wirewatch.demo import LOOPBACK_NETWORKS, CorpusServer, ensure_airflow_db  # noqa: E402
from wirewatch.settings import REPO_ROOT, Settings, connection_json  # noqa: E402

SERVER_URL = os.environ.get("WIREWATCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/wirewatch")
_counter = itertools.count()


def _url_for(dbname: str) -> str:
    return psycopg2.extensions.make_dsn(SERVER_URL, dbname=dbname)


def _admin_execute(statement: str) -> None:
    with connect(_url_for("postgres"), autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(statement)


@pytest.fixture(scope="session")
def template_db() -> str:
    name = f"wirewatch_test_tpl_{os.getpid()}"
    _admin_execute(f"DROP DATABASE IF EXISTS {name}")
    _admin_execute(f"CREATE DATABASE {name}")
    with connect(_url_for(name)) as conn:
        migrations.migrate(conn, REPO_ROOT / "sql")
    yield name
    _admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def empty_db_url() -> str:
    """A fresh database with no schema at all (for migration tests)."""
    name = f"wirewatch_test_{os.getpid()}_{next(_counter)}"
    _admin_execute(f"CREATE DATABASE {name}")
    yield _url_for(name)
    _admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def db_url(template_db: str) -> str:
    """A fresh, fully migrated warehouse database for one test."""
    name = f"wirewatch_test_{os.getpid()}_{next(_counter)}"
    _admin_execute(f"CREATE DATABASE {name} TEMPLATE {template_db}")
    yield _url_for(name)
    _admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def settings(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings for the test database; also exported, for code (DAG tasks) that reads the environment."""
    monkeypatch.setenv("WIREWATCH_DATABASE_URL", db_url)
    # The DAGs' SQL check operators reach the warehouse through the Airflow Connection.
    monkeypatch.setenv("AIRFLOW_CONN_WIREWATCH_WAREHOUSE", connection_json(db_url))
    monkeypatch.setenv("WIREWATCH_READ_TIMEOUT", "3")
    monkeypatch.setenv("WIREWATCH_TOTAL_TIMEOUT", "6")
    monkeypatch.setenv("WIREWATCH_ALLOWED_NETWORKS", LOOPBACK_NETWORKS)
    monkeypatch.setenv("WIREWATCH_HOST_DELAY_SECONDS", "0")  # one loopback host serves every test site
    # dag.test() runs one task at a time: extract_while_fetching, run before the fetch, would wait
    # the default two minutes for pages; the extract task after the fetch takes them instead.
    monkeypatch.setenv("WIREWATCH_EXTRACT_IDLE_SECONDS", "1")
    return Settings.from_env()


@pytest.fixture
def db(db_url: str):
    """An autocommit connection to the test database, for assertions."""
    conn = psycopg2.connect(db_url)
    conn.autocommit = True
    yield conn
    conn.close()


def query(conn, sql: str, params: tuple = ()) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, params or None)  # no params: a literal % needs no escaping
        return cur.fetchall()


def scalar(conn, sql: str, params: tuple = ()):
    return query(conn, sql, params)[0][0]


@pytest.fixture
def corpus():
    """The demo corpus served on a free loopback port."""
    with CorpusServer() as server:
        yield server


@pytest.fixture(scope="session")
def airflow_db() -> str:
    """Airflow's own metadata database (SQLite in a temporary AIRFLOW_HOME), migrated once."""
    ensure_airflow_db()
    return _AIRFLOW_HOME


@pytest.fixture(scope="session")
def airflow_api(template_db: str, airflow_db: str, tmp_path_factory: pytest.TempPathFactory):
    """A real `airflow api-server` on a loopback port for the whole session (tests/airflow_server.py):
    this repo's plugins and dags, SimpleAuthManager users `admin` and `viewer` with known passwords,
    over its own migrated warehouse (`.database_url`). `.token(user)`, `.headers(user)`, `.base_url`."""
    from airflow_server import start_airflow_api

    name = f"wirewatch_test_{os.getpid()}_api_server"
    _admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _admin_execute(f"CREATE DATABASE {name} TEMPLATE {template_db}")
    try:
        with start_airflow_api(database_url=_url_for(name), airflow_home=airflow_db,
                               workdir=tmp_path_factory.mktemp("airflow-api-server")) as api:
            yield api
    finally:
        _admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
