"""Text helpers shared by the stages: normalisation, fingerprints, words and sentences."""

from __future__ import annotations

import hashlib
import re
import unicodedata

# A word: letters and digits with the combining marks written on them (Arabic harakat, decomposed
# Latin accents), which \w alone would cut a word at: "الْقُدْسِ" is one word, not four.
WORD = re.compile(r"(?:\w|[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed])+")
# Scripts written without spaces between words (Han, kana, Thai, Lao, Myanmar, Khmer): there a
# \w+ run is a whole clause, so their characters are counted and converted to words at the
# script's average word length. Korean (Hangul) puts spaces between words and counts as usual.
UNSPACED_SCRIPTS = {
    "cjk": ("\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff", 2.0),
    "southeast-asian": ("\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff", 4.0),
}
_UNSPACED_CHAR = {name: re.compile(f"[{chars}]") for name, (chars, _per_word) in UNSPACED_SCRIPTS.items()}
_SPACED_WORD = re.compile("[^\\W" + "".join(chars for chars, _ in UNSPACED_SCRIPTS.values()) + "]+")
# A sentence ends at . ! ? (or the Arabic question mark), optionally followed by a closing quote,
# before whitespace and a capital (Latin or Cyrillic) or digit, or an Arabic letter (Arabic has no
# case); or at a line end.
SENTENCE_END = re.compile(r"""(?<=[.!?؟])["'”’»)]*\s+(?=["'“‘(]?[A-Z0-9]|[«„"]?[А-ЯЁІЇЄҐ\u0621-\u064a])|\n+""")


def normalize_for_hash(text: str) -> str:
    """Case, punctuation and spacing removed: copies differing only in typography compare equal."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(WORD.findall(folded))


def shared_words(a: str, b: str, *, share_of: str = "shorter") -> float:
    """The share of words (as `normalize_for_hash` cuts them) that `a` and `b` have in common:
    of the shorter text's words (`share_of="shorter"`: does one say what the other says?) or of
    `a`'s words (`share_of="first"`: how much of `a` does `b` cover?)."""
    words_a, words_b = set(normalize_for_hash(a).split()), set(normalize_for_hash(b).split())
    if share_of == "shorter":
        whole = min(len(words_a), len(words_b))
    elif share_of == "first":
        whole = len(words_a)
    else:
        raise ValueError(f"share_of must be 'shorter' or 'first', not {share_of!r}")
    return len(words_a & words_b) / max(whole, 1)


def letters_and_digits(text: str, *, casefold: bool = False) -> str:
    """Only the letters and digits of `text` ("U.S." -> "US"), case-folded when asked."""
    return "".join(ch for ch in (text.casefold() if casefold else text) if ch.isalnum())


def text_fingerprint(text: str) -> str:
    return fingerprint_of_normalized(normalize_for_hash(text))


def fingerprint_of_normalized(normalized: str) -> str:
    """`text_fingerprint` of a text already passed through `normalize_for_hash`."""
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def word_count(text: str) -> int:
    """Words in any script: \\w+ runs, plus unspaced-script characters divided by their word length."""
    words = len(_SPACED_WORD.findall(text))
    if not text.isascii():
        for name, pattern in _UNSPACED_CHAR.items():
            chars = len(pattern.findall(text))
            if chars:
                words += round(chars / UNSPACED_SCRIPTS[name][1])
    return words


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
