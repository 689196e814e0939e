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
from itertools import islice

import ftfy
import py3langid
import trafilatura
import trafilatura.metadata as tm
from htmldate import find_date
from trafilatura.settings import Document

from wirewatch.boilerplate import strip_known
from wirewatch.encoding import decode_page
from wirewatch.text import text_fingerprint, word_count

LOGGER = logging.getLogger(__name__)

HTML_TYPES = {"text/html", "application/xhtml+xml"}
# og:type values of story pages; anything else declared (website, video.other, profile…) is not one.
ARTICLE_OG_TYPES = ("article", "news")

# trafilatura runs in its fast mode (no readability/jusText comparison) unless the text comes out
# shorter than this; long texts lose nothing, short ones (galleries) need the comparison.
FULL_EXTRACTION_BELOW_WORDS = 200

# htmldate: original publication date, searched in the text and URL when no meta tag has it.
DATE_OPTIONS = {"original_date": True, "extensive_search": True}

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

# Lines that start a paywall / subscription prompt: from the first such line on, nothing is story.
# English plus the most common forms in French, German, Spanish, Italian and Portuguese.
PAYWALL_MARKERS = re.compile(
    r"""^\W*(?:[A-Z]{1,4}\+\s*)?(?:
        you[’']?ve\ (?:reached|hit|used)\ (?:all\ )?(?:your|the)\ (?:limit|maximum|last\ free|free)
      | you\ have\ (?:reached|used)\ (?:your|the|all)\ .{0,40}(?:free|limit)
      | subscribe\ (?:now|today|from|for\ (?:just\ )?[₹$€£]|to\ (?:read|continue|keep|unlock|get))
      | already\ (?:a\ )?(?:subscribed|subscriber|a\ member)
      | (?:sign|log)\ in\ to\ (?:read|continue)
      | to\ continue\ reading | keep\ reading\ with | continue\ reading\ with
      | members?\ only\W*$ | subscribers?\ only\W*$
      | the\ rest\ of\ this\ (?:article|story|analysis|report)\ is\ (?:available|reserved|for)
      | il\ vous\ reste\ \d+\s?%
      | dieser\ artikel\ ist\ (?:exklusiv\ )?für\ abonnent
      | suscríbete\ para\ (?:seguir\ leyendo|leer)
      | register\ (?:now\ |for\ free\ )?to\ (?:continue|read|keep\ reading)
      | create\ a\ free\ account\ to
      | this\ (?:article|story|content)\ is\ (?:for|reserved\ for|available\ to)\ (?:subscribers|members)
      | (?:unlock|get)\ unlimited\ (?:digital\ )?access
      | renews\ automatically
      | abonnez-vous | déjà\ abonné | cet\ article\ est\ réservé\ aux\ abonnés
      | jetzt\ abonnieren | bereits\ abonnent | weiterlesen\ mit | article\ réservé\ (?:à\ nos|aux)\ abonnés
      | suscríbete | ya\ (?:eres|soy)\ suscriptor | contenido\ exclusivo\ para\ suscriptores
      | abbonati | sei\ già\ abbonato
      | assine\ (?:já|agora) | já\ é\ assinante
    )""",
    re.IGNORECASE | re.VERBOSE,
)
PAYWALL_INLINE = re.compile(r"\b\d+\s+free\s+articles?\b|\{\{\s*free_limit\s*\}\}", re.IGNORECASE)

# A line that is only a price, a period or a per-period price, or a short plan line carrying one
# ("Analyst membership — $19/month", "RB+ Digital 9,99 € / Monat"): plan tables, not prose.
PRICE_LINE = re.compile(
    r"^\s*(?:[₹$€£¥]|rs\.?|usd|eur|gbp|inr)\s?\d[\d,.]*\s*(?:/\s*\w+)?\s*$"
    r"|^\s*\d+\s+(?:months?|years?|weeks?|days?)\s*$"
    r"|^\s*[₹$€£¥]\s?\d[\d,.]*\s*(?:per|a|/)\s*\w+\s*$",
    re.IGNORECASE,
)
PRICE = r"(?:[₹$€£¥]\s?\d[\d,.]*|\d[\d,.]*\s?(?:€|eur\b|euros?\b|\$|£))"
PERIOD = r"(?:month|year|week|day|monat|jahr|woche|mois|an|année|semaine|mes|año|semana|mese|anno)s?"
PLAN_LINE = re.compile(rf"{PRICE}\s*(?:/|per|a|an|pro|par|al|por|le|la|the)?\s*(?:first\s+|premier\s+|erste[rn]?\s+|primer\s+)?{PERIOD}\b"
                       rf"|\b(?:first|premier|erste[rn]?|primer)\s+{PERIOD}\s*(?:for|pour|für|por)?\s*{PRICE}", re.IGNORECASE)
