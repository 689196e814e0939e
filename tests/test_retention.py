"""Retention over a warehouse loaded from the demo corpus: old pages, poll history and LSH band
rows go, in batches; articles, stories and tags stay; the maintenance DAG does it unattended."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import scalar
from test_monitor import run_stages

from wirewatch import retention
from wirewatch.dedup.runner import dedup_articles
from wirewatch.demo import import_demo_feeds, load_dag_module
from wirewatch.settings import REPO_ROOT

KEPT = ("articles", "stories", "article_topics", "article_actors", "feeds")


@pytest.fixture
def loaded(settings, corpus, db):
    import_demo_feeds(settings, corpus.base_url)
    run_stages(settings, "manual__retention")
    # Half the articles were seen two months ago, their pages fetched then.
    with db.cursor() as cur:
        cur.execute("""UPDATE articles SET published_at = now() - interval '60 days',
                                           feed_published_at = now() - interval '60 days'
                       WHERE id % 2 = 0 AND status = 'extracted'""")
        cur.execute("UPDATE raw_pages SET fetched_at = now() - interval '60 days' WHERE article_id % 2 = 0")
        cur.execute("UPDATE fetch_events SET polled_at = now() - interval '60 days'")
    return dataclasses.replace(settings, retention_batch_size=3)  # several batches per kind


def counts(db) -> dict[str, int]:
    return {table: scalar(db, f"SELECT count(*) FROM {table}") for table in KEPT}


def old_band_rows(db) -> int:
    return scalar(db, """SELECT count(*) FROM article_bands b JOIN articles a ON a.id = b.article_id
                         WHERE a.published_at < now() - interval '30 days'""")


def test_prune_removes_what_is_past_retention_and_keeps_the_news(loaded, db):
    before = counts(db)
    old_pages = scalar(db, "SELECT count(*) FROM raw_pages WHERE fetched_at < now() - interval '30 days'")
    recent_bands = scalar(db, "SELECT count(*) FROM article_bands") - old_band_rows(db)
    assert old_band_rows(db) > 0 and old_pages > 3
    removed = retention.prune(loaded)
    assert removed["raw_pages"] == old_pages
    assert removed["fetch_events"] >= 7 and scalar(db, "SELECT count(*) FROM fetch_events") == 0
    assert removed["article_bands"] > 0 and old_band_rows(db) == 0
    assert scalar(db, "SELECT count(*) FROM article_bands") == recent_bands  # the window's bands stay
    assert counts(db) == before
    assert retention.prune(loaded) == {k: 0 for k in removed}  # nothing left: a re-run is a no-op
    assert retention.vacuum(loaded) == list(retention.PRUNED_TABLES)


def test_re_deduplicating_a_pruned_article_indexes_its_bands_again(loaded, db):
    retention.prune(loaded)
    # An article that is not an exact copy (copies share their original's bands, none of their own).
    article = scalar(db, "SELECT min(id) FROM articles WHERE bands_pruned_at IS NOT NULL AND duplicate_of IS NULL")
    with db.cursor() as cur:
        cur.execute("UPDATE articles SET deduped_at = NULL, published_at = now(), feed_published_at = now() "
                    "WHERE id = %s", (article,))
    dedup_articles(run_id="r2", settings=loaded)
    assert scalar(db, "SELECT bands_pruned_at IS NULL FROM articles WHERE id = %s", (article,))
    assert scalar(db, "SELECT count(*) FROM article_bands WHERE article_id = %s", (article,)) > 0


@pytest.mark.pipeline
def test_the_maintenance_dag_prunes_unattended(loaded, db, airflow_db):
    dag = load_dag_module(REPO_ROOT / "dags" / "wirewatch_maintenance.py").wirewatch_maintenance_dag
    before = counts(db)
    run = dag.test()
    assert str(run.state).endswith("success")
    assert old_band_rows(db) == 0 and scalar(db, "SELECT count(*) FROM fetch_events") == 0
    assert counts(db) == before
