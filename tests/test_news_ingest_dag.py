"""The real news_ingest DAG, run in-process with dag.test(), over the demo corpus on loopback.

Expected outcomes come from the corpus's hand-written ground truth: the `_expected.yaml` files
in demo/corpus and in each outlet's folder.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import psycopg2
import pytest
import yaml

from conftest import query, scalar
from wirewatch.demo import CORPUS_DIR, CorpusServer, import_demo_feeds, load_dag_module

pytestmark = pytest.mark.pipeline


def load_expected() -> dict[str, list[dict]]:
    expected: dict[str, list[dict]] = {"feeds": [], "articles": []}
    for path in sorted(CORPUS_DIR.rglob("_expected.yaml")):
        part = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key in expected:
            expected[key].extend(part.get(key) or [])
    return expected


EXPECTED = load_expected()
# kind same-article: a link whose canonical URL is another listed page's (an AMP variant), so it
# never gets an article row of its own; the rest are stored under their own path.
SAME_ARTICLE = [a for a in EXPECTED["articles"] if a["kind"] == "same-article"]
ARTICLES = [a for a in EXPECTED["articles"] if a["kind"] != "same-article"]
SEED_STORY = "wire-seed"  # the story of ../shared/seed-article.txt, syndicated to every demo outlet
# kind flagged: kept, with the quality flags listed in its `flags`.
STATUS_OF_KIND = {"article": {"extracted"}, "flagged": {"extracted"}, "not-article": {"rejected"},
                  "dead": {"failed", "queued"}}
JUNK = ("Subscribe", "₹", "free articles")
TABLES = ("feeds", "articles", "feed_entries", "stories", "topics", "article_topics", "actors", "article_actors")


@pytest.fixture
def dag(airflow_db):
    dag = load_dag_module().news_ingest_dag
    for task in dag.tasks:  # keep retries, but do not wait 30 s for them in tests
        task.retry_delay = timedelta(seconds=1)
        task.retry_exponential_backoff = False
    return dag


@pytest.fixture
def run_dag(dag, settings):
    def run():
        dag_run = dag.test()
        assert str(dag_run.state).endswith("success"), dag_run.state
        return dag_run
    return run


@pytest.fixture
def corpus_feeds(settings, corpus):
    import_demo_feeds(settings, corpus.base_url)
    return corpus


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3].split("?")[0].split("#")[0]


def articles_by_path(db) -> dict[str, dict]:
    cols = ("url", "status", "failure_reason", "story_id", "duplicate_of", "text", "attempts", "id", "quality_flags")
    rows = query(db, f"SELECT {', '.join(cols)} FROM articles")
    return {path_of(row[0]): dict(zip(cols, row)) for row in rows}


def snapshot(db) -> dict:
    """Row counts of every table plus the per-article outcome: what a re-run must not change."""
    counts = {table: scalar(db, f"SELECT count(*) FROM {table}") for table in TABLES}
    outcomes = query(db, "SELECT canonical_url, status, failure_reason, story_id, duplicate_of, text_hash "
                         "FROM articles ORDER BY canonical_url")
    topics = query(db, "SELECT article_id, topic_id, score FROM article_topics ORDER BY 1, 2")
    return {"counts": counts, "outcomes": outcomes, "topics": topics}


def test_first_run_loads_the_corpus_exactly(corpus_feeds, run_dag, db):
    dag_run = run_dag()
    found = articles_by_path(db)
    assert set(found) == {a["path"] for a in ARTICLES}, "every listed article is in the warehouse, once"

    for article in ARTICLES:
        row = found[article["path"]]
        assert row["status"] in STATUS_OF_KIND[article["kind"]], (article["path"], row["status"],
                                                                   row["failure_reason"])
        if article["kind"] in ("not-article", "dead"):
            assert row["failure_reason"], f"{article['path']} has no recorded reason"
        if row["status"] == "extracted":
            assert set(article.get("flags", [])) <= set(row["quality_flags"]), article["path"]
            assert "maybe_not_article" not in row["quality_flags"] or "maybe_not_article" in article.get("flags", [])

    # Copies of one story share one cluster; different stories never do.
    story_of_key: dict[str, int] = {}
    for article in (a for a in ARTICLES if a["kind"] in ("article", "flagged")):
        story_id = found[article["path"]]["story_id"]
        assert story_id is not None
        assert story_of_key.setdefault(article["story"], story_id) == story_id, article["path"]
    assert len(set(story_of_key.values())) == len(story_of_key)
    assert scalar(db, "SELECT count(*) FROM stories") == len(story_of_key)

    for article in (a for a in ARTICLES if a.get("exact_copy_of")):
        # Whichever of the two was stored first is the original (feeds are polled concurrently).
        copy, original = found[article["path"]], found[article["exact_copy_of"]]
        assert (copy["duplicate_of"], original["duplicate_of"]) in ((original["id"], None), (None, copy["id"]))

    # A link that canonicalises to a listed page: no row of its own; its feed lists that article.
    assert SAME_ARTICLE, "the corpus has no same-article link (the AMP page)"
    for link in SAME_ARTICLE:
        assert link["path"] not in found
        article = found[link["same_article_as"]]
        assert article["status"] == "extracted", link["same_article_as"]
        listed_by = {path_of(url) for (url,) in query(db, "SELECT f.url FROM feed_entries e JOIN feeds f "
                                                         "ON f.id = e.feed_id WHERE e.article_id = %s",
                                                      (article["id"],))}
        folder = link["path"].split("/")[1]
        assert any(feed.split("/")[1] == folder for feed in listed_by), (link["path"], listed_by)
        # One feed_entries row per (feed, article): the link's own guid, if kept, points there too.
        for (article_id,) in query(db, "SELECT article_id FROM feed_entries WHERE entry_id = %s",
                                   (link["entry_id"],)):
            assert article_id == article["id"], link["path"]

    seed_copies = [found[a["path"]] for a in ARTICLES if a["story"] == SEED_STORY]
    assert len(seed_copies) >= 4
    for copy in seed_copies:
        assert "Russia alone" in copy["text"]
        assert not [junk for junk in JUNK if junk in copy["text"]], copy["url"]
    seed_story = seed_copies[0]["story_id"]
    seed_topics = {r[0] for r in query(db, "SELECT DISTINCT t.topic_id FROM article_topics t JOIN articles a "
                                           "ON a.id = t.article_id WHERE a.story_id = %s", (seed_story,))}
    # Not missile-strikes or nuclear-posture: the story only mentions them (issue 23).
    assert {"troop-movements", "mercenary-recruitment"} <= seed_topics
    assert scalar(db, "SELECT outlets FROM report_story_clusters WHERE story_id = %s", (seed_story,)) \
        == len({a["outlet"] for a in ARTICLES if a["story"] == SEED_STORY})

    # Broken feeds are recorded with a reason; every other feed polled fine.
    feed_state = {path_of(url): (status, error) for url, status, error in
                  query(db, "SELECT url, last_status, last_error FROM feeds")}
    for feed in EXPECTED["feeds"]:
        status, error = feed_state[feed["path"]]
        if feed["format"] in ("broken", "missing"):
            assert status == "error" and error, feed["path"]
        else:
            assert status == "ok", (feed["path"], error)
    missing = next(f["path"] for f in EXPECTED["feeds"] if f["format"] == "missing")
    assert feed_state[missing][1] == "HTTP 404"

    stats: dict[str, Counter] = {}  # summed over shards (fetch tasks; extract_while_fetching and extract)
    for stage, counts in query(db, "SELECT stage, counts FROM run_stats WHERE run_id = %s", (dag_run.run_id,)):
        stats.setdefault(stage, Counter()).update({k: v for k, v in counts.items() if isinstance(v, int)})
    assert set(stats) == {"poll", "fetch", "extract", "dedup", "tag", "events"}
    assert stats["poll"]["entries_seen"] == sum(f["entries"] for f in EXPECTED["feeds"])
    assert stats["extract"]["extracted"] == sum(a["kind"] in ("article", "flagged") for a in ARTICLES)
    assert stats["extract"]["flagged_maybe_not_article"] == sum("maybe_not_article" in a.get("flags", []) for a in ARTICLES)
    # Topics with an ACLED type are counted in ACLED's categories: every story once per type and day.
    acled = query(db, "SELECT acled_event_type, sum(stories) FROM report_acled_daily GROUP BY 1 ORDER BY 1")
    assert acled and ("Explosions/Remote violence",) in [(t,) for t, _ in acled]
    assert sum(n for _, n in acled) <= scalar(db, "SELECT count(DISTINCT story_id) FROM report_story_topics") * 6
    # Event facts from the evidence: places resolved to countries, casualty figures with qualifiers.
    assert ("UA",) in query(db, "SELECT DISTINCT country FROM report_events")
    assert scalar(db, "SELECT count(*) FROM article_topics WHERE killed IS NOT NULL") > 0
    assert stats["tag"]["event_facts"] > 0
    # Every page worth extracting is kept for reprocessing.
    assert scalar(db, "SELECT count(*) FROM raw_pages") == stats["fetch"]["fetched"]


def test_second_run_adds_nothing(corpus_feeds, run_dag, db):
    run_dag()
    before = snapshot(db)
    query(db, "UPDATE feeds SET next_poll_at = now() RETURNING id")  # poll everything again
    run_dag()
    assert snapshot(db) == before


def test_task_killed_half_way_is_retried_without_loss_or_duplicates(settings, dag, db):
    """The fetch task's database session is killed in the middle of its batch: Airflow retries
    the task, which finishes the batch. The result equals an undisturbed run."""
    kills = []

    class KillingCorpus(CorpusServer):
        def respond(self, path):
            article_requests = [p for p in self.requests if p.endswith(".html")]
            if len(article_requests) == len(ARTICLES) // 2 and not kills:
                with psycopg2.connect(settings.database_url) as conn, conn.cursor() as cur:
                    cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND application_name = 'wirewatch' "
                                "AND pid <> pg_backend_pid()")
                    kills.extend(cur.fetchall())
            return super().respond(path)

    with KillingCorpus() as corpus:
        import_demo_feeds(settings, corpus.base_url)
        dag_run = dag.test()
    assert kills, "the fault was never injected"
    assert str(dag_run.state).endswith("success")
    tries = query(db, "SELECT 1")  # the warehouse is reachable again
    assert tries == [(1,)]

    found = articles_by_path(db)
    assert set(found) == {a["path"] for a in ARTICLES}
    for article in ARTICLES:
        row = found[article["path"]]
        assert row["status"] in STATUS_OF_KIND[article["kind"]], article["path"]
        # The killed transaction was rolled back: no article was counted as attempted twice.
        assert row["attempts"] == 1, (article["path"], row["attempts"])
    stories = {found[a["path"]]["story_id"] for a in ARTICLES if a["kind"] == "article"}
    assert len(stories) == len({a["story"] for a in ARTICLES if a["kind"] == "article"})
