"""The analysts' role: `wirewatch_reader` reads every report_* view and nothing else (as the
postgres superuser with SET ROLE, so the test needs no login of its own)."""

from __future__ import annotations

import psycopg2
import psycopg2.errors
import pytest
from conftest import query

from wirewatch import migrations
from wirewatch.settings import REPO_ROOT

RAW_TABLES = ["articles", "raw_pages", "feeds", "stories", "article_topics", "article_actors", "fetch_events",
              "run_stats", "monitor_actions", "article_bands", "schema_migrations"]
WRITES = ["INSERT INTO feeds (url, name) VALUES ('http://x.example/f', 'x')",
          "UPDATE feeds SET name = 'x'", "DELETE FROM articles",
          "CREATE TABLE analyst_scratch (id int)", "CREATE VIEW analyst_view AS SELECT 1 AS one",
          "DROP VIEW report_stories", "ALTER VIEW report_stories RENAME TO mine",
          "TRUNCATE articles", "SELECT wirewatch_grant_reader()"]


@pytest.fixture
def reader(db_url):
    conn = psycopg2.connect(db_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SET ROLE wirewatch_reader")
    yield conn
    conn.close()


def report_views(conn) -> list[str]:
    return [row[0] for row in query(conn, "SELECT viewname FROM pg_views WHERE schemaname = 'public' "
                                          "AND viewname LIKE 'report\\_%' ORDER BY 1")]


def test_the_role_cannot_log_in(db):
    assert query(db, "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'wirewatch_reader'") == [(False,)]


def test_every_report_view_is_readable(reader):
    views = report_views(reader)
    assert len(views) >= 14
    for view in views:
        with reader.cursor() as cur:
            cur.execute(f"SELECT * FROM {view} LIMIT 1")  # raises if not granted


@pytest.mark.parametrize("table", RAW_TABLES + ["story_members", "site_boilerplate"])
def test_raw_tables_are_closed(reader, table):
    with pytest.raises(psycopg2.errors.InsufficientPrivilege), reader.cursor() as cur:
        cur.execute(f"SELECT 1 FROM {table} LIMIT 1")


@pytest.mark.parametrize("statement", WRITES)
def test_nothing_can_be_changed(reader, statement):
    with pytest.raises((psycopg2.errors.InsufficientPrivilege, psycopg2.errors.WrongObjectType)), \
            reader.cursor() as cur:
        cur.execute(statement)


def test_a_view_added_by_a_later_migration_is_granted(db_url, db, tmp_path):
    for migration in (REPO_ROOT / "sql").glob("*.sql"):
        (tmp_path / migration.name).write_text(migration.read_text())
    (tmp_path / "9999_later_view.sql").write_text(
        "CREATE VIEW report_later AS SELECT count(*) AS n FROM articles;\n"
        "CREATE VIEW internal_later AS SELECT count(*) AS n FROM articles;\n")
    with psycopg2.connect(db_url) as conn:
        assert migrations.migrate(conn, tmp_path) == ["9999_later_view"]
    with db.cursor() as cur:
        cur.execute("SET ROLE wirewatch_reader")
        cur.execute("SELECT n FROM report_later")
        assert cur.fetchone() == (0,)
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("SELECT n FROM internal_later")
