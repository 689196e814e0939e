"""The extract stage on the labelled set (bench/extraction/pages, hand-written ground truth):
junk-free paywall pages, correct metadata, non-articles rejected, encodings repaired, and a
text quality above bare trafilatura's. Scores are deterministic, so they are asserted here;
timings are not (see bench/extract_speed.py)."""

from __future__ import annotations

import statistics
import sys
from datetime import date
from pathlib import Path

import pytest
import trafilatura

sys.path.insert(0, str(Path(__file__).parents[1] / "bench" / "extraction"))

import check_labels  # noqa: E402
from labelled import learned_boilerplate, load_pages, prf, wirewatch_extract  # noqa: E402

from wirewatch.extraction.extract import MOJIBAKE, ExtractedArticle, Rejection  # noqa: E402

PAGES = load_pages()
ARTICLES = [p for p in PAGES if p.is_article]
NON_ARTICLES = [p for p in PAGES if not p.is_article]


def ids(pages):
    return [f"{p.site}/{p.slug}" for p in pages]


@pytest.fixture(scope="module")
def extracted() -> dict[str, ExtractedArticle | Rejection]:
    known = learned_boilerplate(PAGES)
    return {f"{p.site}/{p.slug}": wirewatch_extract(p, known[(p.site, p.slug)]) for p in PAGES}


def loose(name: str) -> str:
    return " ".join("".join(c for c in name.lower() if c.isalnum() or c.isspace()).split())


def test_the_labelled_set_is_consistent():
    assert len(PAGES) >= 60 and len({p.truth["language"] for p in ARTICLES}) >= 3
    assert {"paywall", "live_blog", "gallery", "long"} <= {p.truth["kind"] for p in ARTICLES}
    assert check_labels.main([]) == 0


@pytest.mark.parametrize("page", [p for p in ARTICLES if p.truth["kind"] == "paywall"],
                         ids=ids([p for p in ARTICLES if p.truth["kind"] == "paywall"]))
def test_paywall_pages_come_out_junk_free(page, extracted):
    result = extracted[f"{page.site}/{page.slug}"]
    assert isinstance(result, ExtractedArticle), result
    leaked = [junk for junk in page.truth["junk"] if junk in result.text]
    assert not leaked
    assert "paywall_teaser" in result.quality_flags
    assert prf(result.text, page.truth["text"])[1] >= 0.98  # the teaser itself is all there


@pytest.mark.parametrize("page", ARTICLES, ids=ids(ARTICLES))
def test_metadata_matches_the_truth(page, extracted):
    result = extracted[f"{page.site}/{page.slug}"]
    truth = page.truth
    assert isinstance(result, ExtractedArticle), result
    assert result.title == truth["title"]
    assert result.published_at.date() == date.fromisoformat(str(truth["published"]))
    assert result.language == truth["language"]
    authors = loose(result.author or "")
    assert all(loose(name) in authors for name in truth["authors"]) if truth["authors"] else not authors
    assert result.page_canonical_url == truth["canonical_url"]
    assert result.top_image == truth["top_image"]
    assert result.wire_source == truth["wire_source"]


@pytest.mark.parametrize("page", NON_ARTICLES, ids=ids(NON_ARTICLES))
def test_non_articles_are_rejected_or_flagged(page, extracted):
    """Never a clean article: rejected with the evidence, or kept and flagged when the signs are
    mixed (a rejection loses a story for good, so only agreeing signs reject)."""
    result = extracted[f"{page.site}/{page.slug}"]
    if isinstance(result, Rejection):
        assert result.reason.startswith("not an article: a list of other pages (")
    else:
        assert "maybe_not_article" in result.quality_flags


def test_most_non_articles_are_rejected(extracted):
    rejected = [p for p in NON_ARTICLES if isinstance(extracted[f"{p.site}/{p.slug}"], Rejection)]
    assert len(rejected) >= 0.7 * len(NON_ARTICLES)


@pytest.mark.parametrize("page", [p for p in ARTICLES if p.truth["kind"] == "encoding"],
                         ids=ids([p for p in ARTICLES if p.truth["kind"] == "encoding"]))
def test_encoding_trouble_never_reaches_the_text(page, extracted):
    result = extracted[f"{page.site}/{page.slug}"]
    assert isinstance(result, ExtractedArticle)
    assert not MOJIBAKE.search(result.text) and "\ufffd" not in result.text
    assert prf(result.text, page.truth["text"])[2] >= 0.98
    assert result.extraction.get("encoding_note") or result.extraction.get("mojibake_repaired")


def test_text_quality_beats_bare_trafilatura(extracted):
    ours = [prf(getattr(extracted[f"{p.site}/{p.slug}"], "text", None), p.truth["text"]) for p in ARTICLES]
    bare = [prf(trafilatura.extract(p.body), p.truth["text"]) for p in ARTICLES]
    precision, recall, f1 = (statistics.mean(s[i] for s in ours) for i in range(3))
    bare_precision, bare_recall, bare_f1 = (statistics.mean(s[i] for s in bare) for i in range(3))
    assert f1 > bare_f1 and precision > bare_precision
    assert recall >= bare_recall - 0.005
