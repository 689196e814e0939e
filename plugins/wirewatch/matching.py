"""Phrase matching for tagging: a text as word tokens, and many phrases found in one pass.

Texts and phrases are cut into words (`\\w+`), lower-cased, and, for stemmed matching, reduced
to Snowball stems, so "deployed", "deploying" and "deployment" all match "deploy". All phrases
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
from typing import Generic, TypeVar

import ahocorasick
import snowballstemmer

from wirewatch.text import sentence_spans

WORD = re.compile(r"\w+", re.UNICODE)
_STEMMER = snowballstemmer.stemmer("english")

Payload = TypeVar("Payload")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball stem of a lower-case word (cached: news vocabulary repeats)."""
    return _STEMMER.stemWord(word)


@dataclass(frozen=True)
class Tokens:
    """The words of a text: their forms (lower-cased, or stems), character spans and sentences."""

    forms: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    sentence_of: tuple[int, ...]
    sentences: tuple[tuple[int, int], ...]
    joined: str            # " form form form " : what the automaton scans
    form_starts: tuple[int, ...]  # where each form starts in `joined`

    def token_at(self, position: int) -> int:
        """The token whose form starts at or before `position` of `joined`."""
        return bisect.bisect_right(self.form_starts, position) - 1


def tokenize(text: str, *, stemmed: bool, with_sentences: bool = True) -> Tokens:
    matches = list(WORD.finditer(text))
    forms = tuple(stem(m.group().lower()) if stemmed else m.group().lower() for m in matches)
    spans = tuple(m.span() for m in matches)
    sentences = tuple(sentence_spans(text)) if with_sentences and text else ((0, len(text)),)
    sentence_ends = [end for _, end in sentences]
    sentence_of = tuple(min(bisect.bisect_left(sentence_ends, end), len(sentences) - 1) for _, end in spans)
    starts, position = [], 1
    for form in forms:
        starts.append(position)
        position += len(form) + 1
    return Tokens(forms, spans, sentence_of, sentences, " " + " ".join(forms) + " ", tuple(starts))


def phrase_forms(phrase: str, *, stemmed: bool) -> tuple[tuple[str, ...], bool]:
    """A phrase as the word forms it matches, and whether it is a prefix phrase (`word*`)."""
    prefix = phrase.rstrip().endswith("*")
    words = [w.lower() for w in WORD.findall(phrase)]
    if stemmed:
        # A prefix is stemmed too: text words are stems, and "missiles" stems to "missil".
        words = [stem(w) for w in words]
    return tuple(words), prefix


@dataclass(frozen=True)
class Hit(Generic[Payload]):
    first_token: int
    last_token: int
    payload: Payload


class PhraseIndex(Generic[Payload]):
    """Many phrases, each with payloads, compiled once; `find` reports every occurrence."""

    def __init__(self, phrases: Iterable[tuple[str, Payload]], *, stemmed: bool):
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

    def find(self, tokens: Tokens) -> Iterator[Hit[Payload]]:
        for end, (key_length, words, payloads) in self._automaton.iter(tokens.joined):
            first = tokens.token_at(end - key_length + 2)
            for payload in payloads:
                yield Hit(first, first + words - 1, payload)
