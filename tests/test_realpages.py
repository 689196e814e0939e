"""Real outlets' pages (tests/fixtures/realpages, a subset of ../shared/realpages): every one is
an article, whatever its og:type, rails, script or markup, and comes out with its true headline,
its language and at least 90 % of its text (bag-of-tokens recall, as bench/extract_quality.py
--set realpages scores the whole set)."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "bench" / "extraction"))

import realpages  # noqa: E402

from wirewatch.extraction.extract import ExtractedArticle, extract_article  # noqa: E402

PAGES = realpages.load(Path(__file__).parent / "fixtures" / "realpages")


def shown(text: str | None) -> str:
    """A headline as a reader sees it: no-break and ideographic spaces, soft hyphens do not show."""
    return " ".join(unicodedata.normalize("NFKC", text or "").replace("\xad", "").split())


@pytest.fixture(scope="module")
def extracted() -> dict[str, object]:
    return {p.key: extract_article(p.body, url=p.url, content_type=realpages.CONTENT_TYPE) for p in PAGES}


def test_the_subset_covers_every_cause():
    assert len(PAGES) >= 20 and (Path(__file__).parent / "fixtures" / "realpages" / "LICENSE-fundus").exists()


@pytest.mark.parametrize("page", PAGES, ids=[p.key for p in PAGES])
def test_a_real_article_is_extracted_whole(page, extracted):
    result = extracted[page.key]
    assert isinstance(result, ExtractedArticle), result.reason
    assert "maybe_not_article" not in result.quality_flags, result.extraction["page_kind"]
    assert shown(result.title) == shown(page.title)
    assert result.language == page.language
    assert realpages.prf(result.text, page.text)[1] >= 0.9


def test_a_navigation_menu_loses_to_a_shorter_story():
    """A real municipal news page (bench/extraction/blind, scrapinghub benchmark, MIT) whose fast
    pass takes the site's long menu for the story: the full mode's shorter text, which is the
    story, wins because it is not a menu."""
    page = next(p for p in realpages.load(Path(__file__).parents[1] / "bench" / "extraction" / "blind")
                if p.key.startswith("f6ac15a4"))
    result = extract_article(page.body, url=page.url, content_type=realpages.CONTENT_TYPE)
    assert result.extraction["mode"] == "full"
    assert "Ortofotos de 2005" not in result.text and "arrombamento" in result.text
    precision, recall, _ = realpages.prf(result.text, page.text)
    assert precision >= 0.9 and recall >= 0.9


def test_a_story_laid_out_in_a_table_is_taken_with_it():
    """A real football-results page (bench/extraction/blind, scrapinghub benchmark, MIT) whose story
    is its standings table: without tables both passes keep a short intro (and full mode a menu),
    so the fast pass with tables, which is assured, wins."""
    page = next(p for p in realpages.load(Path(__file__).parents[1] / "bench" / "extraction" / "blind")
                if p.key.startswith("11ea381a"))
    result = extract_article(page.body, url=page.url, content_type=realpages.CONTENT_TYPE)
    assert result.extraction["mode"] == "tables"
    precision, recall, _ = realpages.prf(result.text, page.text)
    assert precision >= 0.9 and recall >= 0.9
