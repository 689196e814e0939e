"""Actors: countries, organisations and places named in an article, normalised by a gazetteer.

Every alias maps to one canonical actor ("DPRK", "Pyongyang", "North Korean" -> North Korea).
Aliases written in capitals (DPRK, US, NATO) match case-sensitively so "us" is not the
United States; the others match in any case. Longer aliases win ("South Korea" over "Korea").
All aliases are found in one pass (`matching.PhraseIndex`); punctuation is ignored, so "U.S."
is "U S" and "Russia's" contains "Russia".
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from wirewatch.config import ConfigError, check_keys, check_unique_ids, load_entries, string_list
from wirewatch.tagging.matching import WORD, PhraseIndex, Tokens, stems, tokenize
from wirewatch.text import letters_and_digits

# Sentences whose actors `named_in` remembers (then it starts afresh).
NAMED_CACHE = 4096
KINDS = {"country", "organization", "place", "person", "group"}


@dataclass(frozen=True, kw_only=True)
class Actor:
    id: str
    name: str
    kind: str
    iso_code: str | None


@dataclass(frozen=True, kw_only=True)
class ActorMention:
    actor_id: str
    mentions: int
    in_title: bool
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Gazetteer:
    actors: dict[str, Actor]
    # A hash of the file: part of the version that tagged an article.
    version: str
    # alias -> (actor id, alias as written, case-sensitive?), every alias in one automaton
    _aliases: PhraseIndex[tuple[str, str, bool]]
    # (actor id, alias, language of its file: None for the main file's)
    _alias_list: tuple[tuple[str, str, str | None], ...]
    lead_sentences: int = 2
    _named: dict[str, tuple] = field(default_factory=dict, compare=False, repr=False)

    def find(self, title: str | None, text: str, *, tokens: Tokens | None = None) -> list[ActorMention]:
        """Actors in the article with their mentions in the text; `in_title` is true when named in
        the title or the lead (first `lead_sentences` sentences). `tokens`: the text's, if made."""
        tokens = tokens or tokenize(text)
        counts: Counter[str] = Counter()
        aliases: dict[str, set[str]] = {}
        prominent: set[str] = set()
        # Each sentence's mentions are remembered for `named_in`: the event reports look them up.
        by_sentence: dict[int, list[tuple[int, int, str]]] = {index: [] for index in range(len(tokens.sentences))}
        for first, last, actor_id in self._longest(text, tokens):
            start, end = tokens.spans[first][0], tokens.spans[last][1]
            sentence = tokens.sentence_of[first]
            counts[actor_id] += 1
            aliases.setdefault(actor_id, set()).add(text[start:end])
            if sentence < self.lead_sentences:
                prominent.add(actor_id)
            by_sentence[sentence].append((start, end, actor_id))
        if len(self._named) + len(by_sentence) >= NAMED_CACHE:
            self._named.clear()
        for index, mentions in by_sentence.items():
            begin, finish = tokens.sentences[index]
            self._named.setdefault(text[begin:finish], tuple((start - begin, end - begin, actor_id)
                                                             for start, end, actor_id in mentions))
        if title:
            for actor_id, alias, _ in self._scan(title, tokenize(title, with_sentences=False)):
                aliases.setdefault(actor_id, set()).add(alias)
                prominent.add(actor_id)
        # A title-only actor is still reported, with 0 mentions in the text.
        return [ActorMention(actor_id=actor_id, mentions=counts[actor_id], in_title=actor_id in prominent,
                             aliases=tuple(sorted(aliases[actor_id])))
                for actor_id in sorted(aliases, key=lambda a: (-counts[a], a))]

    def named_in(self, text: str) -> tuple[tuple[int, int, str], ...]:
        """(start, end, actor id) of every actor named in a short text (one sentence), in order;
        remembered per text, since an article's topics share their evidence sentences."""
        found = self._named.get(text)
        if found is None:
            tokens = tokenize(text, with_sentences=False)
            found = tuple((tokens.spans[first][0], tokens.spans[last][1], actor_id)
                          for first, last, actor_id in self._longest(text, tokens))
            if len(self._named) >= NAMED_CACHE:
                self._named.clear()
            self._named[text] = found
        return found

    def aliases_of(self, kind: str, language: str | None = None) -> list[str]:
        """Every name and alias of the actors of one kind (for taxonomy phrases like `@country`): those
        of `language`'s own file (`actors.<language>.yaml`) if it has one, else the main file's. One
        language's names read in another's stems are traps: French "Mali" -> "mal", Spanish "Paris" -> "para"."""
        own = language is not None and any(lang == language for _, _, lang in self._alias_list)
        found = []
        for actor_id, alias, lang in self._alias_list:
            if self.actors[actor_id].kind != kind or lang not in (None, language if own else None):
                continue
            if own and lang is None:  # a main-file name the language writes alike ("Iran"), if its stems keep it
                words = [w.lower() for w in WORD.findall(alias)]
                if stems(words, language) != words:
                    continue
            found.append(alias)
        return found

    def _scan(self, text: str, tokens: Tokens):
        """(actor id, alias as it appears, sentence) per mention."""
        for first, last, actor_id in self._longest(text, tokens):
            yield actor_id, text[tokens.spans[first][0]:tokens.spans[last][1]], tokens.sentence_of[first]

    def _longest(self, text: str, tokens: Tokens):
        """(first token, last token, actor id) per mention, in order; overlapping aliases resolve to
        the longest ("South Korea" over "Korea", "US State Department" over "US")."""
        best: dict[int, tuple[int, str]] = {}  # first token -> (last token, actor)
        for hit in self._aliases.find(tokens):
            actor_id, written, case_sensitive = hit.payload
            start, end = tokens.spans[hit.first_token][0], tokens.spans[hit.last_token][1]
            if case_sensitive and letters_and_digits(text[start:end]) != letters_and_digits(written):
                continue  # "US" the country, not "us"
            current = best.get(hit.first_token)
            if current is None or hit.last_token > current[0]:
                best[hit.first_token] = (hit.last_token, actor_id)
        covered_until = -1
        for first in sorted(best):
            last, actor_id = best[first]
            if first <= covered_until:
                continue
            covered_until = last
            yield first, last, actor_id


