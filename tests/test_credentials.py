"""Warehouse credentials: DAG tasks take the warehouse from the Airflow Connection
`wirewatch_warehouse` when it exists (else WIREWATCH_DATABASE_URL), and no error or log line of
the CLI or the library ever shows a password."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import psycopg2
import psycopg2.extensions
import pytest

from wirewatch import cli
from wirewatch.db import WarehouseConnectError, connect, ensure_database, redact_url
from wirewatch.demo import load_dag_module
from wirewatch.settings import REPO_ROOT, WAREHOUSE_CONN_ID, airflow_warehouse_url, task_settings

SECRET = "s3cret-Pa55"
UNREACHABLE = f"postgresql://u:{SECRET}@127.0.0.1:1/x"
CONN_VAR = f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}"


def current_database(url: str) -> str:
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT current_database()")
        return cur.fetchone()[0]


def airflow_connection_json(db_url: str, **extra) -> str:
    """The test database as an Airflow Connection (JSON form). The server trusts loopback, so the
    password is carried along but never checked."""
    params = psycopg2.extensions.parse_dsn(db_url)
    return json.dumps({"conn_type": "postgres", "host": params.get("host", "127.0.0.1"),
                       "port": int(params.get("port", 5432)), "login": params.get("user", "postgres"),
                       "password": SECRET, "schema": params["dbname"], "extra": extra})


# -- the Airflow Connection -------------------------------------------------------------------------

def test_tasks_take_the_warehouse_from_the_airflow_connection(db_url, monkeypatch):
    monkeypatch.setenv(CONN_VAR, airflow_connection_json(db_url, connect_timeout=5))
    monkeypatch.setenv("WIREWATCH_DATABASE_URL", UNREACHABLE)  # would fail: the connection wins
    settings = task_settings()
    assert current_database(settings.database_url) == psycopg2.extensions.parse_dsn(db_url)["dbname"]
    assert f"password={SECRET}" in settings.database_url and "connect_timeout=5" in settings.database_url
    # Airflow's secrets masker now hides the password (and the whole DSN) in task logs.
    from airflow.sdk.log import redact

    assert SECRET not in redact(f"connecting with {settings.database_url}")
    assert SECRET not in redact(f"password is {SECRET}")


def test_the_connection_may_be_given_as_a_uri(db_url, monkeypatch):
    params = psycopg2.extensions.parse_dsn(db_url)
    uri = (f"postgres://{params.get('user', 'postgres')}:{SECRET}@{params.get('host', '127.0.0.1')}:"
           f"{params.get('port', 5432)}/{params['dbname']}")
    monkeypatch.setenv(CONN_VAR, uri)
    monkeypatch.delenv("WIREWATCH_DATABASE_URL", raising=False)
    assert current_database(task_settings().database_url) == params["dbname"]


def test_without_the_connection_tasks_use_the_environment(db_url, monkeypatch):
    monkeypatch.delenv(CONN_VAR, raising=False)
    monkeypatch.setenv("WIREWATCH_DATABASE_URL", db_url)
    assert airflow_warehouse_url() is None
    assert task_settings().database_url == db_url


@pytest.mark.pipeline
def test_a_dag_run_uses_the_connection(settings, db_url, db, airflow_db, monkeypatch):
    monkeypatch.setenv(CONN_VAR, airflow_connection_json(db_url))
    monkeypatch.setenv("WIREWATCH_DATABASE_URL", UNREACHABLE)
    dag = load_dag_module(REPO_ROOT / "dags" / "wirewatch_retag.py").wirewatch_retag_dag
    run = dag.test(run_conf={"all": True})
    assert str(run.state).endswith("success")
    with db.cursor() as cur:  # the tag stage recorded its counts in the connection's database
        cur.execute("SELECT count(*) FROM run_stats WHERE run_id = %s", (run.run_id,))
        assert cur.fetchone()[0] >= 1


# -- redaction --------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, expected", [
    ("postgresql://u:s3cret@127.0.0.1:1/x", "postgresql://u:***@127.0.0.1:1/x"),
    ("postgres://user:p%40ss%2Fw@db.example:5432/wh?sslmode=require",
     "postgres://user:***@db.example:5432/wh?sslmode=require"),
    ("postgresql://u:pa/ss@h/x", "postgresql://u:***@h/x"),
    ("postgresql://u@h/x?password=s3cret&sslmode=require", "postgresql://u@h/x?password=***&sslmode=require"),
    ("host=h port=1 user=u password=s3cret dbname=x", "host=h port=1 user=u password=*** dbname=x"),
    ("host=h password = 's3 cr\\'et' dbname=x", "host=h password = *** dbname=x"),
    ("PASSWORD=s3cret host=h", "PASSWORD=*** host=h"),
    # nothing to hide: unchanged
    ("postgresql://postgres@127.0.0.1:5432/wirewatch", "postgresql://postgres@127.0.0.1:5432/wirewatch"),
    ("postgresql://127.0.0.1:5432/wirewatch", "postgresql://127.0.0.1:5432/wirewatch"),
    ("host=h user=u dbname=x", "host=h user=u dbname=x"),
])
def test_redact_url(url, expected):
    assert redact_url(url) == expected


def test_redact_url_finds_urls_in_messages_and_the_passwords_a_driver_quotes():
    message = 'cannot reach "postgresql://u:s3cret@h/x" (tried postgresql://v:other@h/y)'
    assert redact_url(message) == 'cannot reach "postgresql://u:***@h/x" (tried postgresql://v:***@h/y)'
    dsn = "user=u password=s3cret bogus"
    quoted = 'invalid dsn: missing "=" after "s3cret" in connection info string'
    assert "s3cret" not in redact_url(quoted, dsn)
    assert redact_url("p%40ss and p@ss", "postgresql://u:p%40ss@h/x") == "*** and ***"


@pytest.mark.parametrize("url", [
    UNREACHABLE,
    f"host=127.0.0.1 port=1 user=u password={SECRET} dbname=x",
    f"postgresql://u:{SECRET}@[::1/x",  # malformed: libpq quotes the whole URI in its error
    f"user=u password={SECRET} bogus",  # malformed: libpq quotes the word after the password
])
def test_connection_errors_carry_no_password(url):
    with pytest.raises(WarehouseConnectError) as raised:
        with connect(url):
            pass
    assert SECRET not in str(raised.value) and raised.value.__context__ is None
    with pytest.raises(psycopg2.OperationalError) as raised:  # what callers catch, as before
        ensure_database(url)
    assert SECRET not in str(raised.value)


def test_a_database_that_does_not_exist_is_still_created(db_url):
    url = psycopg2.extensions.make_dsn(db_url, dbname=psycopg2.extensions.parse_dsn(db_url)["dbname"] + "_new")
    try:
        assert ensure_database(url) is True and ensure_database(url) is False
    finally:
        with connect(psycopg2.extensions.make_dsn(db_url, dbname="postgres"), autocommit=True) as conn, \
                conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {psycopg2.extensions.parse_dsn(url)['dbname']}")


@pytest.mark.parametrize("argv", [["feeds", "list"], ["db", "migrate"], ["-v", "summary"]])
def test_the_cli_reports_an_unreachable_warehouse_in_one_line_without_the_password(argv, monkeypatch, capsys,
                                                                                     caplog):
    monkeypatch.setenv("WIREWATCH_DATABASE_URL", UNREACHABLE)
    with caplog.at_level(logging.DEBUG):
        assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert SECRET not in out + err + caplog.text
    assert err.count("\n") == 1 and err.startswith(
        "error: cannot use the warehouse at postgresql://u:***@127.0.0.1:1/x: connection to server at "
        '"127.0.0.1", port 1 failed: Connection refused')


def test_the_wirewatch_command_prints_no_password(tmp_path):
    env = {**os.environ, "WIREWATCH_DATABASE_URL": UNREACHABLE}
    done = subprocess.run([sys.executable, "-m", "wirewatch.cli", "feeds", "list"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert SECRET not in done.stdout + done.stderr
    assert done.stdout == "" and done.stderr.count("\n") == 1 and "Connection refused" in done.stderr
