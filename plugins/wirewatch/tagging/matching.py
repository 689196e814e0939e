"""Phrase matching for tagging: a text as word tokens, and many phrases found in one pass.

Texts and phrases are cut into words (`\\w+`), lower-cased, and, for stemmed matching, reduced
to Snowball stems of the text's language, so "deployed", "deploying" and "deployment" all match
"deploy" (and "Soldaten", "Soldat" match "Soldat" in German). All phrases
are compiled once into one Aho-Corasick automaton (pyahocorasick) over the space-joined word
string, so finding every phrase costs one pass over the text however many phrases there are.
A phrase ending in `*` matches any word starting with its last word ("Iskander*").
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, repeat
from operator import add
from typing import Generic, TypeVar

import ahocorasick
import Stemmer  # PyStemmer: the Snowball stemmers compiled from C

from wirewatch.text import WORD, sentence_spans

# Snowball's stemmer of each language, by ISO 639-1 code; Ukrainian has none, and its words are
# reduced to their dictionary forms by pymorphy3 (with its Ukrainian dictionary) instead. The
# Arabic stemmer also normalises: diacritics, tatweel, alef and yeh forms, Arabic-Indic digits.
STEMMERS = {"en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian",
            "pt": "portuguese", "nl": "dutch", "sv": "swedish", "no": "norwegian", "da": "danish",
            "fi": "finnish", "ru": "russian", "tr": "turkish", "ro": "romanian", "hu": "hungarian",
            "ar": "arabic", "uk": "pymorphy3"}

Payload = TypeVar("Payload")


class _Lemmatizer:
    """pymorphy3's most likely dictionary form of each word, as a Snowball stemmer's stemWords."""

    def __init__(self, language: str):
        import pymorphy3  # loaded only for a language that needs it

        self._analyzer = pymorphy3.MorphAnalyzer(lang=language)

    def stemWords(self, words: list[str]) -> list[str]:  # noqa: N802 (Snowball's name)
        # The dictionaries spell the apostrophe ' ("об'єкт"); words keep it as the letter ʼ.
        return [self._analyzer.parse(word.replace("ʼ", "'"))[0].normal_form for word in words]


@lru_cache(maxsize=None)
def _stemmer(language: str):
    if STEMMERS[language] == "pymorphy3":
        return _Lemmatizer(language)
    return Stemmer.Stemmer(STEMMERS[language])


# word -> stem, per language: news vocabulary repeats, and a dict lookup per word costs less
# than a cached call. Cleared when it grows past STEM_TABLE_LIMIT words (a long run's rare words).
_STEMS: dict[str, dict[str, str]] = {}
STEM_TABLE_LIMIT = 200_000


def stems(words: list[str], language: str) -> list[str]:
    """Snowball stems of lower-case words in `language`, in order."""
    known = _STEMS.setdefault(language, {})
    missing = set(words).difference(known)
    if missing:
        if len(known) + len(missing) > STEM_TABLE_LIMIT:
            known.clear()
            missing = set(words)
        new = list(missing)
        known.update(zip(new, _stemmer(language).stemWords(new)))
    return [known[word] for word in words]


def stem(word: str, language: str = "en") -> str:
    """Snowball stem of a lower-case word in `language`."""
    return stems([word], language)[0]


# Arabic is written with and without hamza seats, alef maqsura, teh marbuta, harakat and tatweel:
# one form of each, in text and phrases alike, before stemming. Other scripts are left as they are.
_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "\u0640": None,
                              **{chr(c): None for c in (*range(0x064B, 0x0653), 0x0670)}})
ARABIC_LETTER = re.compile(r"[\u0600-\u06ff]")
# "والجيش", "فالقوات": the conjunction before the article is not part of the word.
_CONJUNCTION_ARTICLE = re.compile(r"(?<![^ ])[وف](?=ال[^ ]{2})")
# Ukrainian writes its apostrophe as ' or ’ as well as ʼ: inside a word it is ʼ, a letter.
_APOSTROPHE = re.compile(r"(?<=[а-яіїєґ])['’](?=[а-яіїєґ])", re.IGNORECASE)


def fold(joined: str) -> str:
    """Space-joined lower-case words in the forms the matchers compare (Arabic spellings folded)."""
    if joined.isascii() or not ARABIC_LETTER.search(joined):
        return joined
    return _CONJUNCTION_ARTICLE.sub("", joined.translate(_ARABIC_FOLD))


class Tokens:
    """The words of a text, lower-cased, with their character spans and the sentence each is in;
    the space-joined forms the automata scan (plain or stemmed) are made on first use."""

    def __init__(self, text: str, *, with_sentences: bool = True):
        self.text = text
        self.sentences = sentence_spans(text) if with_sentences and text.strip() else [(0, len(text))]
        words: list[str] = []
        spans: list[tuple[int, int]] = []
        sentence_of: list[int] = []
        scanned = _APOSTROPHE.sub("ʼ", text) if "'" in text or "’" in text else text  # same length: spans hold
        for index, (start, end) in enumerate(self.sentences):
            found = list(WORD.finditer(scanned, start, end))
            words += [match.group() for match in found]
            spans += [match.span() for match in found]
            sentence_of += [index] * len(found)
        # One lower() for the whole text: per-word calls cost more than the matching.
        self.words = fold(" ".join(words).lower()).split(" ") if words else []
        self.sentence_of = sentence_of
        self._joined: dict[str | None, tuple[str, list[int]]] = {}
        self.spans = spans  # character spans of the words in the text

    def joined(self, stemmed: str | None) -> tuple[str, list[int]]:
        """" form form form " (stems of language `stemmed`, or the words when None) and where each
        form starts in it."""
        if stemmed not in self._joined:
            forms = stems(self.words, stemmed) if stemmed else self.words
            starts = list(accumulate(map(add, map(len, forms), repeat(1)), initial=1))[:-1]
            self._joined[stemmed] = (" " + " ".join(forms) + " ", starts)
        return self._joined[stemmed]


def tokenize(text: str, *, with_sentences: bool = True) -> Tokens:
    return Tokens(text, with_sentences=with_sentences)


def phrase_forms(phrase: str, *, stemmed: str | None) -> tuple[tuple[str, ...], bool]:
    """A phrase as the word forms it matches (stems of language `stemmed`, or the words when
    None), and whether it is a prefix phrase (`word*`)."""
    prefix = phrase.rstrip().endswith("*")
    words = fold(" ".join(WORD.findall(_APOSTROPHE.sub("ʼ", phrase))).lower()).split()
    if stemmed:
        # A prefix is stemmed too: text words are stems, and "missiles" stems to "missil".
        words = stems(words, stemmed)
    return tuple(words), prefix


@dataclass(frozen=True)
class Hit(Generic[Payload]):
    first_token: int
    last_token: int
    payload: Payload


class PhraseIndex(Generic[Payload]):
    """Many phrases, each with payloads, compiled once; `find` reports every occurrence."""

    def __init__(self, phrases: Iterable[tuple[str, Payload]], *, stemmed: str | None):
        """`stemmed`: the language whose stems are matched, or None to match words as written."""
        self.stemmed = stemmed
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, tuple[int, list[Payload]]] = {}
        for phrase, payload in phrases:
            words, prefix = phrase_forms(phrase, stemmed=stemmed)
            if not words:
                raise ValueError(f"phrase {phrase!r} has no words")
            key = " " + " ".join(words) + ("" if prefix else " ")
            entries.setdefault(key, (len(words), []))[1].append(payload)
        for key, (length, payloads) in entries.items():
            self._automaton.add_word(key, (len(key), length, tuple(payloads)))
        self._automaton.make_automaton()

    def occurrences(self, tokens: Tokens) -> Iterator[tuple[int, int, tuple[Payload, ...]]]:
        """(first token, last token, payloads) of every phrase occurrence, in text order."""
        joined, starts = tokens.joined(self.stemmed)
        for end, (key_length, words, payloads) in self._automaton.iter(joined):
            first = bisect.bisect_right(starts, end - key_length + 2) - 1
            yield first, first + words - 1, payloads

    def find(self, tokens: Tokens) -> Iterator[Hit[Payload]]:
        """Every occurrence of every phrase, one `Hit` per payload."""
        for first, last, payloads in self.occurrences(tokens):
            for payload in payloads:
                yield Hit(first, last, payload)
