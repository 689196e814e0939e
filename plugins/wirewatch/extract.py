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

from wirewatch.boilerplate import strip_known
from wirewatch.cleaning import WIRE_AGENCIES, CleanText, clean_text
from wirewatch.encoding import decode_page
from wirewatch.pagemeta import (
    DATE_OPTIONS,
    author_names,
    drop_header_extras,
    header_elements,
    language_of,
    page_metadata,
    parse_head,
    published_at,
    section_front,
)
from wirewatch.text import text_fingerprint, word_count

LOGGER = logging.getLogger(__name__)

HTML_TYPES = {"text/html", "application/xhtml+xml"}
# og:type values of story pages; anything else declared (website, video.other, profile…) is not one.
ARTICLE_OG_TYPES = ("article", "news")

# trafilatura runs in its fast mode (no readability/jusText comparison) unless the text comes out
# shorter than this; long texts lose nothing, short ones (galleries) need the comparison.
FULL_EXTRACTION_BELOW_WORDS = 200

# Settings recorded with every article, so a later re-extraction knows what produced it.
EXTRACTOR_OPTIONS = {
    "with_metadata": False,  # metadata: page_metadata(), the parts of trafilatura's that wirewatch stores
    "include_comments": False,
    "include_tables": False,
    "favor_precision": False,
    "deduplicate": False,
}
EXTRACTOR = {"name": "trafilatura", "version": trafilatura.__version__, "options": EXTRACTOR_OPTIONS,
             "date_options": DATE_OPTIONS,
             "full_mode_below_words": FULL_EXTRACTION_BELOW_WORDS, "cleaner": 2}


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
    # Problems a reader should know about: paywall_teaser, mojibake, consent_text, short.
    quality_flags: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Rejection:
    """The page is not an article we can store; `reason` is shown to users as is."""

    reason: str


def sniff_type(body: bytes, declared: str) -> str:
    """The declared media type, or a sniffed one when the server sent none or a generic one."""
    if declared and declared not in ("application/octet-stream", "binary/octet-stream", "text/plain"):
        return declared
    head = body[:512].lstrip().lower()
    if head.startswith(b"%pdf"):
        return "application/pdf"
    if head.startswith(b"\x89png"):
        return "image/png"
    if head.startswith((b"<!doctype html", b"<html")) or b"<body" in head:
        return "text/html"
    return declared or "unknown"


def media_rejection(body: bytes, content_type: str) -> Rejection | None:
    """Why a download cannot be an article page at all (PDF, image, empty…), or None if it may be."""
    media_type = sniff_type(body, content_type.split(";")[0].strip().lower())
    if media_type not in HTML_TYPES:
        return Rejection(reason=f"not an HTML page ({media_type})")
    if not body.strip():
        return Rejection(reason="empty page")
    return None


def extract_article(body: bytes, *, url: str, content_type: str = "", min_words: int = 60,
                    summary: str | None = None, boilerplate: frozenset[int] = frozenset()
                    ) -> ExtractedArticle | Rejection:
    """Turn a downloaded page into an article, or say why it is not one.

    `summary` is the feed item's summary (a text barely longer is a paywall teaser);
    `boilerplate` holds the keys of lines learned as this site's boilerplate (wirewatch.boilerplate)."""
    rejection = media_rejection(body, content_type)
    if rejection:
        return rejection
    decoded = decode_page(body, content_type)
    # Repaired on the page, not the text: the parser drops the C1 controls that double encoding leaves.
    page_text, repaired = repair_mojibake(decoded.text)
    tree = trafilatura.load_html(page_text)  # parsed once: the head is read before trafilatura prunes it
    if tree is None:
        return Rejection(reason="not an article: the page could not be parsed as HTML")
    header = header_elements(tree)
    page = parse_head(tree, header)
    page_type = page.get("og_type", "").lower()
    if page_type and not page_type.startswith(ARTICLE_OG_TYPES):
        # Sites label section fronts "website" and video pages "video.*": their text is teasers.
        return Rejection(reason=f"not an article: the page says it is a {page_type!r} (og:type)")
    drop_header_extras(header)
    front = section_front(tree)
    if front:
        return Rejection(reason=f"not an article: a section front ({front})")
    meta = page_metadata(tree, url)
    document = trafilatura.bare_extraction(tree, url=url, fast=True, **EXTRACTOR_OPTIONS)
    mode = "fast"
    if document is None or word_count(document.text or "") < FULL_EXTRACTION_BELOW_WORDS:
        # A short result (gallery captions, unusual markup): trafilatura's full mode, which also
        # compares with readability and jusText, recovers what the fast pass missed.
        tree = trafilatura.load_html(page_text)
        drop_header_extras(header_elements(tree))
        document = trafilatura.bare_extraction(tree, url=url, **EXTRACTOR_OPTIONS)
        mode = "full"
    if document is None or not (document.text or "").strip():
        return Rejection(reason="not an article: no article text found")
    cleaned = clean_text(document.text, title=meta.title or page.get("og_title"),
                         description=page.get("description") or page.get("og_description") or meta.description)
    text, site_lines = strip_known(cleaned.text, boilerplate)
    words = word_count(text)
    if words < min_words:
        return Rejection(reason=f"not an article: only {words} words of text (minimum {min_words})")
    cleaned = CleanText(text=text, wire_note=cleaned.wire_note, paywall_cut=cleaned.paywall_cut,
                        removed_lines=cleaned.removed_lines + site_lines)
    return ExtractedArticle(
        title=meta.title or page.get("og_title"),
        author=author_names(meta.author, page["byline"].split("; ") if page.get("byline") else [], meta.sitename),
        published_at=published_at(page.get("published"), meta.date),
        site_name=meta.sitename,
        language=language_of(meta.language or page.get("lang"), text),
        page_canonical_url=page.get("canonical") or page.get("og_url"),
        top_image=page.get("og_image") or meta.image,
        text=text,
        text_hash=text_fingerprint(text),
        word_count=words,
        wire_note=cleaned.wire_note,
        wire_source=wire_source(cleaned),
        quality_flags=quality_flags(cleaned, words, summary=summary),
        extraction={**EXTRACTOR, "mode": mode, "removed_lines": len(cleaned.removed_lines), "boilerplate_lines": len(site_lines),
                    "encoding": decoded.encoding,
                    **({"encoding_note": decoded.note} if decoded.note else {}),
                    **({"mojibake_repaired": True} if repaired else {})},
    )


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


def quality_flags(cleaned: CleanText, words: int, *, summary: str | None = None) -> tuple[str, ...]:
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
    if words < SHORT_WORDS:
        flags.append("short")
    return tuple(flags)


