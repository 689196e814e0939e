"""Page metadata: what the page says about the article (head tags, JSON-LD, byline, dates,
standfirst), and the "Updated …" line beside the headline that misleads the date search, read from
the parsed page before trafilatura prunes it. Whether the page is an article at all: `wirewatch.extraction.pagekind`.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from itertools import islice
from urllib.parse import urlsplit

from py3langid.langid import MODEL_FILE, LanguageIdentifier
import trafilatura.metadata as tm
from trafilatura.json_metadata import extract_json
from htmldate import find_date
from trafilatura.settings import Document

from wirewatch.extraction.cleaning import WIRE_AGENCIES
from wirewatch.text import WORD, letters_and_digits, shared_words, word_count

LOGGER = logging.getLogger(__name__)

# htmldate: original publication date, searched in the text and URL when no meta tag has it.
DATE_OPTIONS = {"original_date": True, "extensive_search": True}

# <meta property|name=…> and <link rel=…> values read from the page head, by the key they are stored under.
HEAD_META = {
    "og:url": "og_url", "og:title": "og_title", "og:type": "og_type", "og:image": "og_image",
    "description": "description", "og:description": "og_description", "article:published_time": "published",
}
HEAD_LINKS = {"canonical": "canonical"}


# Words that end the name in a byline string ("Par X Publié le …") or mark a credit that is not a person.
NOT_A_PERSON = re.compile(r"\b(?:publié|modifié|published|updated|aktualisiert|actualizado|quelle|source|fuente"
                          r"|staff|redacción|rédaction|redaktion)\b", re.IGNORECASE)


# The standfirst (dek, chapô, Vorspann, entradilla) under the headline: the story's first paragraph
# for its readers, though it often sits outside the body that trafilatura extracts.
STANDFIRST_CLASS = re.compile(r"(?:^|[\s_-])(?:standfirst|dek|deck|subtitle|sub-title|chapo|chapeau|entradilla"
                              r"|vorspann|entry-summary|article-summary|article-lead|intro)(?:$|[\s_-])",
                              re.IGNORECASE)
STANDFIRST_MAX_CHARS = 600


def standfirst(header: list) -> str | None:
    """The standfirst's text, from the first standfirst-classed element around the headline."""
    for element in header:
        if element.tag in ("p", "div", "h2", "span") and STANDFIRST_CLASS.search(element.get("class") or ""):
            text = " ".join(element.text_content().split())
            if 0 < len(text) <= STANDFIRST_MAX_CHARS and word_count(text) >= HEADLINE_MIN_WORDS:
                return text
    return None


# The byline and the date line sit next to the headline: only the elements around the <h1> are
# searched, which costs a fraction of a search of the whole document.
HEADER_ELEMENTS = 150


def header_elements(tree) -> list:
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


def drop_update_lines(header: list) -> None:
    """Remove an "Updated …" date line from around the headline. The standfirst stays: it is
    part of the story as its readers (and the real pages' ground truth) see it."""
    for element in header:
        if element.getparent() is None or element.tag not in ("p", "div", "h2", "h3", "span", "time", "li"):
            continue
        text = element.text_content()
        if len(text) < UPDATED_MAX_CHARS and UPDATED_LABEL.match(text):
            element.drop_tree()


PHOTO_CREDIT = re.compile(r"^\W*(?:fotos?|photos?|photographs?|bilder?|images?)\b", re.IGNORECASE)
AGENCY_TOKEN = re.compile(r"\b(?:AFP|AP|Reuters|dpa|EFE|ANSA|Xinhua|TASS|PTI|ANI)\b")


# Bylines: the first byline-like element's links to author pages ("By <a rel=author>A</a> and <a>B</a>"),
# which name every co-author where trafilatura keeps only the first.
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