PLAN_LINE_MAX = 120

# A line that is only a "read more"-style label: the links it introduced are already gone.
LINK_LABEL = re.compile(
    r"^\W*(?:read\ more|related(?:\ (?:stories|articles|coverage|reading))?|see\ also|also\ read|more\ on\ this"
    r"|recommended|lire\ aussi|mehr\ zum\ thema|lesen\ sie\ auch|leer\ más|leggi\ anche)\W*$",
    re.IGNORECASE | re.VERBOSE,
)
# A label followed by the linked headline on the same line ("READ MORE: …", "Lire aussi : …").
LINK_LINE = re.compile(
    r"^\W*(?:read\s+more|related|see\s+also|also\s+read|more\s+on\s+this|lire\s+aussi|à\s+lire\s+aussi"
    r"|mehr\s+zum\s+thema|lesen\s+sie\s+auch|leer\s+más|lee\s+también|te\s+puede\s+interesar|leggi\s+anche"
    r"|leia\s+também)\s*[:|–—-]",
    re.IGNORECASE,
)
LINK_LINE_MAX = 220

# Furniture between paragraphs: ad and share labels, gallery counters and photo credits.
FURNITURE = re.compile(
    r"^\W*(?:advertisement|advertising|anzeige|werbung|publicité|publicidad|pubblicità|sponsored"
    r"|share(?:\s+this(?:\s+(?:story|article))?)?|teilen|partager|compartir|condividi)\W*$"
    r"|^\W*\d+\s*(?:of|de|von|sur|di|/)\s*\d+\W*$"
    r"|^\W*(?:photos?|fotos?|bild(?:er)?|images?|crédits?\s+photo|credits?|picture)\s*:\s*[^.!?]{0,90}$"
    r"|^\W*share\s+this\s+(?:story|article)\s*:",
    re.IGNORECASE,
)

# Newsletter boxes and sign-up fine print.
NEWSLETTER = re.compile(
    r"^\W*newsletter\b|\bsign\s+up\b.{0,60}\b(?:newsletter|inbox|email)|\bin\s+your\s+inbox\b"
    r"|\bemail\s+address\s*sign\s+up|\bunsubscribe\s+at\s+any\s+time|\bin\s+ihr(?:em)?\s+postfach"
    r"|\babmeldung\s+jederzeit|\bdatenschutzerklärung\b.{0,40}\b(?:akzeptieren|zustimmen)|\ben\s+tu\s+correo\b"
    r"|\bdans\s+votre\s+boîte\b|\binscrivez-vous\s+à\s+(?:la|notre)\s+newsletter|\bboletín\b.{0,40}$",
    re.IGNORECASE,
)
NEWSLETTER_MAX = 200

# Cookie/consent banner lines (kept when they are most of the text: then the page *is* the banner,
# and the consent_text flag says so).
COOKIE_LINE = re.compile(r"\bcookies?\b.{0,200}\b(?:partners?|partenaires|partner|socios|consent|accept"
                         r"|personali[sz]|choices|choix|zustimm|einwillig|aceptar|privacy|datenschutz)"
                         r"|\b(?:partners?|partenaires|partner)\b.{0,120}\bcookies?\b", re.IGNORECASE)

# Corrections and contact lines: a short line with an email address is a "write to us" box.
CONTACT_LINE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
CONTACT_LINE_MAX = 200

# Wire credits at the foot of a story: "Reporting by …; Editing by …", "dpa-infocom", "avec AFP – bur/xy".
CREDIT_LINE = re.compile(
    r"^\W*(?:(?:additional\s+)?(?:reporting|writing)\s+by\b.{0,200}(?:editing|reporting)\s+by\b"
    r"|editing\s+by\s+[A-Z]|dpa-infocom\b|[^.]{0,60}\bavec\s+(?:AFP|Reuters|AP)\b\s*[–—-]"
    r"|\(?(?:\w+\s+){0,3}(?:afp|reuters|dpa|efe|ap)\)?\s*[–—-]?\s*[a-z]{2,5}(?:-[a-z]{2,5})?/[a-z]{2,5}(?:/[a-z]{2,5})*\W*$)",
    re.IGNORECASE,
)

