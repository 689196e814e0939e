"""The tag and dedup steps hand their CPU work to pools of worker processes when there is more
than one batch of it. The pooled path must store exactly what the in-process path stores: the
same topics and actors per article, the same stories."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import query
from test_dedup_stage import add_article, variant

from wirewatch.dedup import runner as dedup_runner
from wirewatch.dedup.runner import dedup_articles
from wirewatch.tagging import runner as tagging_runner
from wirewatch.tagging.runner import tag_articles

TEXTS = Path(__file__).parent / "fixtures" / "tagging-real" / "texts.jsonl.gz"
T0 = datetime(2024, 5, 1, tzinfo=timezone.utc)


@pytest.fixture
def real_articles(db):
    """Real English and German news texts, each also as a copy on a second outlet, plus copies of
    the seed story: exact copies, near copies and distinct stories."""
    with gzip.open(TEXTS, "rt", encoding="utf-8") as lines:
        pages = [json.loads(line) for line in lines][:60]
    ids = []
    for n, page in enumerate(pages):
        for outlet in ("a", "b"):
            text = page["text"] if outlet == "a" else f"Reported by our partners.\n{page['text']}"
            ids.append(add_article(db, f"https://{outlet}.example/{n}", text, outlet=outlet, title=page["title"],
                                   published=T0 + timedelta(minutes=n)))
    for k in range(20):
        ids.append(add_article(db, f"https://c{k}.example/seed", variant(k), outlet=f"c{k}",
                               title="US blames Russia", published=T0 + timedelta(hours=2, minutes=k)))
    with db.cursor() as cur:
        cur.execute("UPDATE articles SET language = CASE WHEN url LIKE '%%.example/%%' AND text ~ ' (der|die|und) '"
                    " THEN 'de' ELSE 'en' END")
    db.commit()
    return ids


def stored(db) -> tuple[dict, dict, set]:
    topics = {}
    for article_id, topic_ids in query(db, "SELECT article_id, array_agg(topic_id ORDER BY topic_id) "
                                           "FROM article_topics GROUP BY article_id"):
        topics[article_id] = topic_ids
    actors = dict(query(db, "SELECT article_id, array_agg(actor_id ORDER BY actor_id) FROM article_actors "
                            "GROUP BY article_id"))
    stories = {frozenset(ids) for (ids,) in query(db, "SELECT array_agg(id) FROM articles GROUP BY story_id")}
    return topics, actors, stories


def run_tag_and_dedup(settings) -> tuple[dict, dict]:
    return (tag_articles(run_id="test", settings=settings),
            dedup_articles(run_id="test", settings=settings))


def reset(db) -> None:
    with db.cursor() as cur:
        cur.execute("DELETE FROM article_topics; DELETE FROM article_actors; DELETE FROM article_bands")
        cur.execute("UPDATE articles SET tagged_at = NULL, taxonomy_version = NULL, story_id = NULL, "
                    "deduped_at = NULL, duplicate_of = NULL, lsh_bands = NULL")
        cur.execute("DELETE FROM stories")
    db.commit()


def test_pooled_tag_and_dedup_store_what_the_in_process_path_stores(settings, db, real_articles, monkeypatch):
    in_process = run_tag_and_dedup(settings)  # 140 articles: one batch each, no pool
    expected = stored(db)
    reset(db)
    monkeypatch.setattr(tagging_runner, "TAG_BATCH", 16)
    monkeypatch.setattr(dedup_runner, "DEDUP_BATCH", 16)
    pooled = run_tag_and_dedup(settings)
    assert pooled == in_process
    assert in_process[0]["articles_tagged"] == len(real_articles)
    assert in_process[0]["topic_links"] > 0 and in_process[0]["actor_links"] > 0
    assert in_process[1]["articles_deduped"] == len(real_articles)
    assert in_process[1]["syndicated_copies"] > 0
    assert stored(db) == expected
