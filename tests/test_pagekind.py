"""The page-kind signs one by one: URL shapes, headlines, links (wirewatch.extraction.pagekind)."""

import pytest

from wirewatch.extraction.pagekind import classify_page, linked_line_share, same_headline, url_shape
from wirewatch.text import shared_words


@pytest.mark.parametrize(("url", "shape"), [
    ("https://x.example/world/2024/04/30/police-investigate-leaks", -1),  # a date
    ("https://x.example/inland/ahrtal-flut-bilanz-100.html", -1),  # a slug of several words
    ("https://x.example/news/article/A2026012914320005196", -1),  # a long id
    ("https://x.example/article/20250121-QBJP5I25BBIG5IZ76XZNDHDB5Q/", -1),
    ("https://x.example/world/", 1),
    ("https://x.example/politik/ausland/", 1),
    ("https://x.example/northwire/world/index.html", 1),
    ("https://x.example/?p=123", 0),
    ("https://x.example/a/b/c/d/e", 0),  # deep, but no article shape either
])
def test_url_shapes(url, shape):
    assert url_shape(url) == shape


def test_headlines_compare_loosely():
    assert same_headline("Troops move to the border", "Troops move to the border | The Ledger")
    assert not same_headline("Troops move", "Markets calm")
    assert shared_words("Arms broker named in Balkan export probe", "Article unavailable") == 0.0


def test_teaser_lines_are_counted_as_links():
    links = frozenset({"guerre en ukraine kiev annonce la reprise de deux villages"})
    text = "Guerre en Ukraine : Kiev annonce la reprise de deux villages\nA story paragraph that is long enough here."
    assert linked_line_share(text, links) == 0.5


def classify(**signs):
    defaults = dict(url="https://x.example/2026/05/troops-move-to-the-border", og_type=None, ld_types=set(),
                    page_title="Troops move to the border overnight", feed_title=None, text="word " * 200,
                    links=frozenset(), linked_headlines=(0, 0.0), min_words=60)
    return classify_page(**{**defaults, **signs})


def test_no_single_weak_sign_rejects():
    for signs in ({"og_type": "website"}, {"url": "https://x.example/world/"}, {"text": "word " * 30},
                  {"linked_headlines": (40, 0.6)}, {"page_title": "World"}):
        assert classify(**signs).verdict == "article", signs


def test_a_removed_story_is_not_the_story_the_feed_listed():
    kind = classify(page_title="Article unavailable", feed_title="Arms broker named in Balkan export probe",
                    text="This article is no longer available.")
    assert kind.verdict == "not_article" and "not the story the feed listed" in kind.reason


def test_json_ld_article_outweighs_the_rest():
    kind = classify(ld_types={"NewsArticle"}, og_type="website", url="https://x.example/world/",
                    linked_headlines=(30, 0.5))
    assert kind.verdict == "article" and kind.score <= 0