def load_gazetteer(path: Path) -> Gazetteer:
    """The actors of `path` (`actors.yaml`) with, beside it, one `actors.<language>.yaml` per further
    language: a list `aliases:` of `{id: <actor id>, aliases: [...]}`, that language's names of
    actors the main file defines (Cyrillic, Arabic, French... forms kept apart from the main file)."""
    _data, located = load_entries(path, "actors")
    check_unique_ids(located)
    actors: dict[str, Actor] = {}
    owner: dict[str, str] = {}
    phrases: list[tuple[str, tuple[str, str, bool]]] = []
    languages: list[str | None] = []

    def add_aliases(actor_id: str, aliases: list[str], where: str, language: str | None = None) -> None:
        for alias in aliases:
            # Aliases written in capitals (US, UN, DPRK) must appear in capitals.
            case_sensitive = alias.isupper()
            key = " ".join(WORD.findall(alias.lower())) + ("|exact" if case_sensitive else "")
            if not WORD.search(alias):
                raise ConfigError(f"{where}: alias {alias!r} has no words")
            if key in owner and owner[key] != actor_id:
                raise ConfigError(f"{where}: alias {alias!r} already belongs to {owner[key]!r}")
            owner[key] = actor_id
            phrases.append((alias, (actor_id, alias, case_sensitive)))
            languages.append(language)

    for item, where in located:
        check_keys(item, where, required={"id", "name", "kind", "aliases"}, optional={"iso"})
        if item["kind"] not in KINDS:
            raise ConfigError(f"{where}: 'kind' must be one of {', '.join(sorted(KINDS))}")
        iso = item.get("iso")
        if iso is not None and not (isinstance(iso, str) and re.fullmatch(r"[A-Z]{2}", iso)):
            raise ConfigError(f"{where}: 'iso' must be a two-letter ISO 3166-1 code such as RU, got {iso!r}")
        actor = Actor(id=str(item["id"]), name=str(item["name"]), kind=item["kind"], iso_code=iso)
        actors[actor.id] = actor
        add_aliases(actor.id, sorted({actor.name, *string_list(item, "aliases", where)}), where)
    files = [path, *sorted(path.parent.glob(f"{path.stem}.*{path.suffix}"))]
    for extra in files[1:]:
        _extra, items = load_entries(extra, "aliases")
        for item, where in items:
            check_keys(item, where, required={"id", "aliases"}, optional=set())
            if item["id"] not in actors:
                raise ConfigError(f"{where}: no actor {item['id']!r} in {path.name}")
            add_aliases(item["id"], string_list(item, "aliases", where), where, extra.suffixes[-2].lstrip("."))
    version = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:8]
    return Gazetteer(actors=actors, version=version,
                     _aliases=PhraseIndex(phrases, stemmed=None),
                     _alias_list=tuple((actor_id, alias, language)
                                       for (alias, (actor_id, _, _)), language in zip(phrases, languages)))
