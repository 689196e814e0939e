"""The extract step against real Postgres: stored raw pages, a process pool, per-site boilerplate
learning, re-extraction without refetching, and raw-page retention."""

import dataclasses
import html
from pathlib import Path

import psycopg2
import pytest
import yaml
from conftest import query, scalar

from wirewatch import retention, warehouse
from wirewatch.dedup.runner import dedup_articles
from wirewatch.extraction.boilerplate import BoilerplateModel, countable_lines, is_boilerplate, line_key
from wirewatch.extraction.runner import extract_articles
from wirewatch.fetch.client import Download
from wirewatch.reporting import report
from wirewatch.urls import site_of

PLUG = "Follow The Harbour Gazette on Telegram for breaking updates."
PLACES = ["Odesa", "Mykolaiv", "Kherson", "Izmail", "Reni", "Chornomorsk"]
STORIES = [
    [f"Officials in {place} said convoy number {n} had crossed the border with {n * 7} trucks of aid, and that "
     f"inspectors from three agencies checked every vehicle on the way into {place}.",
     f"The governor of {place} said the crossing would stay open for {n + 2} more days while talks on a longer "
     f"corridor to {place} continued in the capital, where envoys were meeting.",
     PLUG,
     f"Residents interviewed on the {place} waterfront said prices for bread and fuel had fallen by {n} percent "
     f"since the first convoys arrived, though queues at distribution points in {place} were still long."]
    for n, place in enumerate(PLACES, start=1)
]


def page(paragraphs: list[str], title: str) -> bytes:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<article><h1>{title}</h1>{body}</article></body></html>").encode()


def store_pages(db_url: str, pages: dict[str, bytes]) -> dict[str, int]:
    """Queue articles and store their pages as the fetch step would. -> ids by URL."""
    ids = {}
    with psycopg2.connect(db_url) as conn:
        for url, body in pages.items():
            with conn.cursor() as cur:
                cur.execute("INSERT INTO articles (url, canonical_url) VALUES (%s, %s) RETURNING id", (url, url))
                ids[url] = cur.fetchone()[0]
            warehouse.save_fetched(conn, ids[url], Download(url=url, final_url=url, status=200, body=body,
                                                             headers={"content-type": "text/html"}))
    return ids


def test_boilerplate_rule():
    assert not is_boilerplate(2, 2)  # too few articles, however large the share
    assert is_boilerplate(3, 10) and not is_boilerplate(3, 11)
    assert line_key("Updated 3 hours ago") == line_key("updated 12 hours ago!")
    assert site_of("https://WWW.Example.org/a") == "example.org"
    assert len(countable_lines("short line\n" + "x" * 400 + "\n12345")) == 1


def test_the_in_memory_model_learns_like_the_warehouse_view(settings, db):
    ids = store_pages(settings.database_url, {f"https://www.gazette.example/{n}": page(p, f"Story {n}")
                                              for n, p in enumerate(STORIES)})
    model = BoilerplateModel()
    for paragraphs in STORIES:
        model.observe("gazette.example", "\n".join(paragraphs))
        with psycopg2.connect(settings.database_url) as conn:
            warehouse.learn_site_lines(conn, "gazette.example", [countable_lines("\n".join(paragraphs))])
            assert warehouse.known_boilerplate(conn, ["gazette.example"]).get("gazette.example", frozenset()) \
                == model.known("gazette.example")
    assert model.known("gazette.example") == {line_key(PLUG)} and len(ids) == 6


def test_extract_step_learns_site_boilerplate_and_reprocess_removes_it(settings, db):
    settings = dataclasses.replace(settings, extract_workers=2)  # a real process pool
    urls = [f"https://www.gazette.example/story-{n}" for n in range(len(STORIES))]
    store_pages(settings.database_url, {url: page(p, f"Aid reaches {place}") for url, p, place in zip(urls, STORIES, PLACES)})
    counts = extract_articles(run_id="r1", settings=settings)
    assert counts["extracted"] == 6
    # Learned only once the line had recurred: the first pages still carry it.
    assert scalar(db, "SELECT count(*) FROM articles WHERE text LIKE %s", (f"%{PLUG}%",)) == 6
    assert query(db, "SELECT site, sample, articles FROM site_boilerplate") == [("gazette.example", PLUG, 6)]

    with psycopg2.connect(settings.database_url) as conn:
        assert warehouse.mark_for_reprocess(conn, site="gazette.example") == 6
    again = extract_articles(run_id="r2", settings=settings)
    assert again["extracted"] == 6
    assert scalar(db, "SELECT count(*) FROM articles WHERE text LIKE %s", (f"%{PLUG}%",)) == 0
    assert scalar(db, "SELECT sum((extraction->>'boilerplate_lines')::int) FROM articles") == 6
    # Re-extraction counted nothing twice, and left every article in one piece.
    assert scalar(db, "SELECT articles FROM site_profiles") == 6
    assert scalar(db, "SELECT count(*) FROM articles WHERE status = 'extracted' AND deduped_at IS NULL") == 6


