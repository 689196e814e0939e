"""Extract: article page bytes -> clean text and metadata (trafilatura), or a rejection with a reason.

trafilatura removes the site chrome; paywall prompts and plan-price lists often sit *inside*
the article element, so `clean_text` cuts the text at the first paywall marker and drops
price-only lines. Syndication notes ("…auto-generated from a syndicated feed") are removed
from the text and kept apart as `wire_note`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

import ftfy
import py3langid
import trafilatura

from wirewatch.boilerplate import strip_known
from wirewatch.encoding import decode_page
from wirewatch.text import text_fingerprint, word_count

LOGGER = logging.getLogger(__name__)

HTML_TYPES = {"text/html", "application/xhtml+xml"}
# og:type values of story pages; anything else declared (website, video.other, profile…) is not one.
ARTICLE_OG_TYPES = ("article", "news")

# Settings recorded with every article, so a later re-extraction knows what produced it.
EXTRACTOR_OPTIONS = {
    "with_metadata": True,
    "include_comments": False,
    "include_tables": False,
    "favor_precision": True,
    "deduplicate": False,
}
EXTRACTOR = {"name": "trafilatura", "version": trafilatura.__version__, "options": EXTRACTOR_OPTIONS,
             "cleaner": 1}

# Lines that start a paywall / subscription prompt: from the first such line on, nothing is story.
# English plus the most common forms in French, German, Spanish, Italian and Portuguese.
PAYWALL_MARKERS = re.compile(
    r"""^\W*(?:
        you[’']?ve\ (?:reached|hit|used)\ (?:all\ )?(?:your|the)\ (?:limit|maximum|last\ free|free)
      | you\ have\ (?:reached|used)\ (?:your|the|all)\ .{0,40}(?:free|limit)
      | subscribe\ (?:now|today|from|for\ (?:just\ )?[₹$€£]|to\ (?:read|continue|keep|unlock|get))
      | already\ (?:a\ )?(?:subscribed|subscriber|a\ member)
      | (?:sign|log)\ in\ to\ (?:read|continue)
      | to\ continue\ reading
      | register\ (?:now\ |for\ free\ )?to\ (?:continue|read|keep\ reading)
      | create\ a\ free\ account\ to
      | this\ (?:article|story|content)\ is\ (?:for|reserved\ for|available\ to)\ (?:subscribers|members)
      | (?:unlock|get)\ unlimited\ (?:digital\ )?access
      | renews\ automatically
      | abonnez-vous | déjà\ abonné | cet\ article\ est\ réservé\ aux\ abonnés
      | jetzt\ abonnieren | bereits\ abonnent | weiterlesen\ mit
      | suscríbete | ya\ (?:eres|soy)\ suscriptor | contenido\ exclusivo\ para\ suscriptores
      | abbonati | sei\ già\ abbonato
      | assine\ (?:já|agora) | já\ é\ assinante
    )""",
    re.IGNORECASE | re.VERBOSE,
)
PAYWALL_INLINE = re.compile(r"\b\d+\s+free\s+articles?\b|\{\{\s*free_limit\s*\}\}", re.IGNORECASE)

# A line that is only a price, a period or a per-period price: plan tables, not prose.
PRICE_LINE = re.compile(
    r"^\s*(?:[₹$€£¥]|rs\.?|usd|eur|gbp|inr)\s?\d[\d,.]*\s*(?:/\s*\w+)?\s*$"
    r"|^\s*\d+\s+(?:months?|years?|weeks?|days?)\s*$"
    r"|^\s*[₹$€£¥]\s?\d[\d,.]*\s*(?:per|a|/)\s*\w+\s*$",
    re.IGNORECASE,
)

# A line that is only a "read more"-style label: the links it introduced are already gone.
LINK_LABEL = re.compile(
    r"^\W*(?:read\ more|related(?:\ (?:stories|articles|coverage|reading))?|see\ also|also\ read|more\ on\ this"
    r"|recommended|lire\ aussi|mehr\ zum\ thema|lesen\ sie\ auch|leer\ más|leggi\ anche)\W*$",
    re.IGNORECASE | re.VERBOSE,
)

# Credit and rights lines ("© 2024 Some Agency. All rights reserved.") close a story; they are not prose.
RIGHTS_LINE = re.compile(r"^\W*(?:©|\(c\)|copyright\b)|\ball rights reserved\b", re.IGNORECASE)

SYNDICATION_NOTE = re.compile(
    r"syndicated\s+feed|from\s+a\s+wire\s+(?:service|agency)|distributed\s+by\s+\w+\s+news\s+wire"
    r"|has\s+not\s+been\s+edited\s+by\s+.{0,40}staff",
    re.IGNORECASE,
)

@dataclass(frozen=True, kw_only=True)
class CleanText:
    text: str
    wire_note: str | None = None
    removed_lines: list[str] = field(default_factory=list)
    # True when the text was cut at a paywall prompt (what is left may be only a teaser).
    paywall_cut: bool = False


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


def clean_text(text: str) -> CleanText:
    """Remove paywall prompts, plan-price lines, orphan link labels and syndication notes."""
    kept: list[str] = []
    removed: list[str] = []
    wire_note = None
    lines = text.splitlines()
    for position, line in enumerate(lines):
        stripped = line.strip()
        if PAYWALL_MARKERS.search(stripped) or PAYWALL_INLINE.search(stripped):
            removed.extend(lines[position:])
            return CleanText(text="\n".join(kept), wire_note=wire_note, removed_lines=removed, paywall_cut=True)
        if PRICE_LINE.match(stripped) or LINK_LABEL.match(stripped) \
                or (RIGHTS_LINE.search(stripped) and len(stripped) < 200):
            removed.append(line)
        elif SYNDICATION_NOTE.search(stripped) and len(stripped) < 400:
            wire_note = wire_note or stripped.strip("() ")
            removed.append(line)
        elif stripped:
            kept.append(stripped)
    return CleanText(text="\n".join(kept), wire_note=wire_note, removed_lines=removed)


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
    page = _parse_head(tree)
    page_type = page.get("og_type", "").lower()
    if page_type and not page_type.startswith(ARTICLE_OG_TYPES):
        # Sites label section fronts "website" and video pages "video.*": their text is teasers.
        return Rejection(reason=f"not an article: the page says it is a {page_type!r} (og:type)")
    document = trafilatura.bare_extraction(tree, url=url, **EXTRACTOR_OPTIONS)
    if document is None or not (document.text or "").strip():
        return Rejection(reason="not an article: no article text found")
    cleaned = clean_text(document.text)
    text, site_lines = strip_known(cleaned.text, boilerplate)
    words = word_count(text)
    if words < min_words:
        return Rejection(reason=f"not an article: only {words} words of text (minimum {min_words})")
    cleaned = CleanText(text=text, wire_note=cleaned.wire_note, paywall_cut=cleaned.paywall_cut,
                        removed_lines=cleaned.removed_lines + site_lines)
    return ExtractedArticle(
        title=document.title or page.get("og_title"),
        author=document.author,
        published_at=_published_at(page.get("published"), document.date),
        site_name=document.sitename,
        language=_language(document.language or page.get("lang"), text),
        page_canonical_url=page.get("canonical") or page.get("og_url"),
        top_image=page.get("og_image") or document.image,
        text=text,
        text_hash=text_fingerprint(text),
        word_count=words,
        wire_note=cleaned.wire_note,
        wire_source=wire_source(cleaned),
        quality_flags=quality_flags(cleaned, words, summary=summary),
        extraction={**EXTRACTOR, "removed_lines": len(cleaned.removed_lines), "boilerplate_lines": len(site_lines),
                    "encoding": decoded.encoding,
                    **({"encoding_note": decoded.note} if decoded.note else {}),
                    **({"mojibake_repaired": True} if repaired else {})},
    )


# Typical UTF-8-read-as-cp1252 sequences: "Ã©", "â€™", "Ã¼"…
MOJIBAKE = re.compile(r"[ÃÂ][\u0080-\u00bf\u2018-\u201e\u2020-\u2122]|â€[™œ\u009d“”˜¦\x80-\xbf]")


def repair_mojibake(text: str) -> tuple[str, bool]:
    """Undo double-encoding (ftfy) when the text shows its signs; -> (text, repaired?)."""
    if not MOJIBAKE.search(text):
        return text, False
    fixed = ftfy.fix_text(text, uncurl_quotes=False, normalization="NFC")
    return fixed, fixed != text


WIRE_AGENCIES = {
    "reuters": "Reuters", "ap": "AP", "associated press": "AP", "afp": "AFP", "agence france-presse": "AFP",
    "dpa": "dpa", "efe": "EFE", "ansa": "ANSA", "pti": "PTI", "ani": "ANI", "ians": "IANS", "xinhua": "Xinhua",
    "bloomberg": "Bloomberg", "upi": "UPI", "tass": "TASS", "kyodo": "Kyodo", "yonhap": "Yonhap",
}
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


HEAD_XPATHS = {
    "lang": "string(/html/@lang)",
    "canonical": "string(//link[@rel='canonical']/@href)",
    "og_url": "string(//meta[@property='og:url']/@content)",
    "og_title": "string(//meta[@property='og:title']/@content)",
    "og_type": "string(//meta[@property='og:type']/@content)",
    "og_image": "string(//meta[@property='og:image']/@content)",
    "published": "string(//meta[@property='article:published_time']/@content)",
}


def _parse_head(tree) -> dict[str, str]:
    """Metadata trafilatura does not return: declared language, canonical URL, precise time."""
    found = {}
    for key, xpath in HEAD_XPATHS.items():
        value = str(tree.xpath(xpath)).strip()
        if value:
            found[key] = value
    return found


def _published_at(meta_time: str | None, extracted_date: str | None) -> datetime | None:
    """Prefer the page's machine-readable timestamp (with time of day) over the date alone."""
    for candidate in (meta_time, extracted_date):
        if not candidate:
            continue
        try:
            value = datetime.fromisoformat(candidate.replace("Z", "+00:00"))
        except ValueError:
            continue
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return None


def _language(declared: str | None, text: str) -> str | None:
    if declared:
        return declared.split("-")[0].split("_")[0].lower()[:8] or None
    language, _score = py3langid.classify(text[:2000])
    return language
