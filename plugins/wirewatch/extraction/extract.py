"""Extract: article page bytes -> clean text and metadata, or a rejection with a reason.

The steps, each in its module: decode the bytes (`encoding`), repair mojibake, parse, read the
page's metadata and drop the standfirst (`pagemeta`), reject non-articles, extract the text with
trafilatura, clean it (`cleaning`), strip the site's learned boilerplate (`boilerplate`), then name
the wire source and flag quality problems (here).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

import ftfy
import trafilatura

from wirewatch.extraction.boilerplate import strip_known
from wirewatch.extraction.cleaning import WIRE_AGENCIES, CleanText, clean_text
from wirewatch.extraction.embedded import jsonld_article_text, script_state_text
from wirewatch.extraction.encoding import decode_page
from wirewatch.extraction.pagekind import (
    ARTICLE_LD_TYPES,
    PageKind,
    article_headlines,
    jsonld_blocks,
    jsonld_objects,
    jsonld_types,
    link_texts,
    linked_headline_share,
    page_signs,
    text_signs,
    verdict,
)
from wirewatch.extraction.pagemeta import (
    DATE_OPTIONS,
    author_names,
    drop_update_lines,
    header_elements,
    headline,
    language_of,
    page_metadata,
    parse_head,
    publication_time,
    standfirst,
)
from wirewatch.fetch.content import media_problem
from wirewatch.text import normalize_for_hash, text_fingerprint, word_count

LOGGER = logging.getLogger(__name__)

# trafilatura runs in its fast mode (no readability/jusText comparison) unless the text comes out
# shorter than this; long texts lose nothing, short ones (galleries) need the comparison.
FULL_EXTRACTION_BELOW_WORDS = 200
# A fast-pass text with at least this many lines, this share of them of one to three words, is a menu.
NAVIGATION_MIN_LINES = 10
NAVIGATION_SHARE = 0.5
# A short text is replaced by a JSON-LD articleBody (or a script's text) only when that is this much
# longer: it then holds story paragraphs the markup hid (a teaser in the HTML, the rest by script).
EMBEDDED_LONGER = 1.5

# Settings recorded with every article, so a later re-extraction knows what produced it.
EXTRACTOR_OPTIONS = {
    "with_metadata": False,  # metadata: page_metadata(), the parts of trafilatura's that wirewatch stores
    "include_comments": False,
    "include_tables": False,
    "favor_precision": False,
    "deduplicate": False,
}
WITH_TABLES = {**EXTRACTOR_OPTIONS, "include_tables": True}
EXTRACTOR = {"name": "trafilatura", "version": trafilatura.__version__, "options": EXTRACTOR_OPTIONS,
             "date_options": DATE_OPTIONS,
             "full_mode_below_words": FULL_EXTRACTION_BELOW_WORDS, "cleaner": 3}


@dataclass(frozen=True, kw_only=True)
class ExtractedArticle:
    title: str | None
    author: str | None
    published_at: datetime | None
    site_name: str | None
    language: str | None
    page_canonical_url: str | None
    top_image: str | None = None
    text: str
    text_hash: str
    word_count: int
    wire_note: str | None
    extraction: dict
    # The news agency the text comes from ("Reuters", "AP"…, or "syndicated feed"), if it says so.
    wire_source: str | None = None
    # Problems a reader should know about: paywall_teaser, mojibake, consent_text, short,
    # maybe_not_article (the page's signs were mixed; see wirewatch.extraction.pagekind).
    quality_flags: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Rejection:
    """The page is not an article we can store; `reason` is shown to users as is."""

    reason: str


def extract_article(body: bytes, *, url: str, content_type: str = "", min_words: int = 60,
                    summary: str | None = None, feed_title: str | None = None,
                    boilerplate: frozenset[int] = frozenset()) -> ExtractedArticle | Rejection:
    """Turn a downloaded page into an article, or say why it is not one.

    `summary` and `feed_title` are the feed item's (a text barely longer than the summary is a
    paywall teaser; a headline equal to the page's says the feed lists this page as an article);
    `boilerplate` holds the keys of lines learned as this site's boilerplate (wirewatch.extraction.boilerplate)."""
    problem = media_problem(body, content_type)
    if problem:
        return Rejection(reason=problem)
    decoded = decode_page(body, content_type)
    # Repaired on the page, not the text: the parser drops the C1 controls that double encoding leaves.
    page_text, repaired = repair_mojibake(decoded.text)
    tree = trafilatura.load_html(page_text)  # parsed once: the head is read before trafilatura prunes it
    if tree is None:
        return Rejection(reason="not an article: the page could not be parsed as HTML")
    header = header_elements(tree)
    page = parse_head(tree, header)
    ld_blocks = jsonld_blocks(tree)
    ld_objects = list(jsonld_objects(ld_blocks))
    lead = standfirst(header)
    drop_update_lines(header)
    meta = page_metadata(tree, url, ld_blocks, byline_found="byline" in page)
    title = headline(tree, [*article_headlines(ld_objects), page.get("og_title"), meta.title])
    ld_types = jsonld_types(ld_objects)
    # Read before trafilatura prunes the tree; only needed when the page does not say it is an article.
    declared_article = bool(ld_types & ARTICLE_LD_TYPES)
    links = frozenset() if declared_article else link_texts(tree)
    signs = page_signs(url=url, og_type=page.get("og_type"), ld_types=ld_types, page_title=title,
                       feed_title=feed_title,
                       linked_headlines=(0, 0.0) if declared_article else linked_headline_share(tree))
    before_text = verdict(signs)
    if before_text.verdict == "not_article":  # the text's signs could only add to these
        return listing_rejection(before_text)
    raw_text, source = main_text(tree, page_text, url, ld_objects)
    cleaned = clean_text(raw_text, title=title)
    text, site_lines = strip_known(cleaned.text, boilerplate)
    text = with_standfirst(text, lead)
    words = word_count(text)
    kind = verdict(signs + text_signs(text=text, words=words, links=links, page_title=title, feed_title=feed_title,
                                      min_words=min_words))
    if not text.strip():
        return Rejection(reason="not an article: no article text found")
    if kind.verdict == "not_article":
        return listing_rejection(kind)
    cleaned = CleanText(text=text, wire_note=cleaned.wire_note, paywall_cut=cleaned.paywall_cut,
                        removed_lines=cleaned.removed_lines + site_lines)
    flags = quality_flags(cleaned, words, summary=summary, min_words=min_words)
    if kind.verdict == "maybe_not_article":
        flags += ("maybe_not_article",)
    return ExtractedArticle(
        title=title,
        author=author_names(meta.author, page["byline"].split("; ") if page.get("byline") else [], meta.sitename, url),
        published_at=publication_time(tree, url, page.get("published")),
        site_name=meta.sitename,
        language=language_of(meta.language or page.get("lang"), text),
        page_canonical_url=page.get("canonical") or page.get("og_url"),
        top_image=page.get("og_image") or meta.image,
        text=text,
        text_hash=text_fingerprint(text),
        word_count=words,
        wire_note=cleaned.wire_note,
        wire_source=wire_source(cleaned),
        quality_flags=flags,
        extraction={**EXTRACTOR, "mode": source, "removed_lines": len(cleaned.removed_lines),
                    "boilerplate_lines": len(site_lines), "encoding": decoded.encoding,
                    "page_kind": {"score": kind.score, "signs": list(kind.signs)},
                    **({"encoding_note": decoded.note} if decoded.note else {}),
                    **({"mojibake_repaired": True} if repaired else {})},
    )


