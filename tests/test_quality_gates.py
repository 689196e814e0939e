"""The data-quality gates: each check of wirewatch.warehouse.checks passes on a clean load and
fails, naming the count and the ids, on a row that breaks its rule; in the real news_ingest DAG a
failing check fails its own task only, the load stays, and the next run still ingests."""

from __future__ import annotations

from datetime import timedelta

import psycopg2
import pytest
from conftest import scalar
from test_monitor import run_stages

from wirewatch.demo import import_demo_feeds, load_dag_module
from wirewatch.warehouse.checks import CHECKS, run_checks

# check -> SQL that breaks its rule on a loaded warehouse, and the id the failure must name
BREAKAGES = {
    "articles_have_a_feed": ("INSERT INTO articles (url, canonical_url, status) VALUES "
                             "('http://127.0.0.1:9/orphan', 'http://127.0.0.1:9/orphan', 'rejected') RETURNING id"),
    "extracted_articles_have_text": ("UPDATE articles SET text = '  ' WHERE id = (SELECT min(id) FROM articles "
                                     "WHERE status = 'extracted') RETURNING id"),
    "extracted_articles_in_a_story": ("UPDATE articles SET story_id = NULL WHERE id = (SELECT max(id) FROM articles "
                                      "WHERE status = 'extracted') RETURNING id"),
    "topic_links_in_the_taxonomy": ("UPDATE topics SET active = false WHERE id = (SELECT min(topic_id) FROM "
                                    "article_topics) RETURNING (SELECT min(article_id) FROM article_topics t "
                                    "WHERE t.topic_id = topics.id) || ':' || id"),
    "no_publication_date_in_the_future": ("UPDATE articles SET published_at = now() + interval '3 days' WHERE id = "
                                          "(SELECT min(id) FROM articles WHERE status = 'extracted') RETURNING id"),
    "no_feed_silently_stuck": ("UPDATE feeds SET last_polled_at = now() - 4 * poll_interval, "
                               "next_poll_at = now() - 3 * poll_interval WHERE id = (SELECT min(id) FROM feeds "
                               "WHERE enabled) RETURNING id"),
}


@pytest.fixture
def loaded(settings, corpus):
    import_demo_feeds(settings, corpus.base_url)
    run_stages(settings, "manual__gates")
    return settings


def test_every_check_has_a_breakage_test():
    assert set(BREAKAGES) == set(CHECKS)


def test_a_clean_load_passes_every_check(loaded):
    with psycopg2.connect(loaded.database_url) as conn:
        results = run_checks(conn)
    assert all(passed for passed, _ in results.values()), results
    assert results["articles_have_a_feed"][1] == "0 articles without a feed"


@pytest.mark.parametrize("check", sorted(BREAKAGES))
def test_a_broken_row_fails_its_check_with_count_and_id(loaded, db, check):
    with db.cursor() as cur:
        cur.execute(BREAKAGES[check])
        broken_id = str(cur.fetchone()[0])
    with psycopg2.connect(loaded.database_url) as conn:
        results = run_checks(conn)
    passed, detail = results[check]
    count, ids = detail.split(" ", 1)[0], detail.split(": ", 1)[1].split(", ")
    assert passed is False and int(count) >= 1 and broken_id in ids, detail
    assert all(ok for name, (ok, _) in results.items() if name != check), results


@pytest.mark.pipeline
def test_a_failing_check_fails_its_task_keeps_the_data_and_blocks_no_run(settings, corpus, airflow_db, db):
    import_demo_feeds(settings, corpus.base_url)
    dag = load_dag_module().news_ingest_dag
    for task in dag.tasks:
        task.retry_delay = timedelta(seconds=1)
    with db.cursor() as cur:  # an extracted article with no text, as a broken extractor would leave
        cur.execute("INSERT INTO stories DEFAULT VALUES RETURNING id")
        cur.execute("INSERT INTO articles (url, canonical_url, status, text, story_id, deduped_at, tagged_at, "
                    "taxonomy_version, feed_id) VALUES ('http://127.0.0.1:9/empty', 'http://127.0.0.1:9/empty', "
                    "'extracted', '', %s, now(), now(), 'x', (SELECT min(id) FROM feeds)) RETURNING id",
                    (cur.fetchone()[0],))
        broken = cur.fetchone()[0]
    first = dag.test()
    states = {ti.task_id: str(ti.state) for ti in first.get_task_instances()}
    assert str(first.state).endswith("failed")
    assert states["check_extracted_articles_have_text"].endswith("failed")
    assert all(state.endswith("success") for task, state in states.items()
               if task != "check_extracted_articles_have_text"), states
    loaded = scalar(db, "SELECT count(*) FROM articles WHERE status = 'extracted' AND id <> %s", (broken,))
    assert loaded >= 30  # the good data stays

    with db.cursor() as cur:  # the next run ingests what is new
        cur.execute("UPDATE feeds SET next_poll_at = now(), etag = NULL, last_modified = NULL, body_hash = NULL")
        cur.execute("DELETE FROM articles WHERE id = (SELECT max(id) FROM articles WHERE status = 'extracted' "
                    "AND id <> %s AND story_id IN (SELECT id FROM stories WHERE articles = 1))", (broken,))
    second = dag.test()
    assert {ti.task_id: str(ti.state) for ti in second.get_task_instances()}["report_run"].endswith("success")
    assert scalar(db, "SELECT count(*) FROM articles WHERE status = 'extracted' AND id <> %s", (broken,)) == loaded
