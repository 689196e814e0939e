"""Story text a page carries as data rather than markup: JSON-LD `articleBody` and script state.

Many publishers put the whole story in their JSON-LD `articleBody`, often as escaped HTML; sites built on JavaScript frameworks (Next.js, Nuxt, React Query, Fusion…) ship the article as
data inside a <script> (`"contentHtml": "<p>…"`) and render it in the browser, so the HTML that a
crawler gets has headline and chrome but no paragraphs. The longest prose-like string literal in
the page's inline scripts is then the story; HTML inside it goes through trafilatura like a page.
"""

from __future__ import annotations

import html
import json
import re

import trafilatura

from wirewatch.extraction.pagekind import ARTICLE_LD_TYPES, ld_types_of
from wirewatch.text import word_count

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*ld\+json)[^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL)
# A double-quoted JSON/JS string literal long enough to be a story.
LONG_LITERAL = re.compile(r'"((?:[^"\\]|\\.){400,})"', re.DOTALL)
SENTENCE_END = re.compile(r"[.!?。！？](?:\s|<|$)")
MIN_SENTENCES = 3


def jsonld_article_text(ld_objects: list[dict]) -> str | None:
    """The text of the longest `articleBody` an article object in the page's JSON-LD carries."""
    bodies = [item["articleBody"] for item in ld_objects
              if isinstance(item.get("articleBody"), str) and ld_types_of(item) & ARTICLE_LD_TYPES]
    return data_text(max(bodies, key=len)) if bodies else None


def script_state_text(page_text: str) -> str | None:
    """The most story-like text held in the page's inline scripts, or None."""
    best, best_words = None, 0
    for script in INLINE_SCRIPT.finditer(page_text):
        for literal in LONG_LITERAL.finditer(script.group(1)):
            text = _as_text(literal.group(1))
            if not text or len(SENTENCE_END.findall(text)) < MIN_SENTENCES:
                continue
            words = word_count(text)
            if words > best_words:
                best, best_words = text, words
    return best


def _as_text(literal: str) -> str | None:
    try:
        value = json.loads(f'"{literal}"')
    except ValueError:
        return None  # JavaScript escapes JSON does not know: not the data we look for
    text = data_text(value)
    if not text or "://" in text[:200] or (text.count(" ") < len(text) / 40 and not _unspaced(text)):
        return None  # URLs, encoded blobs
    return text


ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z]+\d*);", re.IGNORECASE)


def data_text(value: str) -> str | None:
    """Plain text of a story held as data: entities decoded (some CMSs escape them twice), and
    HTML put through trafilatura like a page, which drops captions, embeds and link rails."""
    for _ in range(2):
        if not ENTITY.search(value):
            break
        value = html.unescape(value)
    if "<" in value and ">" in value:
        return trafilatura.extract(f"<html><body><article>{value}</article></body></html>", fast=True) or None
    return value.strip() or None


def _unspaced(value: str) -> bool:
    return word_count(value) > 2 * len(value.split())