def listing_rejection(kind: PageKind) -> Rejection:
    return Rejection(reason=f"not an article: a list of other pages ({kind.reason})")


def main_text(tree, page_text: str, url: str, ld_objects: list[dict]) -> tuple[str, str]:
    """The page's story text and where it came from: trafilatura's fast pass ("fast"); its full
    mode, which compares with readability and jusText, when the fast pass looks unsure ("full");
    the fast pass with tables, when both still look unsure and the story is laid out in a table
    ("tables"); the JSON-LD articleBody when the page carries a longer one ("jsonld"); or the longest text
    in the page's embedded script state, for pages rendered by JavaScript ("script")."""
    text, words = _trafilatura_text(tree, url, fast=True, options=EXTRACTOR_OPTIONS)
    source = "fast"
    if unsure(text, words):  # bare_extraction works on a copy of the tree it is given: reused here
        full, full_words = _trafilatura_text(tree, url, fast=False, options=EXTRACTOR_OPTIONS)
        # A menu is no story however long: a shorter full-mode text that is not one wins over it.
        if full and (not unsure(full, full_words) or full_words > words
                     or (is_menu(text) and not is_menu(full))):
            text, source, words = full, "full", full_words
    if unsure(text, words):
        # Tables stay off (elsewhere they pull rails and teasers in with the story), but some
        # outlets still lay the story itself out in one; only an assured text is taken from it.
        tabled, tabled_words = _trafilatura_text(tree, url, fast=True, options=WITH_TABLES)
        if tabled_words > words and not unsure(tabled, tabled_words):
            text, source, words = tabled, "tables", tabled_words
    if words < FULL_EXTRACTION_BELOW_WORDS:
        # Short: a teaser in the markup, the story perhaps in the page's data.
        embedded, where = jsonld_article_text(ld_objects), "jsonld"
        if not _much_longer(embedded, words):
            embedded, where = script_state_text(page_text), "script"
        if _much_longer(embedded, words):
            return embedded, where
    return text, source