def author_names(extracted: str | None, byline: list[str], site_name: str | None = None,
                 url: str | None = None) -> str | None:
    """Authors as "A; B": the byline's links when they name more, else trafilatura's. An agency,
    the outlet itself (its name or its domain), a photo credit, a role or a date label is not an
    author (an agency is kept as wire_source)."""
    if extracted and PHOTO_CREDIT.match(extracted) and not byline:
        return None
    names = byline if byline and (not extracted or len(byline) >= len(extracted.split(";"))) \
        else [name.strip() for name in (extracted or "").split(";")]
    outlet = {letters_and_digits(site_name or "", casefold=True), *_domain_names(url)} - {""}
    people: list[str] = []
    for name in (part for name in names for part in NAME_JOINER.split(name)):
        name = NOT_A_PERSON.split(BYLINE_LEAD.sub("", name, count=1))[0]
        name = ROLE_WORDS.sub("", name).strip(" ,;:|-")
        name = _undoubled(name)
        key = letters_and_digits(name, casefold=True)
        if name and key and name.lower() not in WIRE_AGENCIES and not AGENCY_TOKEN.search(name) \
                and not any(o in key or key in o for o in outlet) \
                and key not in {letters_and_digits(p, casefold=True) for p in people}:
            people.append(name)
    return "; ".join(people) or None


# "A and B", "A und B", "A og B": two authors in one credit.
NAME_JOINER = re.compile(r"\s+(?:and|und|og|och|et|ja|és|&)\s+", re.IGNORECASE)
# A byline word within the first words ("By A", "Capital Von A", "Autor: A") and what precedes it.
BYLINE_LEAD = re.compile(r"^\W*(?:(?:\w+\s+)?(?:by|von|par|por)|di|autor(?:in)?|author|text|texto)\s*(?:\s|:)\W*",
                         re.IGNORECASE)
# Job titles next to a name ("Journalist", "기자", "記者"): not part of it.
ROLE_WORDS = re.compile(r"(?:^|\s)(?:journalist(?:in)?|reporter(?:in)?|redakteur(?:in)?|korrespondent(?:in)?"
                        r"|correspondent|editor|기자|記者|特派員)(?=\s|$)", re.IGNORECASE)


def _domain_names(url: str | None) -> set[str]:
    """"ndr.de" -> {"ndrde", "ndr"}: how a credit names the outlet by its domain."""
    host = (urlsplit(url).hostname or "") if url else ""
    parts = [p for p in host.split(".") if p not in ("www", "m", "amp")]
    if len(parts) < 2:
        return set()
    name = parts[-3] if len(parts) >= 3 and parts[-2] in ("co", "com", "org", "net", "gov") else parts[-2]
    names = {name + parts[-1], name} if len(name) > 2 else {name + parts[-1]}
    return {letters_and_digits(n, casefold=True) for n in names}


def _undoubled(name: str) -> str:
    """"Martin Gramnæs Martin Gramnæs" (a name printed twice by the page) -> "Martin Gramnæs"."""
    words = name.split()
    half = len(words) // 2
    return " ".join(words[:half]) if len(words) % 2 == 0 and half and words[:half] == words[half:] else name


def parse_head(tree, header: list) -> dict[str, str]:
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

# A headline has at least this many words; a shorter <h1> is the site's logo or a section name.
HEADLINE_MIN_WORDS = 4
HEADLINE_MAX_CHARS = 400
# " | Site", " - Site.de", " – DW – 28.04.2023", "-Section|Site" (Korean sites write the bar as ㅣ):
# the site's name after a separator in <title>/og:title; after a dash, three words at most (more are
# the headline's own: "… - und viele offene Fragen").
TITLE_SUFFIX = re.compile(r"\s+[|–—-]\s+\S+(?:\s+\S+){0,2}$|(?:[-–—][^\s|ㅣ–—-]{1,12})?\s*[|ㅣ]\s*[^|ㅣ]{1,60}$")


def headline(tree, declared: list[str | None]) -> str | None:
    """The story's headline as the page shows it: the <h1> agreeing most with the headlines the
    page declares (JSON-LD headline, og:title, <title>), which often carry the site's name or an SEO
    wording; without a usable <h1>, the first declared headline without the site's name."""
    declared = [" ".join(d.split()) for d in declared if d and d.strip()]
    shown = []
    for element in tree.iter("h1"):
        text = " ".join(element.text_content().replace("\xad", "").split())
        if len(text) <= HEADLINE_MAX_CHARS and word_count(text) >= HEADLINE_MIN_WORDS and text not in shown:
            shown.append(text)
    stripped = [TITLE_SUFFIX.sub("", d) for d in declared]
    if not shown:
        return stripped[0] if stripped else None
    declared = [*declared, *stripped]
    best = max(shown, key=lambda text: (max((shared_words(text, d, share_of="first") for d in declared), default=0.0), -shown.index(text)))
    # An <h1> holding a kicker and the headline reads "Kicker Headline"; the declared headline with
    # the same words punctuates it ("Kicker: Headline").
    words = sorted(WORD.findall(best.lower()))
    return next((d for d in declared if sorted(WORD.findall(d.lower())) == words), best)


