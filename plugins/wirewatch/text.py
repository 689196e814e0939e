"""Text helpers shared by the stages: normalisation, fingerprints, words and sentences."""

from __future__ import annotations

import hashlib
import re
import unicodedata

WORD = re.compile(r"\w+", re.UNICODE)
# A sentence ends at . ! ? (optionally followed by a closing quote) before whitespace, or at a line end.
SENTENCE_END = re.compile(r"""(?<=[.!?])["'”’)]*\s+(?=["'“‘(]?[A-Z0-9])|\n+""")


def normalize_for_hash(text: str) -> str:
    """Case, punctuation and spacing removed: copies differing only in typography compare equal."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(WORD.findall(folded))


def text_fingerprint(text: str) -> str:
    return fingerprint_of_normalized(normalize_for_hash(text))


def fingerprint_of_normalized(normalized: str) -> str:
    """`text_fingerprint` of a text already passed through `normalize_for_hash`."""
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def word_count(text: str) -> int:
    return len(WORD.findall(text))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the sentences of `text`, whitespace trimmed."""
    spans = []
    start = 0
    for match in SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    trimmed = []
    for begin, end in spans:
        while begin < end and text[begin].isspace():
            begin += 1
        while end > begin and text[end - 1].isspace():
            end -= 1
        if end > begin:
            trimmed.append((begin, end))
    return trimmed
