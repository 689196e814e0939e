"""The real wirewatch_retag DAG, run in-process with dag.test(): editing the taxonomy and re-running
re-tags stored articles without refetching, and the warehouse records which version tagged what."""

from __future__ import annotations

import shutil

import psycopg2
import pytest
from conftest import query, scalar

from wirewatch.demo import load_dag_module
from wirewatch.settings import REPO_ROOT
from wirewatch.tagging.runner import tag_articles

pytestmark = pytest.mark.pipeline

TEXT = ("Engineers in the capital reported that the new bridge was opened to traffic on Monday. "
        "City officials said the flotilla of tugboats would be celebrated at the harbour festival.")


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    for name in ("topics.yaml", "actors.yaml", "feeds.yaml"):
        shutil.copy(REPO_ROOT / "config" / name, tmp_path / name)
    monkeypatch.setenv("WIREWATCH_CONFIG_DIR", str(tmp_path))
    return tmp_path


def test_editing_the_taxonomy_and_running_retag_retags_stored_articles(settings, config_dir, db, airflow_db):
    with psycopg2.connect(settings.database_url) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO articles (url, canonical_url, status, title, text, language) "
                    "VALUES ('https://a.example/1', 'https://a.example/1', 'extracted', 'Harbour festival', %s, 'en'),"
                    "       ('https://a.example/2', 'https://a.example/2', 'extracted', 'Fête du port', %s, 'fr')",
                    (TEXT, TEXT))
    first = tag_articles(run_id="r1")
    # Only the phrase lists of an article's language apply: French gets no topic, and is counted.
    assert first["articles_tagged"] == 2 and first["articles_untagged_language"] == 1
    assert first["reasons"] == {"untagged: language fr": 1}
    old_version = scalar(db, "SELECT DISTINCT taxonomy_version FROM articles")
    assert scalar(db, "SELECT count(*) FROM article_topics") == 0
    # An analyst adds a topic beyond armed conflict to the taxonomy file, so switches its
    # relevance gate off (min_sentences: 0).
    topics = config_dir / "topics.yaml"
    topics.write_text(topics.read_text().replace("  min_sentences: 2\n", "  min_sentences: 0\n")
                      .replace("  min_share: 0.1\n", "  min_share: 0\n") + """
  - id: harbour-events
    label: Harbour events
    any: [flotilla, tugboat]
    near: [harbour, festival]
    min_score: 1
""")
    dag = load_dag_module(REPO_ROOT / "dags" / "wirewatch_retag.py").wirewatch_retag_dag
    run = dag.test()
    assert str(run.state).endswith("success")
    new_version = scalar(db, "SELECT DISTINCT taxonomy_version FROM articles")
    assert new_version != old_version
    assert query(db, "SELECT topic_id, taxonomy_version FROM article_topics") == [("harbour-events", new_version)]
    assert {row[0] for row in query(db, "SELECT version FROM taxonomy_versions")} == {old_version, new_version}
    # Nothing was fetched or extracted again.
    assert scalar(db, "SELECT count(*) FROM raw_pages") == 0
    assert scalar(db, "SELECT DISTINCT status FROM articles") == "extracted"


def test_editing_the_gazetteer_also_makes_articles_due(settings, config_dir, db):
    with psycopg2.connect(settings.database_url) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO articles (url, canonical_url, status, title, text) "
                    "VALUES ('https://a.example/2', 'https://a.example/2', 'extracted', 'Harbour', %s)", (TEXT,))
    tag_articles(run_id="r1")
    assert tag_articles(run_id="r2")["articles_tagged"] == 0
    actors = config_dir / "actors.yaml"
    actors.write_text(actors.read_text() + "  - {id: harbour-city, name: Harbour City, kind: place, aliases: [capital]}\n")
    assert tag_articles(run_id="r3")["articles_tagged"] == 1
    assert query(db, "SELECT actor_id FROM article_actors") == [("harbour-city",)]