# Notes on a story's history, not part of it.
AMENDMENT_LINE = re.compile(r"^\W*(?:this\s+(?:article|story)\s+(?:was|has\s+been)\s+(?:amended|corrected)\b"
                            r"|correction\s*:|clarification\s*:)", re.IGNORECASE)

# Header lines trafilatura sometimes keeps above the story: byline and date lines.
BYLINE = re.compile(r"^\W*(?:by|von|par|por|di)\s+(?=\w)", re.IGNORECASE)
DATE_LINE = re.compile(r"\b(?:19|20)\d\d\b")
HEADER_ZONE = 8

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


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _strip_header(lines: list[str], title: str | None, description: str | None) -> tuple[list[str], list[str]]:
    """Drop what sits above the story when trafilatura keeps it: kicker and headline (everything
    up to a line equal to the title, within the first lines), then the standfirst (equal to the
    page's description), byline and date lines."""
    head = [line.strip() for line in lines[:HEADER_ZONE]]
    start = 0
    if title:
        start = next((i + 1 for i, line in enumerate(head) if _same(line, title)), 0)
    while start < len(lines):
        line = lines[start].strip()
        if not line or (description and _same(line, description)) \
                or (len(line) < 150 and BYLINE.match(line)) \
                or (start < HEADER_ZONE and len(line) < 100 and DATE_LINE.search(line) and len(line.split()) <= 12
                    and not line.endswith(".")):
            start += 1
        else:
            break
    return lines[start:], lines[:start]


def _is_furniture(line: str) -> bool:
    """Lines that are page furniture wherever they appear (all checks are on short lines only)."""
    length = len(line)
    return bool(
        PRICE_LINE.match(line) or LINK_LABEL.match(line) or FURNITURE.match(line)
        or (length < 200 and RIGHTS_LINE.search(line))
        or (length < LINK_LINE_MAX and LINK_LINE.match(line))
        or (length < NEWSLETTER_MAX and NEWSLETTER.search(line))
        or (length < CONTACT_LINE_MAX and CONTACT_LINE.search(line))
        or (length < 300 and (CREDIT_LINE.match(line) or AMENDMENT_LINE.match(line)))
    )


def clean_text(text: str, *, title: str | None = None, description: str | None = None) -> CleanText:
    """Remove what is not story from an extracted text: the headline block above it, paywall
    prompts (and everything after them), plan-price tables, link lists, newsletter boxes, cookie
    banners, share/ad labels, photo credits, contact and correction notes, wire credits; keep
    syndication notes apart as `wire_note`. Each rule is general (no site's wording) and
    multilingual where sites are; recurring site-specific lines are `boilerplate`'s job."""
    lines, removed = _strip_header(text.splitlines(), title, description)
    stripped_lines = [line.strip() for line in lines]
    plan_lines = sum(1 for line in stripped_lines if len(line) <= PLAN_LINE_MAX and PLAN_LINE.search(line))
    cookie_lines = sum(1 for line in stripped_lines if COOKIE_LINE.search(line))
    # A lone price in a short line may be a story's; a plan table has several.
    drop_plans = plan_lines >= 2
    # Most of the text being a cookie banner means that is all the page gave: keep it, flag it.
    drop_cookies = cookie_lines <= 0.3 * max(1, sum(1 for line in stripped_lines if line))
    kept: list[str] = []
    wire_note = None
    for position, (line, stripped) in enumerate(zip(lines, stripped_lines)):
        if PAYWALL_MARKERS.search(stripped) or PAYWALL_INLINE.search(stripped):
            removed.extend(lines[position:])
            return CleanText(text="\n".join(kept), wire_note=wire_note, removed_lines=removed, paywall_cut=True)
        if SYNDICATION_NOTE.search(stripped) and len(stripped) < 400:
            wire_note = wire_note or stripped.strip("() ")
            removed.append(line)
        elif _is_furniture(stripped) \
                or (drop_plans and len(stripped) <= PLAN_LINE_MAX and PLAN_LINE.search(stripped)) \
                or (drop_cookies and COOKIE_LINE.search(stripped)):
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
    header = _header_elements(tree)
    page = _parse_head(tree, header)
    page_type = page.get("og_type", "").lower()
    if page_type and not page_type.startswith(ARTICLE_OG_TYPES):
        # Sites label section fronts "website" and video pages "video.*": their text is teasers.
        return Rejection(reason=f"not an article: the page says it is a {page_type!r} (og:type)")
    _drop_header_extras(header)
    front = _section_front(tree)
    if front:
        return Rejection(reason=f"not an article: a section front ({front})")
    meta = page_metadata(tree, url)
    document = trafilatura.bare_extraction(tree, url=url, fast=True, **EXTRACTOR_OPTIONS)
    mode = "fast"
    if document is None or word_count(document.text or "") < FULL_EXTRACTION_BELOW_WORDS:
        # A short result (gallery captions, unusual markup): trafilatura's full mode, which also
        # compares with readability and jusText, recovers what the fast pass missed.
        tree = trafilatura.load_html(page_text)
        _drop_header_extras(_header_elements(tree))
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
        author=_author(meta.author, page["byline"].split("; ") if page.get("byline") else [], meta.sitename),
        published_at=_published_at(page.get("published"), meta.date),
        site_name=meta.sitename,
        language=_language(meta.language or page.get("lang"), text),
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


