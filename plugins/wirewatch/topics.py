"""Topics: a user-editable taxonomy (YAML), compiled once, matched sentence by sentence.

A topic matches a sentence when the sentence has one of its `any` phrases and, if the topic lists
`near` phrases, one of those too (a missile word *and* a strike word; `near` may also be a list
of such lists, each of which must match: soldiers *and* a foreign army *and* a deployment), none of its `exclude`
phrases ("no plans to deploy troops", "a missile of a free kick"; an exclusion in the headline
rules the topic out for the whole article: a story headlined as a drill or a test), and the phrases are not
negated (a `negations` cue such as "no", "denied" or "ruled out" a few words before them), and
the sentence is not background: history named by a past year ("the 1999 bombing campaign", "the
2019 Abqaiq attack") or by a `background` cue ("anniversary", "years ago") is not the news.
Phrases match word forms: text and phrases are stemmed ("deployed", "deployment" -> deploy), and
a trailing `*` matches any word starting so ("Iskander*"). Every phrase of every topic is found
in one pass (`matching.PhraseIndex`, an Aho-Corasick automaton).

Score = the weights of the matching sentences: the headline counts `title`, the first
`lead_sentences` sentences `lead`, the rest `body`; a topic is tagged at `min_score`. The
evidence is every matching sentence of the text, as character offsets.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from wirewatch.actors import KINDS, Gazetteer, load_gazetteer
from wirewatch.config import ConfigError, check_keys, check_unique_ids, load_entries, string_list
from wirewatch.matching import PhraseIndex, Tokens, phrase_forms, tokenize

TOPIC_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ROLES = ("any", "exclude")
DEFAULT_WEIGHTS = {"title": 2.0, "lead": 1.5, "body": 1.0}
# Evidence spans kept per topic and article.
MAX_EVIDENCE = 5
# Four-digit numbers from here up to the article's year are years ("1,900 troops" is two tokens).
PAST_YEAR_FLOOR = 1900


@dataclass(frozen=True, kw_only=True)
class Topic:
    id: str
    label: str
    description: str
    near_groups: int
    weights: dict[str, float]
    min_score: float


@dataclass(frozen=True, kw_only=True)
class TopicMatch:
    topic_id: str
    score: float
    matches: int
    in_title: bool
    # The first matching sentence (or the headline) and every matching sentence's offsets in the text.
    evidence: str
    evidence_start: int | None
    evidence_end: int | None
    evidence_spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True, kw_only=True)
class Taxonomy:
    version: str
    topics: tuple[Topic, ...]
    lead_sentences: int
    negation_window: int
    past_years: bool
    _phrases: PhraseIndex[tuple[int, str]]
    _negations: PhraseIndex[None] | None
    _background: PhraseIndex[None] | None

    def tag(self, title: str | None, text: str, *, tokens: Tokens | None = None,
            year: int | None = None) -> list[TopicMatch]:
        """Topics found in an article, strongest first (`tokens`: the text's, if already made;
        `year`: the article's, so earlier years mark background; by default the current year)."""
        body = tokens or tokenize(text)
        headline = tokenize(title or "", with_sentences=False)
        year = year or datetime.now(timezone.utc).year
        in_title = {topic for topic, _ in self._matches(headline, year)}
        # A headline framing the story otherwise ("... in drills", "test-fires") rules the topic out.
        framed_out = {topic for _first, _last, payloads in self._phrases.occurrences(headline)
                      for topic, role in payloads if role == "exclude"}
        sentences: dict[int, list[int]] = {}
        for topic, sentence in self._matches(body, year):
            sentences.setdefault(topic, []).append(sentence)
        found = []
        lead = self.lead_sentences + _standfirst_sentences(text, body)
        for index in sorted((set(sentences) | in_title) - framed_out):
            topic = self.topics[index]
            hits = sorted(sentences.get(index, []))
            score = (topic.weights["title"] if index in in_title else 0.0) + sum(
                topic.weights["lead"] if s < lead else topic.weights["body"] for s in hits)
            if score < topic.min_score:
                continue
            spans = tuple(body.sentences[s] for s in hits[:MAX_EVIDENCE])
            if spans:
                evidence, start, end = text[spans[0][0]:spans[0][1]], spans[0][0], spans[0][1]
            else:
                evidence, start, end = title or "", None, None
            found.append(TopicMatch(topic_id=topic.id, score=round(score, 2), matches=len(hits) + (index in in_title),
                                    in_title=index in in_title, evidence=evidence, evidence_start=start,
                                    evidence_end=end, evidence_spans=spans))
        return sorted(found, key=lambda m: (-m.score, m.topic_id))

    def _matches(self, tokens: Tokens, year: int) -> set[tuple[int, int]]:
        """(topic index, sentence index) of every sentence that matches a topic."""
        negated = self._negated_tokens(tokens)
        background = self._background_sentences(tokens, year)
        roles: dict[tuple[int, int], set[str]] = {}
        sentence_of = tokens.sentence_of
        for first, _last, payloads in self._phrases.occurrences(tokens):
            sentence = sentence_of[first]
            if sentence in background:
                continue
            if first in negated:
                payloads = [p for p in payloads if p[1] == "exclude"]
            for topic, role in payloads:
                roles.setdefault((topic, sentence), set()).add(role)
        return {key for key, found in roles.items()
                if "any" in found and "exclude" not in found
                and all(f"near{group}" in found for group in range(self.topics[key[0]].near_groups))}

    def _background_sentences(self, tokens: Tokens, year: int) -> set[int]:
        """Sentences about the past: naming a year before `year`, or with a `background` cue."""
        found: set[int] = set()
        if self.past_years:
            words, sentence_of = tokens.words, tokens.sentence_of
            found.update(sentence_of[index] for index, word in enumerate(words)
                         if len(word) == 4 and word.isdigit() and PAST_YEAR_FLOOR <= int(word) < year)
        if self._background is not None:
            found.update(tokens.sentence_of[first] for first, _last, _ in self._background.occurrences(tokens))
        return found

    def _negated_tokens(self, tokens: Tokens) -> set[int]:
        """Tokens within `negation_window` words after a negation cue, in the cue's sentence."""
        if self._negations is None:
            return set()
        negated: set[int] = set()
        sentence_of = tokens.sentence_of
        for _first, last, _ in self._negations.occurrences(tokens):
            for token in range(last + 1, min(last + 1 + self.negation_window, len(sentence_of))):
                if sentence_of[token] == sentence_of[last]:
                    negated.add(token)
        return negated


def _standfirst_sentences(text: str, tokens: Tokens) -> int:
    """The sentences of the standfirst, which the extract step sets apart with the text's one blank
    line: a summary of the story, weighed as lead without using up the lead of the story itself.
    (Texts written with a blank line between every paragraph have several, and no standfirst.)"""
    end = text.find("\n\n")
    if end <= 0 or text.count("\n\n") > 1:
        return 0
    return sum(1 for start, _ in tokens.sentences if start < end)


def load_taxonomy(path: Path, gazetteer: Gazetteer | None = None) -> Taxonomy:
    """Load and compile the taxonomy. Phrases `@country`, `@organization`, `@group`, `@place`
    stand for every alias of such actors in the gazetteer (by default actors.yaml beside it)."""
    data, located = load_entries(path, "topics")
    check_keys(data, str(path), required={"topics"},
               optional={"version", "weights", "min_score", "lead_sentences", "negations", "negation_window",
                         "background", "past_years_are_background"})
    check_unique_ids(located)
    defaults = _weights(data.get("weights"), DEFAULT_WEIGHTS, str(path))
    default_min_score = _number(data.get("min_score", 1.0), "min_score", str(path))
    topics: list[Topic] = []
    phrases: list[tuple[str, tuple[int, str]]] = []
    kinds = _actor_phrases(located, gazetteer, path)
    for index, (item, where) in enumerate(located):
        topic, rules = _topic(item, where, defaults, default_min_score)
        rules = {role: [alias for phrase in phrases for alias in kinds.get(phrase, [phrase])]
                 for role, phrases in rules.items()}
        topics.append(topic)
        phrases += [(phrase, (index, role)) for role, role_phrases in rules.items() for phrase in role_phrases]
    if not topics:
        raise ConfigError(f"{path}: the taxonomy defines no topics")
    negations = string_list(data, "negations", str(path))
    background = string_list(data, "background", str(path))
    past_years = data.get("past_years_are_background", True)
    if not isinstance(past_years, bool):
        raise ConfigError(f"{path}: 'past_years_are_background' must be true or false, got {past_years!r}")
    # The version changes whenever the file does, so re-tagging knows what is stale.
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return Taxonomy(version=f"{data.get('version', '0')}+{digest}", topics=tuple(topics),
                    lead_sentences=_count(data, "lead_sentences", 2, str(path)),
                    negation_window=_count(data, "negation_window", 4, str(path)), past_years=past_years,
                    _phrases=PhraseIndex(phrases, stemmed=True),
                    _negations=PhraseIndex(((cue, None) for cue in negations), stemmed=True) if negations else None,
                    _background=PhraseIndex(((cue, None) for cue in background), stemmed=True) if background else None)


def _actor_phrases(located: list, gazetteer: Gazetteer | None, path: Path) -> dict[str, list[str]]:
    """`@kind` -> the aliases of the gazetteer's actors of that kind, if the taxonomy uses any."""
    used = {phrase for item, _ in located if isinstance(item, dict)
            for value in (item.get("any"), item.get("near"), item.get("exclude")) if isinstance(value, list)
            for phrase in (value if not value or not isinstance(value[0], list) else sum(value, []))
            if isinstance(phrase, str) and phrase.startswith("@")}
    if not used:
        return {}
    if gazetteer is None:
        gazetteer = load_gazetteer(path.parent / "actors.yaml")
    known = {f"@{kind}" for kind in KINDS}
    if used - known:
        raise ConfigError(f"{path}: unknown actor reference(s) {', '.join(sorted(used - known))}; "
                          f"use {', '.join(sorted(known))}")
    # Aliases in capitals (US, UN) are left out: stems are lower-case, and "us" would match them.
    return {f"@{kind}": [alias for alias in gazetteer.aliases_of(kind) if not alias.isupper()] for kind in KINDS}


def _topic(item: object, where: str, default_weights: dict[str, float],
           default_min_score: float) -> tuple[Topic, dict[str, list[str]]]:
    check_keys(item, where, required={"id", "label", "any"},
               optional={"description", "near", "exclude", "weights", "title_weight", "min_score"})
    if not isinstance(item["id"], str) or not TOPIC_ID.match(item["id"]):
        raise ConfigError(f"{where}: 'id' must be lower-case words joined by hyphens, got {item['id']!r}")
    where = f"{where} ({item['id']})"
    if not isinstance(item["label"], str) or not item["label"].strip():
        raise ConfigError(f"{where}: 'label' must be a non-empty string")
    weights = _weights(item.get("weights"), default_weights, where)
    if "title_weight" in item:  # the version-1 spelling
        weights["title"] = _number(item["title_weight"], "title_weight", where)
    rules = {role: string_list(item, role, where, required=role == "any") for role in ROLES}
    near = item.get("near", [])
    groups = near if near and all(isinstance(group, list) for group in near) else ([near] if near else [])
    for number, group in enumerate(groups):
        rules[f"near{number}"] = string_list({"near": group}, "near", where, required=True)
    for role, phrases in rules.items():
        for phrase in phrases:
            if not re.search(r"\w", phrase):
                raise ConfigError(f"{where}: '{role}' phrase {phrase!r} has no words")
    # Stemming can make an exclusion swallow the topic: "protesters" stems to "protest".
    matched = {phrase_forms(phrase, stemmed=True): phrase for phrase in rules["any"]}
    for phrase in rules["exclude"]:
        if phrase_forms(phrase, stemmed=True) in matched:
            raise ConfigError(f"{where}: 'exclude' phrase {phrase!r} matches the same words as 'any' phrase "
                              f"{matched[phrase_forms(phrase, stemmed=True)]!r}: it would exclude every match")
    topic = Topic(id=item["id"], label=item["label"].strip(), description=str(item.get("description", "")).strip(),
                  near_groups=len(groups), weights=weights,
                  min_score=_number(item.get("min_score", default_min_score), "min_score", where))
    return topic, rules


def _weights(value: object, defaults: dict[str, float], where: str) -> dict[str, float]:
    if value is None:
        return dict(defaults)
    if not isinstance(value, dict) or not set(value) <= set(DEFAULT_WEIGHTS):
        raise ConfigError(f"{where}: 'weights' must be a mapping with keys {', '.join(DEFAULT_WEIGHTS)}")
    return {**defaults, **{key: _number(v, f"weights.{key}", where) for key, v in value.items()}}


def _number(value: object, key: str, where: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{where}: '{key}' must be a non-negative number, got {value!r}")
    return float(value)


def _count(data: dict, key: str, default: int, where: str) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{where}: '{key}' must be a non-negative whole number, got {value!r}")
    return value
