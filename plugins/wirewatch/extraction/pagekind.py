"""Is a page an article? Evidence weighed together, as a reader would, never one weak sign alone.

A rejection loses a story for good, so a page is rejected only when several independent signs
agree that it lists other pages (a section front, a tag page, a video hub). When the signs are
mixed the page is kept and flagged `maybe_not_article`: countable, and reports can leave it out.

Signs, with the weight each adds towards "not an article" (negative: towards "article"):
  - JSON-LD `@type` (the strongest sign a page gives about itself): an article type -3; only
    listing or video types (CollectionPage, ItemList, VideoObject…) +2;
  - `og:type`: article -1; video or music +2; anything else (many CMSs say "website" on every
    page) +1;
  - the URL: an article's shape (a date, a numeric id, a slug of several words) -1; a section's
    (a short path of plain words, no digits, or an index page) +1;
  - the feed: the feed item's headline is the page's headline -2; a page headline sharing almost
    no word with it +1, and +3 with almost no text besides (a removed story, an error page);
  - the page: many linked headlines making up much of its words +1 (an article with a rail of
    related stories has them too, hence only +1);
  - the headline: a section's name (three words or fewer) +1;
  - the main text: most of its lines the texts of links to other pages (a front's teasers) +2,
    a quarter of them +1; almost no text +2, shorter than the minimum +1.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Iterator, Literal
from urllib.parse import unquote, urlsplit

from wirewatch.text import normalize_for_hash, shared_words, word_count

ARTICLE_LD_TYPES = frozenset({
    "Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle",
    "BackgroundNewsArticle", "ReviewNewsArticle", "AskPublicNewsArticle", "LiveBlogPosting", "BlogPosting",
    "Report", "ScholarlyArticle", "SatiricalArticle", "TechArticle", "SocialMediaPosting",
})
LISTING_LD_TYPES = frozenset({
    "CollectionPage", "ItemList", "SearchResultsPage", "ProfilePage", "VideoObject", "VideoGallery",
    "ImageGallery", "MediaGallery", "Periodical",
})
ARTICLE_OG_TYPES = ("article", "news")
# A page declaring itself a video or a song says more than one declaring itself a "website" (the
# default of many CMSs on every page).
MEDIA_OG_TYPES = ("video", "music")

# Section fronts: many linked headlines ("teaser cards") making up much of the page's words (an
# article with a rail of related stories has them too, hence a weak sign)…
LINKED_HEADLINES = "//h2[.//a]|//h3[.//a]|//h4[.//a]"
FRONT_MIN_HEADLINES = 12
FRONT_MIN_LINK_SHARE = 0.3
# … and a main text of teasers, each line the text of a link to another page.
LINKED_LINE_MIN_WORDS = 4
LINKED_LINES_SOME = 0.25
LINKED_LINES_MOST = 0.5
# A headline of at most this many words is a section's name ("Ausland", "World news").
SECTION_TITLE_MAX_WORDS = 3

# URL shapes. A date (/2024/04/30/, 20240430) or a long number is an article's id; so is a slug of
# several words. A short path of plain words (/world, /politik/ausland/) is a section's.
URL_DATE_OR_ID = re.compile(r"(?:^|[/_-])(?:(?:19|20)\d\d[/_-]?[01]\d|\d{5,})|[A-Za-z]+\d{6,}")
SLUG_WORD = re.compile(r"[^\W_]+")
ARTICLE_SLUG_WORDS = 4
SECTION_MAX_SEGMENTS = 3
INDEX_PAGES = frozenset({"index", "default", "home", "start"})

# Feed and page headlines sharing less than this share of words are about different things.
HEADLINE_SHARED_MIN = 0.2

REJECT_AT = 3
FLAG_AT = 2

Verdict = Literal["article", "maybe_not_article", "not_article"]


@dataclass(frozen=True)
class PageKind:
    verdict: Verdict
    score: int
    # The signs that counted, e.g. "og:type 'website' (+1)", for the rejection reason and the logs.
    signs: tuple[str, ...]

    @property
    def reason(self) -> str:
        """A reason to show users: what made the page look like a list of other pages."""
        return "; ".join(sign for sign in self.signs if "(+" in sign) or "no sign of a listing"


def jsonld_blocks(tree) -> list:
    """The parsed JSON-LD blocks of the page; broken ones are skipped (they are common, and the
    other signs still count)."""
    blocks = []
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        try:
            blocks.append(json.loads(script.text or "", strict=False))
        except ValueError:
            continue
    return blocks


def jsonld_objects(blocks: list) -> Iterator[dict]:
    """Every JSON object in the JSON-LD blocks (top level, @graph members, mainEntity)."""
    stack = list(blocks)
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            yield item
            for key in ("@graph", "mainEntity", "mainEntityOfPage"):
                if isinstance(item.get(key), (dict, list)):
                    stack.append(item[key])


def ld_types_of(item: dict) -> set[str]:
    value = item.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.rsplit("/", 1)[-1] for v in values if isinstance(v, str)}


def jsonld_types(objects: list[dict]) -> set[str]:
    return set().union(*(ld_types_of(item) for item in objects)) if objects else set()


def article_headlines(objects: list[dict]) -> list[str]:
    """The headlines the page's JSON-LD gives its article objects."""
    return [item["headline"] for item in objects
            if isinstance(item.get("headline"), str) and ld_types_of(item) & ARTICLE_LD_TYPES]