def page_metadata(tree, url: str, ld_blocks: list, *, byline_found: bool = False) -> Document:
    """Title, author, site name, language, image and description, from trafilatura's own
    metadata functions, in the order of its `extract_metadata` — minus categories, tags and licence,
    which wirewatch does not store and which cost a third of the metadata time — and minus the
    date, which `publication_time` finds only when the head does not say it. `byline_found`: the
    byline near the headline named the authors already (`parse_head`). The date comes from
    htmldate: meta tags and JSON-LD first, then (`extensive_search`) the visible text and the URL,
    preferring the original publication date over an update."""
    metadata = tm.examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    # trafilatura's reading of the JSON-LD, on the blocks already parsed (`pagekind.jsonld_blocks`);
    # broken blocks are skipped: its regex salvage of them cost a sixth of all extraction time.
    for block in ld_blocks:
        try:
            metadata = extract_json(block, metadata)
        except Exception as exc:  # trafilatura's JSON-LD reader on a hostile page
            LOGGER.warning("JSON-LD metadata unreadable on %s: %s", url, exc)
    metadata.title = metadata.title or tm.extract_title(tree)
    if not byline_found:  # trafilatura's search of the whole page for a byline: the slowest step here
        metadata.author = metadata.author or tm.extract_author(tree)
    metadata.url = metadata.url or url
    metadata.sitename = (metadata.sitename or tm.extract_sitename(tree) or "").lstrip("@") or None
    metadata.clean_and_trim()
    return metadata

def publication_time(tree, url: str, meta_time: str | None) -> datetime | None:
    """The page's machine-readable timestamp (article:published_time, with time of day), else
    htmldate's search: meta tags and JSON-LD first, then (`extensive_search`) the visible text and
    the URL, preferring the original publication date over an update."""
    return _parse_time(meta_time) or _parse_time(find_date(tree, url=url, **DATE_OPTIONS))


def _parse_time(candidate: str | None) -> datetime | None:
    if not candidate:
        return None
    try:
        value = datetime.fromisoformat(candidate.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


# One code per language whatever the page declares: Norwegian Bokmål/Nynorsk as "no", as the
# classifier names it, so that counts by language do not split.
LANGUAGE_ALIASES = {"nb": "no", "nn": "no", "iw": "he", "in": "id", "ji": "yi"}
# A declared language is overruled by the text's when the classifier is this sure on this much text
# (Zulu and Xhosa sites declare "en" on every page).
OVERRULE_CONFIDENCE = 0.95
OVERRULE_MIN_WORDS = 50
LANGUAGE_SAMPLE_CHARS = 1000
LANGUAGE_GLANCE_CHARS = 300
_IDENTIFIER = None


def language_of(declared: str | None, text: str) -> str | None:
    """The article's ISO 639-1 language: the page's declaration unless the text plainly says otherwise."""
    global _IDENTIFIER
    if _IDENTIFIER is None:  # loaded once per process, on first use
        _IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    code = declared.split("-")[0].split("_")[0].lower()[:8] if declared else ""
    code = LANGUAGE_ALIASES.get(code, code)
    if not text.strip():
        return code or None
    if code and _classify(text[:LANGUAGE_GLANCE_CHARS])[0] == code:
        return code  # a glance agrees with the declaration (most pages): no longer sample needed
    sample = text[:LANGUAGE_SAMPLE_CHARS]
    found, confidence = _classify(sample)
    if not code or (found != code and confidence >= OVERRULE_CONFIDENCE and word_count(sample) >= OVERRULE_MIN_WORDS):
        return found
    return code


def _classify(sample: str) -> tuple[str, float]:
    found, confidence = _IDENTIFIER.classify(sample)
    return LANGUAGE_ALIASES.get(found, found), confidence
