"""Dedup: decide which story an article belongs to.

Exact duplicate: same fingerprint of normalised text. Syndicated copy: its 5-word shingles are
mostly contained in an earlier article's (containment = shared / smaller set, so a truncated
copy or one with an added intro still matches). This first method compares against every
candidate in the time window; it is an in-memory scan, fine for tens of thousands of articles.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from wirewatch.text import normalize_for_hash

SHINGLE_WORDS = 5
# Below this many shingles a text is too short to call a copy on overlap alone.
MIN_SHINGLES = 10


def shingles(text: str, size: int = SHINGLE_WORDS) -> frozenset[int]:
    words = normalize_for_hash(text).split()
    if len(words) < size:
        return frozenset({zlib.crc32(" ".join(words).encode())}) if words else frozenset()
    return frozenset(zlib.crc32(" ".join(words[i:i + size]).encode()) for i in range(len(words) - size + 1))


def containment(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


@dataclass(frozen=True)
class StoryMatch:
    """`kind` is 'exact', 'near' or 'new'; for 'new' the caller creates the story."""

    kind: str
    story_id: int | None = None
    matched_article_id: int | None = None
    similarity: float = 1.0


@dataclass
class _Known:
    article_id: int
    story_id: int
    text_hash: str
    shingles: frozenset[int]


@dataclass
class StoryIndex:
    """Articles already assigned to stories, searched for the story of each new article."""

    threshold: float = 0.5
    _known: list[_Known] = field(default_factory=list)
    _by_hash: dict[str, _Known] = field(default_factory=dict)

    def add(self, *, article_id: int, story_id: int, text_hash: str, text: str) -> None:
        known = _Known(article_id, story_id, text_hash, shingles(text))
        self._known.append(known)
        # The first article with a fingerprint is the original the others duplicate.
        self._by_hash.setdefault(text_hash, known)

    def __len__(self) -> int:
        return len(self._known)

    def match(self, *, text_hash: str, text: str) -> StoryMatch:
        exact = self._by_hash.get(text_hash)
        if exact is not None:
            return StoryMatch("exact", exact.story_id, exact.article_id, 1.0)
        mine = shingles(text)
        if len(mine) < MIN_SHINGLES:
            return StoryMatch("new", similarity=0.0)
        best: _Known | None = None
        best_score = 0.0
        for known in self._known:
            if len(known.shingles) < MIN_SHINGLES:
                continue
            score = containment(mine, known.shingles)
            if score > best_score:
                best, best_score = known, score
        if best is not None and best_score >= self.threshold:
            return StoryMatch("near", best.story_id, best.article_id, round(best_score, 4))
        return StoryMatch("new", similarity=round(best_score, 4))
