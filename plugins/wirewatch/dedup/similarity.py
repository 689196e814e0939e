"""Dedup: fingerprints of an article's text, and the decision which story it belongs to.

Exact duplicate: same hash of normalised text. Near duplicate (a syndicated copy with another
headline, chrome, an added intro, a dropped or truncated tail): found in two steps.

1. Candidates: a MinHash signature (datasketch) over the text's 5-word shingles is cut into
   `BANDS` bands of `ROWS` values; each band is hashed to one 64-bit key, stored in the
   warehouse's `article_bands` table and looked up through its index. Two texts share a band with
   probability 1 - (1 - J**ROWS)**BANDS for Jaccard similarity J: 32 bands of 2 rows find 98 % of
   pairs at J = 0.35 (the least similar copies in the labelled set), 95 % at J = 0.3, 73 % at
   J = 0.2 (a two-paragraph teaser of a ten-paragraph story, which also gets a chance with every
   other copy of its story), and 0.3 % of unrelated pairs at J = 0.01. 64 bands would find 93 %
   at J = 0.2 but double the index and the insert cost, which dominates the per-article cost.
2. Verification: the shingle sets of the new text and of each candidate are compared exactly.
   Containment (shared / smaller set) rather than Jaccard, so a truncated copy or one with an
   extra paragraph still counts as a copy.

Everything here is pure computation; the warehouse does the lookups and the locking.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

from wirewatch.text import fingerprint_of_normalized, normalize_for_hash

SHINGLE_WORDS = 5
# Below this many shingles a text is too short to call a copy on overlap alone.
MIN_SHINGLES = 10
# Signature layout. Changing any of these (or the seed) changes every band key: stored articles
# would need deduplicating again (`wirewatch reprocess`) before new ones could match them.
NUM_PERM = 64
BANDS = 32
ROWS = NUM_PERM // BANDS
# A teaser (the first paragraphs of a story, cut at a paywall) shares little of a long text's
# shingles but nearly all of its lead: LEAD_BANDS more keys from the signature of the first
# LEAD_WORDS words find it whatever its length.
LEAD_WORDS = 40
LEAD_BANDS = 4
KEYS_PER_TEXT = BANDS + LEAD_BANDS
SEED = 20261125
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=SEED).permutations
# Odd 64-bit multipliers that mix a band's values and its position into one key.
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F], dtype=np.uint64)
_BAND_SALT = (np.arange(BANDS + LEAD_BANDS, dtype=np.uint64) + np.uint64(1)) * np.uint64(0x165667B19E3779F9)


def _shingles_of(words: list[str], size: int = SHINGLE_WORDS) -> frozenset[int]:
    if len(words) < size:
        return frozenset({zlib.crc32(" ".join(words).encode())}) if words else frozenset()
    return frozenset(zlib.crc32(" ".join(words[i:i + size]).encode()) for i in range(len(words) - size + 1))


def shingles(text: str, size: int = SHINGLE_WORDS) -> frozenset[int]:
    """32-bit hashes of the text's overlapping `size`-word sequences (after normalisation)."""
    return _shingles_of(normalize_for_hash(text).split(), size)


def band_keys(shingle_set: Iterable[int], *, bands: int = BANDS, first_band: int = 0) -> tuple[int, ...]:
    """LSH band keys of a shingle set: the first `bands` bands of its MinHash signature, each
    hashed with its values and its position (from `first_band`) into a signed 64-bit integer."""
    values = list(shingle_set)
    if not values:
        return ()
    signature = MinHash(num_perm=NUM_PERM, hashfunc=int, permutations=_PERMUTATIONS, scheme="affine32")
    signature.update_batch(values)
    rows = signature.hashvalues.astype(np.uint64).reshape(BANDS, ROWS)[:bands]
    with np.errstate(over="ignore"):  # wrap-around multiplication is the point
        keys = (rows * _MIX[:ROWS]).sum(axis=1, dtype=np.uint64) ^ _BAND_SALT[first_band:first_band + bands]
        keys ^= keys >> np.uint64(29)
    return tuple(int(key) for key in keys.view(np.int64))


@dataclass(frozen=True)
class Fingerprint:
    """What dedup needs of a text: its exact hash, its shingles and its LSH band keys."""

    text_hash: str
    shingles: frozenset[int]
    band_keys: tuple[int, ...]

    @property
    def comparable(self) -> bool:
        """Long enough for overlap to mean anything (else only an exact copy can match)."""
        return len(self.shingles) >= MIN_SHINGLES


def fingerprint(text: str) -> Fingerprint:
    """Hash, shingles and LSH keys: BANDS keys of the whole text, LEAD_BANDS of its lead."""
    normalized = normalize_for_hash(text)  # once: it is most of the cost
    words = normalized.split()
    found = _shingles_of(words)
    text_hash = fingerprint_of_normalized(normalized)
    if len(found) < MIN_SHINGLES:
        return Fingerprint(text_hash, found, ())
    lead = band_keys(_shingles_of(words[:LEAD_WORDS]), bands=LEAD_BANDS, first_band=BANDS)
    return Fingerprint(text_hash, found, band_keys(found) + lead)


def containment(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True)
class Candidate:
    """An article already in a story that shares a band (or the text hash) with the new one."""

    article_id: int
    story_id: int
    text: str


@dataclass(frozen=True)
class StoryMatch:
    """`kind` is 'exact', 'near' or 'new'; for 'new' the caller creates the story."""

    kind: str
    story_id: int | None = None
    matched_article_id: int | None = None
    similarity: float = 1.0


def best_match(new: Fingerprint, candidates: Iterable[Candidate], threshold: float) -> StoryMatch:
    """The candidate story the new text is a copy of, by containment of shingles; the earliest
    candidate wins ties (candidates come earliest first), so copies join the original's story."""
    best: Candidate | None = None
    best_score = 0.0
    if new.comparable:
        for candidate in candidates:
            theirs = shingles(candidate.text)
            if len(theirs) < MIN_SHINGLES:
                continue
            score = containment(new.shingles, theirs)
            if score > best_score:
                best, best_score = candidate, score
    if best is not None and best_score >= threshold:
        return StoryMatch("near", best.story_id, best.article_id, round(best_score, 4))
    return StoryMatch("new", similarity=round(best_score, 4))


def choose_story(match: StoryMatch, previous_story: int | None, companions: int) -> int | None:
    """The story an article goes to (None: a new one). An article deduplicated again (re-extracted,
    or updated by a later fetch) stays in its story unless it was alone there and now matches
    another story: edits never split a story or move a copy away from its companions."""
    if previous_story is not None and (match.story_id is None or companions > 0):
        return previous_story
    return match.story_id


def lock_key(value: str) -> int:
    """A signed 64-bit advisory-lock key for a text hash or URL key."""
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest(), "big", signed=True)
