"""Every example query of docs/warehouse.md runs, as the analysts' role wirewatch_reader, against
the warehouse an end-to-end run of the real news_ingest DAG loads, and returns rows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import scalar

from wirewatch.demo import import_demo_feeds, load_dag_module
from wirewatch.settings import REPO_ROOT

pytestmark = pytest.mark.pipeline

EXAMPLES = re.findall(r"```sql\n(.*?)```", (REPO_ROOT / "docs" / "warehouse.md").read_text(encoding="utf-8")
                      .split("## Example queries", 1)[1], re.S)
# Every stored time, moved together: the demo corpus dates from 2024, the examples ask about today.
TIMES = {"articles": ("published_at", "feed_published_at", "first_seen_at", "fetched_at", "extracted_at"),
         "stories": ("first_seen_at", "last_seen_at"), "article_topics": ("event_date",)}


def redate_to_now(db) -> None:
    """Shift every time so that the newest article was seen an hour ago, as in a live deployment."""
    newest = scalar(db, "SELECT max(coalesce(published_at, feed_published_at, first_seen_at)) FROM articles")
    shift = scalar(db, "SELECT now() - interval '1 hour' - %s", (newest,))
    with db.cursor() as cur:
        for table, columns in TIMES.items():
            cur.execute(f"UPDATE {table} SET " + ", ".join(f"{c} = {c} + %(shift)s" for c in columns),
                        {"shift": shift if table != "article_topics" else timedelta(days=shift.days)})


def test_the_docs_have_examples():
    assert len(EXAMPLES) >= 8


def test_every_example_query_returns_rows_for_the_reader(settings, corpus, airflow_db, db):
    import_demo_feeds(settings, corpus.base_url)
    dag = load_dag_module().news_ingest_dag
    assert str(dag.test().state).endswith("success")
    redate_to_now(db)
    with db.cursor() as cur:
        cur.execute("SET ROLE wirewatch_reader")
        for example in EXAMPLES:
            cur.execute(example)
            assert cur.fetchall(), f"no rows from:\n{example}"
        cur.execute("RESET ROLE")
