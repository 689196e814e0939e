"""The dedup stage against a real warehouse: stories, the LSH index, same-page merges, updates,
story figures, and parallel workers that must never split a story."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg2
import pytest
from conftest import query, scalar

from wirewatch.dedup.runner import dedup_articles
from wirewatch.dedup.similarity import KEYS_PER_TEXT
from wirewatch.extraction.extract import clean_text
from wirewatch.text import text_fingerprint, word_count
from wirewatch.warehouse.stories import DEDUP_CONTEXT

STORY = clean_text((Path(__file__).parent / "fixtures" / "seed-article.txt").read_text()).text
PARAGRAPHS = STORY.split("\n")
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def other_story(n: int) -> str:
    """A distinct made-up story per n (no shared 5-word sequences with the seed or each other)."""
    place, count, unit = f"Sector{n}", 100 + n, f"brigade{n}"
    return "\n".join([
        f"Officials in {place} reported on day {n} that {count} soldiers of the {unit} were redeployed north.",
        f"The {unit} commander told reporters in {place} that {count} vehicles crossed the river at dawn {n}.",
        f"Residents of {place} said convoys number {n} passed through the town for {count} minutes straight.",
        f"Analysts watching {place} called move {n} the largest shift of {unit} since the war began.",
    ])


def variant(k: int) -> str:
    """Copy k of the seed story as outlet k would run it: own intro, a paragraph dropped, or cut short."""
    if k % 3 == 0:
        return "\n".join([f"Desk {k} — our correspondent adds context to the following report."] + PARAGRAPHS)
    if k % 3 == 1:
        return "\n".join(PARAGRAPHS[:k % len(PARAGRAPHS)] + PARAGRAPHS[k % len(PARAGRAPHS) + 1:])
    return "\n".join(PARAGRAPHS[:max(4, len(PARAGRAPHS) - k % 5)])


def add_article(db, url: str, text: str, *, outlet: str = "Outlet", published: datetime = T0,
                page_canonical: str | None = None, fetched_at: datetime | None = None, title: str = "Title") -> int:
    with db.cursor() as cur:
        cur.execute(
            """INSERT INTO articles (url, canonical_url, outlet, status, title, published_at, text, text_hash,
                                     word_count, page_canonical_url, fetched_at, extracted_at)
               VALUES (%s, %s, %s, 'extracted', %s, %s, %s, %s, %s, %s, %s, now()) RETURNING id""",
            (url, url, outlet, title, published, text, text_fingerprint(text), word_count(text), page_canonical,
             fetched_at or published))
        return cur.fetchone()[0]


def dedup(settings, **kwargs) -> dict:
    return dedup_articles(run_id="test", settings=settings, **kwargs)


def story_of(db, article_id: int) -> int | None:
    return scalar(db, "SELECT story_id FROM articles WHERE id = %s", (article_id,))


def test_copies_join_one_story_with_its_figures(settings, db):
    original = add_article(db, "https://wire.example/a", STORY, outlet="Wire", published=T0)
    exact = add_article(db, "https://one.example/a", STORY.upper(), outlet="One", published=T0 + timedelta(hours=1))
    teaser = add_article(db, "https://two.example/a", "\n".join(PARAGRAPHS[:3]), outlet="Two",
                         published=T0 + timedelta(hours=5))
    other = add_article(db, "https://one.example/b", other_story(1), outlet="One", published=T0 + timedelta(hours=2))
    counts = dedup(settings)
    assert counts["articles_deduped"] == 4
    assert (counts["new_stories"], counts["exact_duplicates"], counts["syndicated_copies"]) == (2, 1, 1)
    story = story_of(db, original)
    assert story_of(db, exact) == story_of(db, teaser) == story != story_of(db, other)
    assert scalar(db, "SELECT duplicate_of FROM articles WHERE id = %s", (exact,)) == original
    assert query(db, "SELECT first_seen_at, last_seen_at, articles, outlets, representative_article_id "
                     "FROM stories WHERE id = %s", (story,)) == [(T0, T0 + timedelta(hours=5), 3, 3, original)]
    # The figures the stage keeps agree with the ones the reporting view derives from articles.
    assert query(db, "SELECT first_seen_at, last_seen_at, articles, outlets, representative_article_id "
                     "FROM report_stories ORDER BY story_id") == \
        query(db, "SELECT first_seen_at, last_seen_at, articles, outlets, representative_article_id "
                  "FROM report_story_clusters ORDER BY story_id")
    assert scalar(db, "SELECT count(*) FROM article_bands") == 4 * KEYS_PER_TEXT
    assert scalar(db, "SELECT sum(stories) FROM report_stories_daily") == 2


def test_rerun_changes_nothing(settings, db):
    for n in range(3):
        add_article(db, f"https://one.example/{n}", other_story(n))
    dedup(settings)
    before = query(db, "SELECT id, story_id, deduped_at FROM articles ORDER BY id")
    assert dedup(settings)["articles_deduped"] == 0
    assert query(db, "SELECT id, story_id, deduped_at FROM articles ORDER BY id") == before


def test_a_copy_published_before_its_story_was_found_becomes_the_representative(settings, db):
    late = add_article(db, "https://late.example/a", STORY, outlet="Late", published=T0 + timedelta(hours=3))
    dedup(settings)
    early = add_article(db, "https://early.example/a", "\n".join(PARAGRAPHS[1:]), outlet="Early", published=T0)
    dedup(settings)
    story = story_of(db, late)
    assert story_of(db, early) == story
    assert query(db, "SELECT representative_article_id, first_seen_at FROM stories WHERE id = %s",
                 (story,)) == [(early, T0)]


def test_copies_outside_the_dedup_window_are_separate_stories(settings, db):
    first = add_article(db, "https://a.example/1", STORY, published=T0)
    later = add_article(db, "https://b.example/1", "\n".join(PARAGRAPHS[:-1]),
                        published=T0 + timedelta(days=settings.dedup_window_days + 1))
    dedup(settings)
    assert story_of(db, first) != story_of(db, later)


def test_same_page_by_rel_canonical_is_one_article_with_its_title_history(settings, db):
    page = "https://news.example/world/story-1"
    first = add_article(db, page, STORY, title="First headline", fetched_at=T0)
    with db.cursor() as cur:
        cur.execute("INSERT INTO article_revisions (article_id, revision, url, title, text_hash, word_count) "
                    "SELECT id, 1, url, title, text_hash, word_count FROM articles WHERE id = %s", (first,))
    dedup(settings)
    # The outlet re-published the story under a new URL, its page declaring the first URL canonical.
    edited = STORY + "\nUpdated with the ministry's response."
    moved = add_article(db, "https://news.example/world/story-1-updated", edited, title="Rewritten headline",
                        page_canonical=page + "?utm_source=x", fetched_at=T0 + timedelta(hours=2))
    counts = dedup(settings)
    assert counts["same_page_merged"] == 1
    assert query(db, "SELECT status, merged_into, story_id FROM articles WHERE id = %s", (moved,)) == \
        [("merged", first, None)]
    # The surviving article carries the later fetch and stays in its story, alone.
    assert query(db, "SELECT title, text FROM articles WHERE id = %s", (first,)) == [("Rewritten headline", edited)]
    assert query(db, "SELECT revision, title FROM article_revisions WHERE article_id = %s ORDER BY revision",
                 (first,)) == [(1, "First headline"), (2, "Rewritten headline")]
    assert scalar(db, "SELECT count(*) FROM stories") == 1
    assert scalar(db, "SELECT articles FROM report_stories") == 1


def test_rel_canonical_to_another_site_is_a_syndicated_copy_not_the_same_article(settings, db):
    original = add_article(db, "https://wire.example/story", STORY, outlet="Wire")
    dedup(settings)
    partner = add_article(db, "https://partner.example/copy", STORY + "\nPartner footer line here for sure.",
                          outlet="Partner", page_canonical="https://wire.example/story")
    dedup(settings)
    assert scalar(db, "SELECT status FROM articles WHERE id = %s", (partner,)) == "extracted"
    assert story_of(db, partner) == story_of(db, original)
    assert scalar(db, "SELECT outlets FROM stories") == 2


def test_an_edited_article_stays_one_article_in_its_story(settings, db):
    wire = add_article(db, "https://wire.example/a", STORY, outlet="Wire")
    copy = add_article(db, "https://copy.example/a", "\n".join(PARAGRAPHS[:-1]), outlet="Copy")
    dedup(settings)
    story = story_of(db, copy)
    # Re-extraction after an edit: the copy's text is now mostly new.
    edited = other_story(7)
    with db.cursor() as cur:
        cur.execute("UPDATE articles SET text = %s, text_hash = %s, deduped_at = NULL WHERE id = %s",
                    (edited, text_fingerprint(edited), copy))
    dedup(settings)
    assert story_of(db, copy) == story_of(db, wire) == story
    assert scalar(db, "SELECT count(*) FROM stories") == 1
    assert scalar(db, "SELECT count(*) FROM article_bands WHERE article_id = %s", (copy,)) == KEYS_PER_TEXT
    # Its old bands are gone: the old text's copies no longer find it.
    assert scalar(db, "SELECT count(*) FROM article_bands b JOIN articles a ON a.id = b.article_id "
                      "WHERE a.id = %s AND NOT (b.band_key = ANY(a.lsh_bands))", (copy,)) == 0


def test_a_reextracted_article_alone_in_its_story_keeps_it(settings, db):
    alone = add_article(db, "https://a.example/x", other_story(3))
    dedup(settings)
    story = story_of(db, alone)
    with db.cursor() as cur:
        cur.execute("UPDATE articles SET deduped_at = NULL WHERE id = %s", (alone,))
    assert dedup(settings)["new_stories"] == 1
    assert story_of(db, alone) == story and scalar(db, "SELECT count(*) FROM stories") == 1


@pytest.mark.parametrize("shards", [1, 4], ids=["same-queue", "sharded"])
def test_parallel_workers_never_split_a_story(settings, db, shards):
    """Four workers start together on many copies of two stories: each copy is deduplicated once,
    and each story exists once, whichever worker got its copies."""
    copies = 40
    for k in range(copies):
        add_article(db, f"https://outlet{k}.example/seed", variant(k), outlet=f"Outlet {k}",
                    published=T0 + timedelta(minutes=k))
        add_article(db, f"https://outlet{k}.example/other", other_story(99) + f"\nOutlet {k} footer.",
                    outlet=f"Outlet {k}", published=T0 + timedelta(minutes=k))
    start = threading.Barrier(4)
    results: list[dict] = []
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            start.wait()
            results.append(dedup(settings, shard=n % shards, shards=shards))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(r["articles_deduped"] for r in results) == 2 * copies
    assert sum(r["new_stories"] for r in results) == 2
    assert query(db, "SELECT articles, outlets FROM stories ORDER BY id") == [(copies, copies), (copies, copies)]
    assert scalar(db, "SELECT count(*) FROM articles WHERE deduped_at IS NULL") == 0


def test_workers_in_separate_processes_agree(settings, db_url, db):
    """The same race through separate connections committed by separate OS processes."""
    import multiprocessing

    for k in range(12):
        add_article(db, f"https://p{k}.example/seed", variant(k), outlet=f"P{k}", published=T0)
    context = multiprocessing.get_context("spawn")
    with context.Pool(3) as pool:
        pool.starmap(_dedup_in_process, [(db_url, n, 3) for n in range(3)])
    assert scalar(db, "SELECT count(*) FROM stories") == 1
    assert scalar(db, "SELECT articles FROM stories") == 12


def _dedup_in_process(db_url: str, shard: int, shards: int) -> None:
    import dataclasses

    from wirewatch.settings import Settings
    dedup_articles(run_id="proc", shard=shard, shards=shards,
                            settings=dataclasses.replace(Settings.from_env(), database_url=db_url))


def test_an_article_rejected_on_reextraction_leaves_its_story(settings, db):
    wire = add_article(db, "https://wire.example/a", STORY, outlet="Wire")
    copy = add_article(db, "https://copy.example/a", STORY + "\nMore.", outlet="Copy")
    dedup(settings)
    from wirewatch import warehouse
    with psycopg2.connect(settings.database_url) as conn:
        warehouse.save_not_extracted(conn, copy, status="rejected", reason="not an article")
    assert story_of(db, copy) is None
    assert query(db, "SELECT articles, outlets, representative_article_id FROM stories") == [(1, 1, wire)]


def test_articles_deduplicated_before_the_index_existed_are_indexed_and_found(settings, db):
    old = add_article(db, "https://wire.example/old", STORY, outlet="Wire")
    with db.cursor() as cur:  # as migration 0005 leaves an article deduplicated by the old stage
        cur.execute("INSERT INTO stories DEFAULT VALUES RETURNING id")
        story = cur.fetchone()[0]
        cur.execute("UPDATE articles SET story_id = %s, deduped_at = now(), url_key = canonical_url WHERE id = %s",
                    (story, old))
    copy = add_article(db, "https://copy.example/new", "\n".join(PARAGRAPHS[:-2]), outlet="Copy")
    counts = dedup(settings)
    assert counts["syndicated_copies"] == 1
    assert story_of(db, copy) == story
    assert scalar(db, "SELECT count(*) FROM article_bands WHERE article_id = %s", (old,)) == KEYS_PER_TEXT


def test_the_exact_copy_lookup_probes_the_text_hash_even_when_the_statistics_predate_the_stories(settings, db):
    """The dedup step analyzes the table as it starts, when no article of the run has a story yet;
    the exact-copy lookup must still probe by text hash, not walk every article deduplicated since."""
    with db.cursor() as cur:
        cur.execute("ALTER TABLE articles SET (autovacuum_enabled = false)")  # keep the stale statistics
    for n in range(300):
        add_article(db, f"https://one.example/{n}", other_story(n))
    assert dedup(settings)["new_stories"] == 300
    newcomer = add_article(db, "https://two.example/new", other_story(1000))
    text_hash, = query(db, "SELECT text_hash FROM articles WHERE id = %s", (newcomer,))[0]
    with db.cursor() as cur:
        cur.execute("PREPARE context AS " + next(iter(DEDUP_CONTEXT.values())))
        cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE context(%s, %s, %s)", (newcomer, text_hash, "https://two.example/new"))
        plan = cur.fetchone()[0][0]["Plan"]

    def removed(node: dict) -> int:
        return node.get("Rows Removed by Filter", 0) + sum(removed(child) for child in node.get("Plans", []))


    assert removed(plan) < 10, plan