def _trafilatura_text(tree, url: str, *, fast: bool, options: dict) -> tuple[str, int]:
    """One trafilatura pass over the parsed page. -> (text, its word count); ("", 0) for none."""
    document = trafilatura.bare_extraction(tree, url=url, fast=fast, **options)
    text = (document.text or "") if document else ""
    return text, word_count(text)


def with_standfirst(text: str, lead: str | None) -> str:
    """The text opening with the page's standfirst as its own block, followed by a blank line (the
    one blank line a stored text has: the tag step weighs the standfirst as lead, apart from the
    story's first sentences). Added when trafilatura's body left it out."""
    if not lead:
        return text
    first, _, rest = text.partition("\n")
    normal_lead = normalize_for_hash(lead)
    if normalize_for_hash(first) == normal_lead:
        return f"{first}\n\n{rest}" if rest else first
    if normal_lead in normalize_for_hash(text[:len(lead) * 3]):
        return text  # inside the first paragraph: not a block of its own
    return f"{lead}\n\n{text}" if text else lead


def _much_longer(candidate: str | None, words: int) -> bool:
    return bool(candidate) and word_count(candidate) > EMBEDDED_LONGER * max(words, 1)


def unsure(text: str, words: int) -> bool:
    """A fast-pass result (of `words` words) not to trust: short (galleries, unusual markup) or
    mostly one- to three-word lines (the pass took a navigation menu for the story)."""
    return words < FULL_EXTRACTION_BELOW_WORDS or is_menu(text)


def is_menu(text: str) -> bool:
    """Mostly one- to three-word lines: a navigation menu, not a story."""
    lines = text.splitlines()
    if len(lines) < NAVIGATION_MIN_LINES:
        return False
    # Whitespace words: a CJK story line is one "word" here but long, so it is not a menu entry.
    menu = sum(1 for line in lines if len(line.split()) <= 3 and len(line) < 40)
    return menu >= NAVIGATION_SHARE * sum(1 for line in lines if line.strip())


# Typical UTF-8-read-as-cp1252 sequences: "Ã©", "â€™", "Ã¼"…
MOJIBAKE = re.compile(r"[ÃÂ][\u0080-\u00bf\u2018-\u201e\u2020-\u2122]|â€[™œ\u009d“”˜¦\x80-\xbf]")


def repair_mojibake(text: str) -> tuple[str, bool]:
    """Undo double-encoding (ftfy) when the text shows its signs; -> (text, repaired?)."""
    if "Ã" not in text and "Â" not in text and "â€" not in text:  # plain substring tests: far cheaper than the regex
        return text, False
    if not MOJIBAKE.search(text):
        return text, False
    fixed = ftfy.fix_text(text, uncurl_quotes=False, normalization="NFC")
    return fixed, fixed != text


WIRE_DATELINE = re.compile(r"\((" + "|".join(re.escape(a) for a in WIRE_AGENCIES) + r")\)", re.IGNORECASE)
WIRE_CREDIT = re.compile(r"(?:©|copyright|\bby|\bfrom|\bsource:)\s*(?:the\s+)?(" + "|".join(
    re.escape(a) for a in WIRE_AGENCIES) + r")\b", re.IGNORECASE)


def wire_source(cleaned: CleanText) -> str | None:
    """The agency a story credits: "(Reuters) —" in the lead, else a syndication note or a credit line
    ("© The Associated Press") that the cleaner took out of the text."""
    credits = "\n".join(filter(None, [cleaned.wire_note, *cleaned.removed_lines[-5:]]))
    for pattern, where in ((WIRE_DATELINE, cleaned.text[:400]), (WIRE_CREDIT, credits), (WIRE_DATELINE, credits)):
        match = pattern.search(where)
        if match:
            return WIRE_AGENCIES[match.group(1).lower()]
    return "syndicated feed" if cleaned.wire_note else None


CONSENT = re.compile(r"\b(cookies?|consent|partners|personali[sz]ed ads|privacy (?:policy|settings)|"
                     r"legitimate interest|manage (?:options|preferences))\b", re.IGNORECASE)
SHORT_WORDS = 150


def quality_flags(cleaned: CleanText, words: int, *, summary: str | None = None,
                  min_words: int = 60) -> tuple[str, ...]:
    """Flags for texts a report may want to exclude; the article is stored either way."""
    flags = []
    summary_words = word_count(summary or "")
    if cleaned.paywall_cut or (summary_words >= 15 and words <= summary_words * 1.5):
        flags.append("paywall_teaser")
    if MOJIBAKE.search(cleaned.text):
        flags.append("mojibake")
    lines = [line for line in cleaned.text.splitlines() if line.strip()]
    if lines and sum(1 for line in lines if CONSENT.search(line)) / len(lines) >= 0.3:
        flags.append("consent_text")
    if words < max(SHORT_WORDS, min_words):
        flags.append("short")
    return tuple(flags)


