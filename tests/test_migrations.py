import shutil
from pathlib import Path

import psycopg2
import pytest

from conftest import query, scalar
from wirewatch import migrations
from wirewatch.settings import REPO_ROOT

VIEWS = {"report_topic_daily", "report_story_clusters", "report_feed_health"}


def test_migrate_applies_everything_once(empty_db_url):
    conn = psycopg2.connect(empty_db_url)
    try:
        applied = migrations.migrate(conn, REPO_ROOT / "sql")
        assert applied == [m.name for m in migrations.discover(REPO_ROOT / "sql")]
        assert migrations.migrate(conn, REPO_ROOT / "sql") == []
        views = {r[0] for r in query(conn, "SELECT table_name FROM information_schema.views")}
        assert VIEWS <= views
    finally:
        conn.close()


def test_migrations_are_idempotent_when_rerun_by_hand(db):
    # Every migration can be replayed on a migrated database without error (IF NOT EXISTS / OR REPLACE).
    for migration in migrations.discover(REPO_ROOT / "sql"):
        query(db, migration.sql + "; SELECT 1")


def test_failing_migration_rolls_back_and_stays_pending(empty_db_url, tmp_path: Path):
    sql_dir = tmp_path / "sql"
    shutil.copytree(REPO_ROOT / "sql", sql_dir)
    (sql_dir / "9999_broken.sql").write_text("CREATE TABLE half_done (id int); SELECT no_such_column FROM feeds;")
    conn = psycopg2.connect(empty_db_url)
    try:
        with pytest.raises(migrations.MigrationError, match="9999_broken failed and was rolled back"):
            migrations.migrate(conn, sql_dir)
        assert scalar(conn, "SELECT to_regclass('half_done') IS NULL")
        assert [m.name for m in migrations.pending(conn, sql_dir)] == ["9999_broken"]
    finally:
        conn.close()


def test_duplicate_versions_are_refused(tmp_path):
    (tmp_path / "0001_a.sql").write_text("SELECT 1")
    (tmp_path / "0001_b.sql").write_text("SELECT 1")
    with pytest.raises(migrations.MigrationError, match="two migrations share version 0001"):
        migrations.discover(tmp_path)
