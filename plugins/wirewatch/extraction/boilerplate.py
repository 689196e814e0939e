"""Per-site boilerplate: a short line that recurs across many articles of one site is not story.

trafilatura removes a site's chrome, but lines the CMS puts *inside* the article body ("Follow us
on Telegram…", "This article is part of our … coverage", a newsletter plug) come out with the
story. Each site's short lines are counted, by a hash of their normalized form, as its articles
are extracted; a line is boilerplate once it has appeared in at least MIN_ARTICLES articles and
in at least MIN_SHARE of the site's articles since it first appeared (so a line a site adds
today is learned after a few articles, and a paragraph repeated by a few updates of one story
on a busy site is not). The warehouse keeps the counts (tables site_profiles and site_lines,
view site_boilerplate applies this same rule); `BoilerplateModel` is the in-memory equivalent.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

MIN_ARTICLES = 3
MIN_SHARE = 0.3
# Longer lines are story paragraphs: never counted, so the tables stay small.
MAX_LINE_CHARS = 320

_NOT_WORD = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d+")


def line_key(line: str) -> int:
    """A signed 64-bit hash of the line, ignoring case, punctuation and numbers ("3 hours ago")."""
    normal = _NOT_WORD.sub(" ", _DIGITS.sub("0", line.lower())).strip()
    return int.from_bytes(hashlib.blake2b(normal.encode(), digest_size=8).digest(), "big", signed=True)


def countable_lines(text: str) -> dict[int, str]:
    """The lines of a text that could be boilerplate, by key (each line once per article)."""
    found: dict[int, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and len(line) <= MAX_LINE_CHARS and any(c.isalpha() for c in line):
            found.setdefault(line_key(line), line)
    return found


def strip_known(text: str, known: frozenset[int]) -> tuple[str, list[str]]:
    """Drop the lines whose key is known boilerplate. -> (text, removed lines)."""
    if not known:
        return text, []
    kept, removed = [], []
    for line in text.splitlines():
        stripped = line.strip()
        if len(stripped) <= MAX_LINE_CHARS and line_key(stripped) in known:
            removed.append(line)
        else:
            kept.append(line)
    return "\n".join(kept), removed


def is_boilerplate(articles_with_line: int, site_articles_since_first_seen: int) -> bool:
    return articles_with_line >= MIN_ARTICLES and articles_with_line >= MIN_SHARE * site_articles_since_first_seen


@dataclass
class _Line:
    articles: int
    site_articles_before: int


@dataclass
class BoilerplateModel:
    """In-memory counts, for benchmarks and one-off runs; the pipeline keeps them in the warehouse."""

    site_articles: Counter = field(default_factory=Counter)
    lines: dict[str, dict[int, _Line]] = field(default_factory=dict)

    def observe(self, site: str, text: str) -> None:
        site_lines = self.lines.setdefault(site, {})
        for key in countable_lines(text):
            if key in site_lines:
                site_lines[key].articles += 1
            else:
                site_lines[key] = _Line(articles=1, site_articles_before=self.site_articles[site])
        self.site_articles[site] += 1

    def known(self, site: str) -> frozenset[int]:
        total = self.site_articles[site]
        return frozenset(key for key, line in self.lines.get(site, {}).items()
                         if is_boilerplate(line.articles, total - line.site_articles_before))