def page_metadata(tree, url: str) -> Document:
    """Title, author, date, site name, language, image and description, from trafilatura's own
    metadata functions, in the order of its `extract_metadata` — minus categories, tags and licence,
    which wirewatch does not store and which cost a third of the metadata time. The date comes from
    htmldate: meta tags and JSON-LD first, then (`extensive_search`) the visible text and the URL,
    preferring the original publication date over an update."""
    metadata = tm.examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    try:
        metadata = tm.extract_meta_json(tree, metadata)
    except Exception as exc:  # trafilatura's JSON-LD parser on a hostile page
        LOGGER.warning("JSON-LD metadata unreadable on %s: %s", url, exc)
    metadata.title = metadata.title or tm.extract_title(tree)
    metadata.author = metadata.author or tm.extract_author(tree)
    metadata.url = metadata.url or url
    metadata.date = find_date(tree, url=metadata.url, **DATE_OPTIONS)
    metadata.sitename = (metadata.sitename or tm.extract_sitename(tree) or "").lstrip("@") or None
    metadata.clean_and_trim()
    return metadata


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


# <meta property|name=…> and <link rel=…> values read from the page head, by the key they are stored under.
HEAD_META = {
    "og:url": "og_url", "og:title": "og_title", "og:type": "og_type", "og:image": "og_image",
    "description": "description", "og:description": "og_description", "article:published_time": "published",
}
HEAD_LINKS = {"canonical": "canonical"}


# Bylines: the first byline-like element's links to author pages ("By <a rel=author>A</a> and <a>B</a>"),
# which name every co-author where trafilatura keeps only the first.
NOT_A_PERSON = re.compile(r"\b(?:publié|modifié|published|updated|aktualisiert|actualizado|quelle|source|fuente"
                          r"|staff|redacción|rédaction|redaktion)\b", re.IGNORECASE)


# The standfirst (dek, chapô, Vorspann, entradilla) summarises the story above it; it is not story
# text, and keeping it makes two copies of one story differ when only one carries it.
STANDFIRST_CLASS = re.compile(r"(?:^|[\s_-])(?:standfirst|dek|deck|subtitle|sub-title|chapo|chapeau|entradilla"
                              r"|vorspann|entry-summary|article-summary)(?:$|[\s_-])", re.IGNORECASE)
STANDFIRST_MAX_CHARS = 400
# The standfirst and the byline sit next to the headline: only the elements around the <h1> are
# searched, which costs a fraction of a search of the whole document.
HEADER_ELEMENTS = 150


def _header_elements(tree) -> list:
    """The elements around the page's first <h1> (its grandparent's subtree), or [] if none."""
    headline = next(tree.iter("h1"), None)
    if headline is None:
        return []
    parent = headline.getparent()
    scope = parent.getparent() if parent is not None and parent.getparent() is not None else parent
    if scope is None or scope.tag in ("body", "html"):
        scope = parent if parent is not None and parent.tag not in ("body", "html") else None
    if scope is None:
        return list(headline.itersiblings())[:HEADER_ELEMENTS]
    return list(islice(scope.iter(), HEADER_ELEMENTS))


# An "Updated …" line next to the headline: dropped so that the date search (htmldate, inside
# trafilatura) finds the publication date, which the page shows beside it.
UPDATED_LABEL = re.compile(r"^\W*(?:last\s+)?(?:updated|modified|aktualisiert|geändert|modifié|mis\s+à\s+jour"
                           r"|actualizado|aggiornato|atualizado)\b", re.IGNORECASE)
