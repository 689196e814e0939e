"""Actors: countries, organisations and places named in an article, normalised by a gazetteer.

Every alias maps to one canonical actor ("DPRK", "Pyongyang", "North Korean" -> North Korea).
Aliases written in capitals (DPRK, US, NATO) match case-sensitively so "us" is not the
United States; the others match in any case. Longer aliases win ("South Korea" over "Korea").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from wirewatch.config import ConfigError, check_keys, check_unique_ids, load_entries, string_list
from wirewatch.text import sentence_spans

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
    _case_sensitive: re.Pattern[str] | None
    _case_insensitive: re.Pattern[str] | None
    _alias_to_actor: dict[str, str]

    def find(self, title: str | None, text: str) -> list[ActorMention]:
        """Actors in the article; `in_title` is true when named in the title or the lead sentence."""
        spans = sentence_spans(text)
        lead = text[spans[0][0]:spans[0][1]] if spans else ""
        counts: Counter[str] = Counter()
        aliases: dict[str, set[str]] = {}
        for actor_id, alias in self._scan(f"{title or ''}\n{text}"):
            aliases.setdefault(actor_id, set()).add(alias)
        for actor_id, _alias in self._scan(text):
            counts[actor_id] += 1
        prominent = {actor_id for actor_id, _ in self._scan(f"{title or ''}\n{lead}")}
        # A title-only actor is still reported, with 0 mentions in the text.
        return [ActorMention(actor_id=actor_id, mentions=counts[actor_id], in_title=actor_id in prominent,
                             aliases=tuple(sorted(aliases[actor_id])))
                for actor_id in sorted(aliases, key=lambda a: (-counts[a], a))]

    def _scan(self, text: str):
        for pattern in (self._case_sensitive, self._case_insensitive):
            if pattern is None:
                continue
            for match in pattern.finditer(text):
                alias = match.group(0)
                key = alias if alias in self._alias_to_actor else alias.casefold()
                yield self._alias_to_actor[key], alias


def load_gazetteer(path: Path) -> Gazetteer:
    _data, located = load_entries(path, "actors")
    check_unique_ids(located)
    actors: dict[str, Actor] = {}
    alias_to_actor: dict[str, str] = {}
    exact: list[str] = []
    folded: list[str] = []
    for item, where in located:
        check_keys(item, where, required={"id", "name", "kind", "aliases"}, optional={"iso"})
        if item["kind"] not in KINDS:
            raise ConfigError(f"{where}: 'kind' must be one of {', '.join(sorted(KINDS))}")
        actor = Actor(id=str(item["id"]), name=str(item["name"]), kind=item["kind"], iso_code=item.get("iso"))
        actors[actor.id] = actor
        for alias in {actor.name, *string_list(item, "aliases", where)}:
            case_sensitive = alias.isupper()
            key = alias if case_sensitive else alias.casefold()
            if key in alias_to_actor and alias_to_actor[key] != actor.id:
                raise ConfigError(f"{where}: alias {alias!r} already belongs to {alias_to_actor[key]!r}")
            alias_to_actor[key] = actor.id
            (exact if case_sensitive else folded).append(alias)
    return Gazetteer(actors=actors, _case_sensitive=_alternation(exact, 0),
                     _case_insensitive=_alternation(folded, re.IGNORECASE), _alias_to_actor=alias_to_actor)


def _alternation(aliases: list[str], flags: int) -> re.Pattern[str] | None:
    if not aliases:
        return None
    body = "|".join(re.escape(a) for a in sorted(set(aliases), key=len, reverse=True))
    # Possessives ("Russia's") and compounds ("Russia-Ukraine") count; "Russian" is its own alias.
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", flags)