def url_shape(url: str) -> int:
    """-1 for an article's URL shape, +1 for a section's, 0 when it says nothing."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    segments = [s for s in path.split("/") if s]
    if URL_DATE_OR_ID.search(path) or any(len(SLUG_WORD.findall(s)) >= ARTICLE_SLUG_WORDS for s in segments):
        return -1
    if not segments and parts.query:
        return 0  # "/?p=123": a CMS's article id in the query
    last = segments[-1].split(".")[0].lower() if segments else ""
    if last in INDEX_PAGES:
        return 1
    if len(segments) <= SECTION_MAX_SEGMENTS and not any(c.isdigit() for c in path) \
            and not any("." in s for s in segments[-1:]):
        return 1
    return 0


def linked_headline_share(tree) -> tuple[int, float]:
    """(linked headlines on the page, share of the body's words inside links), the share computed
    only for pages with many linked headlines."""
    headlines = len(tree.xpath(LINKED_HEADLINES))
    body = tree.find("body")
    if headlines < FRONT_MIN_HEADLINES or body is None:
        return headlines, 0.0
    words = len("".join(body.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]")).split())
    links = len("".join(body.xpath(".//a//text()")).split())
    return headlines, links / words if words else 0.0


def link_texts(tree) -> frozenset[str]:
    """The normalised texts of the page's links long enough to be headlines (read before
    trafilatura prunes the tree)."""
    texts = set()
    for link in tree.iter("a"):
        text = normalize_for_hash(link.text_content())
        if text.count(" ") >= LINKED_LINE_MIN_WORDS - 1:
            texts.add(text)
    return frozenset(texts)


def linked_line_share(text: str, links: frozenset[str]) -> float:
    """The share of the text's headline-length lines that are the text of a link on the page: a
    story's paragraphs are not links; a section front's teasers are."""
    if not links:
        return 0.0
    lines = [normalize_for_hash(line) for line in text.splitlines()]
    lines = [line for line in lines if line.count(" ") >= LINKED_LINE_MIN_WORDS - 1]
    return sum(1 for line in lines if line in links) / len(lines) if lines else 0.0


def same_headline(a: str | None, b: str | None) -> bool:
    """Feed and page headlines agree (one may carry the site's name or a kicker around the other)."""
    if not a or not b:
        return False
    a, b = normalize_for_hash(a), normalize_for_hash(b)
    return bool(a and b) and (a == b or (min(len(a), len(b)) >= 20 and (a in b or b in a)))


Sign = tuple[str, int]  # (what was seen, its weight)


def page_signs(*, url: str, og_type: str | None, ld_types: set[str], page_title: str | None,
               feed_title: str | None, linked_headlines: tuple[int, float]) -> list[Sign]:
    """The signs read before the text is extracted. The text's signs can only add to them, so a
    page they already reject need not be extracted."""
    signs: list[Sign] = []
    article_types = ld_types & ARTICLE_LD_TYPES
    if article_types:
        signs.append((f"JSON-LD {'/'.join(sorted(article_types))}", -3))
    elif ld_types & LISTING_LD_TYPES:
        signs.append((f"JSON-LD {'/'.join(sorted(ld_types & LISTING_LD_TYPES))}", 2))
    if og_type:
        og_type = og_type.lower()
        weight = -1 if og_type.startswith(ARTICLE_OG_TYPES) else 2 if og_type.startswith(MEDIA_OG_TYPES) else 1
        signs.append((f"og:type {og_type!r}", weight))
    shape = url_shape(url)
    if shape:
        signs.append(("article URL" if shape < 0 else "section-like URL", shape))
    if same_headline(feed_title, page_title):
        signs.append(("the feed item's headline", -2))
    headlines, link_share = linked_headlines
    if link_share >= FRONT_MIN_LINK_SHARE:
        signs.append((f"{headlines} linked headlines, {link_share:.0%} of words in links", 1))
    if page_title and word_count(page_title) <= SECTION_TITLE_MAX_WORDS:
        signs.append((f"a section's name for a headline ({page_title!r})", 1))
    return signs


def text_signs(*, text: str, words: int, links: frozenset[str], page_title: str | None, feed_title: str | None,
               min_words: int) -> list[Sign]:
    """The signs of the extracted text (of `words` words): teasers, length, a headline the feed
    did not list."""
    signs: list[Sign] = []
    if feed_title and page_title and not same_headline(feed_title, page_title) \
            and shared_words(feed_title, page_title) < HEADLINE_SHARED_MIN:
        if words < min_words:  # a removed story, an error page served as 200
            signs.append((f"not the story the feed listed ({page_title!r}, almost no text)", 3))
        else:  # perhaps only reworded for search engines
            signs.append((f"a headline other than the feed item's ({page_title!r})", 1))
    linked = linked_line_share(text, links)
    if linked >= LINKED_LINES_SOME:
        signs.append((f"{linked:.0%} of the text's lines are links to other pages", 2 if linked >= LINKED_LINES_MOST else 1))
    if words < min_words / 4:
        signs.append((f"almost no text ({words} words)", 2))
    elif words < min_words:
        signs.append((f"short text ({words} words, minimum {min_words})", 1))
    return signs


def verdict(signs: list[Sign]) -> PageKind:
    """Weigh the signs (see the module docstring) into a verdict."""
    score = sum(weight for _, weight in signs)
    kind: Verdict = "not_article" if score >= REJECT_AT else "maybe_not_article" if score >= FLAG_AT else "article"
    return PageKind(verdict=kind, score=score, signs=tuple(f"{name} ({weight:+d})" for name, weight in signs))


def classify_page(*, url: str, og_type: str | None, ld_types: set[str], page_title: str | None,
                  feed_title: str | None, text: str, links: frozenset[str], linked_headlines: tuple[int, float],
                  min_words: int) -> PageKind:
    """All the signs of a page and its text, weighed."""
    return verdict(page_signs(url=url, og_type=og_type, ld_types=ld_types, page_title=page_title,
                              feed_title=feed_title, linked_headlines=linked_headlines)
                   + text_signs(text=text, words=word_count(text), links=links, page_title=page_title,
                                feed_title=feed_title, min_words=min_words))