def test_extract_step_records_rejections_and_keeps_going(settings, db):
    store_pages(settings.database_url, {
        "https://a.example/ok": page(STORIES[0] * 3, "Officials confirm the talks will resume on Monday"),
        "https://a.example/short": page(["Too short to be a story."], "Brief"),
        "https://a.example/front": b"<html><head><meta property='og:type' content='website'></head>"
                                   b"<body><p>Front page</p></body></html>",
        "https://a.example/world/": page(STORIES[1] * 3, "Troops move towards the border overnight").replace(
            b"<head>", b"<head><meta property='og:type' content='website'>"),
    })
    counts = extract_articles(run_id="r1", settings=settings)
    assert (counts["extracted"], counts["rejected"], counts["failed"]) == (2, 2, 0)
    assert counts["flagged_maybe_not_article"] == 1
    assert query(db, "SELECT url, signs FROM report_maybe_not_articles") == [
        ("https://a.example/world/", ["og:type 'website' (+1)", "section-like URL (+1)"])]
    reasons = dict(query(db, "SELECT url, failure_reason FROM articles WHERE status = 'rejected'"))
    assert "almost no text (6 words)" in reasons["https://a.example/short"]
    assert "og:type 'website'" in reasons["https://a.example/front"]
    # The run's report groups the reasons by kind and names the site that lost them.
    assert counts["reasons"] == {"not an article: a list of other pages": 2}
    assert counts["reasons_by_site"] == {"a.example": {"not an article: a list of other pages": 2}}
    with psycopg2.connect(settings.database_url) as conn:
        text = report.format_summary(report.run_summary(conn, "r1"))
    assert "     2  a.example: not an article: a list of other pages 2" in text
    assert query(db, "SELECT site, status, reason_kind, articles FROM report_rejections_by_site") == [
        ("a.example", "rejected", "not an article: a list of other pages", 2)]
    # A second run finds nothing left to extract.
    assert extract_articles(run_id="r2", settings=settings)["extracted"] == 0


def test_raw_pages_are_compressed_and_purged_after_retention(settings, db):
    body = page(STORIES[1] * 20, "Long")
    store_pages(settings.database_url, {"https://b.example/long": body})
    stored, original = query(db, "SELECT length(body), body_bytes FROM raw_pages")[0]
    assert original == len(body) and stored < original / 4
    # A page still waiting for extraction is never purged, however old.
    query(db, "UPDATE raw_pages SET fetched_at = now() - interval '400 days' RETURNING 1")
    assert retention.prune(settings)["raw_pages"] == 0
    extract_articles(run_id="r1", settings=settings)
    assert scalar(db, "SELECT count(*) FROM raw_pages") == 1  # kept for reprocessing until its retention
    assert retention.prune(settings)["raw_pages"] == 1
    assert scalar(db, "SELECT count(*) FROM raw_pages") == 0
    assert scalar(db, "SELECT status FROM articles") == "extracted"


@pytest.mark.parametrize("status", ["extracted", "rejected"])
def test_reprocess_skips_articles_without_a_stored_page(settings, db, status):
    store_pages(settings.database_url, {"https://c.example/x": page(STORIES[2] * 3, "X")})
    extract_articles(run_id="r1", settings=settings)
    query(db, "DELETE FROM raw_pages RETURNING 1")
    with psycopg2.connect(settings.database_url) as conn:
        assert warehouse.mark_for_reprocess(conn, statuses=[status]) == 0


def test_reprocess_command_re_extracts_and_reports(settings, db, capsys):
    from wirewatch.cli import main

    store_pages(settings.database_url, {"https://www.d.example/x": page(STORIES[3] * 3, "X"),
                                        "https://e.example/y": page(STORIES[4] * 3, "Y")})
    extract_articles(run_id="r1", settings=settings)
    query(db, "UPDATE articles SET text = 'stale' RETURNING 1")
    assert main(["reprocess", "--site", "d.example"]) == 0
    out = capsys.readouterr().out
    assert "1 stored pages marked for re-extraction" in out and "re-extracted 1 articles" in out
    texts = dict(query(db, "SELECT url, text FROM articles"))
    assert texts["https://e.example/y"] == "stale"  # another site: untouched
    assert "Izmail" in texts["https://www.d.example/x"]
    assert main(["reprocess", "--since", "2999-01-01"]) == 0
    assert "0 stored pages marked" in capsys.readouterr().out


def test_reprocessed_articles_keep_their_stories(settings, db):
    truths = sorted((Path(__file__).parents[1] / "bench" / "extraction" / "pages" / "tribune-uk").glob("*.yaml"))[:3]
    texts = [yaml.safe_load(path.read_text(encoding="utf-8"))["text"].split("\n\n") for path in truths]
    store_pages(settings.database_url, {f"https://f.example/{n}": page(text, f"Story {n}") for n, text in enumerate(texts)})
    extract_articles(run_id="r1", settings=settings)
    dedup_articles(run_id="r1", settings=settings)
    before = query(db, "SELECT id, story_id FROM articles ORDER BY id")
    with psycopg2.connect(settings.database_url) as conn:
        assert warehouse.mark_for_reprocess(conn) == 3
    extract_articles(run_id="r2", settings=settings)
    assert dedup_articles(run_id="r2", settings=settings)["articles_deduped"] == 3
    assert query(db, "SELECT id, story_id FROM articles ORDER BY id") == before
    assert scalar(db, "SELECT count(*) FROM stories") == 3
