"""Page metadata: what the page says about the article (head tags, JSON-LD, byline, dates),
and what around the headline is not story (standfirst, "Updated …" lines), read from the parsed
page before trafilatura prunes it. Also recognises section fronts that do not say what they are.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from itertools import islice

import py3langid
import trafilatura.metadata as tm
from htmldate import find_date
from trafilatura.settings import Document

from wirewatch.cleaning import BYLINE, WIRE_AGENCIES

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


# The standfirst (dek, chapô, Vorspann, entradilla) summarises the story above it; it is not story
# text, and keeping it makes two copies of one story differ when only one carries it.
STANDFIRST_CLASS = re.compile(r"(?:^|[\s_-])(?:standfirst|dek|deck|subtitle|sub-title|chapo|chapeau|entradilla"
                              r"|vorspann|entry-summary|article-summary)(?:$|[\s_-])", re.IGNORECASE)
STANDFIRST_MAX_CHARS = 400
# The standfirst and the byline sit next to the headline: only the elements around the <h1> are
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


def drop_header_extras(header: list) -> None:
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


def section_front(tree) -> str | None:
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


def author_names(extracted: str | None, byline: list[str], site_name: str | None = None) -> str | None:
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

def published_at(meta_time: str | None, extracted_date: str | None) -> datetime | None:
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


def language_of(declared: str | None, text: str) -> str | None:
    if declared:
        return declared.split("-")[0].split("_")[0].lower()[:8] or None
    language, _score = py3langid.classify(text[:2000])
    return language