UPDATED_MAX_CHARS = 120


def _drop_header_extras(header: list) -> None:
    """Remove the standfirst and any "Updated …" date line from around the headline."""
    for element in header:
        if element.getparent() is None or element.tag not in ("p", "div", "h2", "h3", "span", "time", "li"):
            continue
        text = element.text_content()
        if (len(text) < STANDFIRST_MAX_CHARS and STANDFIRST_CLASS.search(element.get("class") or "")) \
                or (len(text) < UPDATED_MAX_CHARS and UPDATED_LABEL.match(text)):
            element.drop_tree()


# Section fronts without og:type: many linked headlines ("teaser cards") and mostly link text.
LINKED_HEADLINES = "//h2[.//a]|//h3[.//a]|//h4[.//a]"
FRONT_MIN_HEADLINES = 12
FRONT_MIN_LINK_SHARE = 0.3


def _section_front(tree) -> str | None:
    """Why the page is an index of other stories, or None."""
    headlines = len(tree.xpath(LINKED_HEADLINES))
    if headlines < FRONT_MIN_HEADLINES:
        return None
    body = tree.find("body")
    if body is None:
        return None
    text = len("".join(body.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]")).split())
    links = len("".join(body.xpath(".//a//text()")).split())
    share = links / text if text else 0.0
    if share < FRONT_MIN_LINK_SHARE:
        return None
    return f"{headlines} linked headlines, {share:.0%} of its words are links"


PHOTO_CREDIT = re.compile(r"^\W*(?:fotos?|photos?|photographs?|bilder?|images?)\b", re.IGNORECASE)
AGENCY_TOKEN = re.compile(r"\b(?:AFP|AP|Reuters|dpa|EFE|ANSA|Xinhua|TASS|PTI|ANI)\b")


BYLINE_CLASS = re.compile(r"byline|author|firma|autor|story-meta|\bmeta", re.IGNORECASE)
AUTHOR_HREF = re.compile(r"/(?:author|autor|auteur|signataire|staff/|journalist|reporter|people/)", re.IGNORECASE)


def _byline_authors(header: list) -> list[str]:
    """The names linked from the first byline-like element near the headline."""
    for container in header:
        if not BYLINE_CLASS.search(container.get("class") or ""):
            continue
        names = []
        for link in container.iter("a"):
            if link.get("rel") == "author" or AUTHOR_HREF.search(link.get("href") or ""):
                name = " ".join(link.text_content().split())
                if name and name not in names and len(name) < 60:
                    names.append(name)
        if names:
            return names
    return []


def _author(extracted: str | None, byline: list[str], site_name: str | None = None) -> str | None:
    """Authors as "A; B": the byline's links when they name more, else trafilatura's. An agency,
    the outlet itself, a photo credit or a date label is not an author (an agency is kept as
    wire_source)."""
    if extracted and PHOTO_CREDIT.match(extracted) and not byline:
        return None
    names = byline if byline and (not extracted or len(byline) >= len(extracted.split(";"))) \
        else [name.strip() for name in (extracted or "").split(";")]
    people = []
    for name in names:
        name = NOT_A_PERSON.split(BYLINE.sub("", name, count=1) if BYLINE.match(name) else name)[0].strip(" ,;:|-")
        if name and name.lower() not in WIRE_AGENCIES and not AGENCY_TOKEN.search(name) \
                and not (site_name and site_name.casefold() in name.casefold()):
            people.append(name)
    return "; ".join(people) or None


def _parse_head(tree, header: list) -> dict[str, str]:
    """Metadata trafilatura does not return: declared language, canonical URL, precise time, bylines."""
    found = {}
    authors = _byline_authors(header)
    if authors:
        found["byline"] = "; ".join(authors)
    lang = (tree.get("lang") or "").strip()
    if lang:
        found["lang"] = lang
    # One pass over the <meta>/<link> elements rather than one XPath search of the document per field.
    for element in tree.iter("meta", "link"):
        if element.tag == "meta":
            key = HEAD_META.get(element.get("property") or element.get("name") or "")
            value = element.get("content")
        else:
            key = HEAD_LINKS.get((element.get("rel") or "").lower())
            value = element.get("href")
        if key and value and value.strip() and key not in found:
            found[key] = value.strip()
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
