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

import bisect
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, NamedTuple

import wirewatch.config
import wirewatch.text
from wirewatch.tagging import actors, diskcache, matching
from wirewatch.tagging.actors import KINDS, Gazetteer, load_gazetteer
from wirewatch.config import ConfigError, check_keys, check_unique_ids, load_entries, string_list
from wirewatch.tagging.matching import STEMMERS, PhraseIndex, Tokens, phrase_forms, tokenize

# The code that compiles a taxonomy: a change to it compiles the cached taxonomies anew.
TAXONOMY_SOURCES = [__file__, matching.__file__, actors.__file__, wirewatch.config.__file__, wirewatch.text.__file__]
TOPIC_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# ACLED's event types and their sub-event types (ACLED codebook), for the topics' `acled:` mapping.
ACLED_TYPES = {
    "Battles": ("Armed clash", "Government regains territory", "Non-state actor overtakes territory"),
    "Explosions/Remote violence": ("Chemical weapon", "Air/drone strike", "Suicide bomb",
                                   "Shelling/artillery/missile attack", "Remote explosive/landmine/IED", "Grenade"),
    "Violence against civilians": ("Sexual violence", "Attack", "Abduction/forced disappearance"),
    "Protests": ("Peaceful protest", "Protest with intervention", "Excessive force against protesters"),
    "Riots": ("Violent demonstration", "Mob violence"),
    "Strategic developments": ("Agreement", "Arrests", "Change to group/activity", "Disrupted weapons use",
                               "Headquarters or base established", "Looting/property destruction",
                               "Non-violent transfer of territory", "Other"),
}
ROLES = ("any", "exclude")
DEFAULT_WEIGHTS = {"title": 2.0, "lead": 1.5, "body": 1.0}
# Evidence spans kept per topic and article.
# Evidence sentences kept per topic: enough to find the other places a long report names its event at.
MAX_EVIDENCE = 10
# Four-digit numbers from here up to the article's year are years ("1,900 troops" is two tokens).
PAST_YEAR_FLOOR = 1900
YEAR_WORD = re.compile(r"(?<= )(\d{4})(?= )")
# "more than 2000 residents", "более 2000 жителей" count, they name no year; nor does "Zapad-2025".
QUANTITY_BEFORE = re.compile(
    r" (?:more than|over|about|around|nearly|almost|some|at least|up to|mehr als|etwa|rund|fast|über|mindestens|"
    r"knapp|plus de|près de|environ|moins de|au moins|más de|menos de|cerca de|unos|unas|alrededor de|al menos|"
    r"более|около|свыше|почти|менее|не менее|порядка|понад|близько|майже|щонайменше|не менше|أكثر من|نحو|حوالي) $")


@dataclass(frozen=True, kw_only=True)
class Topic:
    id: str
    label: str
    description: str
    weights: dict[str, float]
    min_score: float
    # The ACLED event type and sub-event type the topic corresponds to, if any.
    acled_event_type: str | None = None
    acled_sub_event_type: str | None = None


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
class LanguageRules:
    """One language's phrase lists, compiled (stems of that language): the topics' phrases with
    their roles, the number of `near` groups of each topic, negation and background cues."""

    language: str
    near_groups: tuple[int, ...]
    phrases: PhraseIndex[tuple[int, str]]
    negations: PhraseIndex[None] | None
    background: PhraseIndex[None] | None
    # Phrases that place a sentence in armed conflict (the relevance gate), if the language has any.
    context: PhraseIndex[None] | None = None
    # Set phrases that hold a negation cue without negating ("not only", "nicht nur").
    not_negations: PhraseIndex[None] | None = None


@dataclass(frozen=True)
class Relevance:
    """Whether an article is about armed conflict, with the evidence: the context phrases found
    (as written) and in how many of its sentences (the headline counting as one)."""

    conflict: bool
    sentences: int
    evidence: tuple[str, ...]


# What `relevance` says of an article in a language without phrase lists.
NO_RULES = Relevance(conflict=False, sentences=0, evidence=())


@dataclass(frozen=True)
class Assessment:
    """An article's topics and its relevance gate, from one reading (`Taxonomy.assess`)."""

    topics: list[TopicMatch]
    relevance: Relevance


class _Marks(NamedTuple):
    negated: set[int]  # tokens a negation cue rules out
    background: set[int]  # sentences about the past


class _Reading(NamedTuple):
    """One article read for a language's rules: headline and body tokens, their marks, and the
    (topic, sentence) pairs matching a topic's rule. Tagging and the relevance gate share it."""

    rules: LanguageRules
    headline: Tokens
    body: Tokens
    title_marks: _Marks
    body_marks: _Marks
    title_matches: set[tuple[int, int]]
    body_matches: set[tuple[int, int]]


@dataclass(frozen=True, kw_only=True)
class Taxonomy:
    version: str
    topics: tuple[Topic, ...]
    lead_sentences: int
    negation_window: int
    past_years: bool
    # A cue this many words after a phrase negates it too ("troops were not deployed").
    negation_after_window: int = 2
    # The language of the main file's phrase lists, and every language with phrase lists.
    default_language: str
    rules: dict[str, LanguageRules]
    # The relevance gate: context phrases in at least this many sentences (headline included), and
    # in at least this share of the text's sentences (a long feature's passing mentions are not enough).
    conflict_min_sentences: int = 2
    conflict_min_share: float = 0.0

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.rules))

    def tag(self, title: str | None, text: str, *, tokens: Tokens | None = None,
            year: int | None = None, language: str | None = None) -> list[TopicMatch]:
        """Topics found in an article, strongest first (`tokens`: the text's, if already made;
        `year`: the article's, so earlier years mark background; by default the current year;
        `language`: the article's, by default the taxonomy's own). Only the phrase lists of the
        article's language apply: an article in a language the taxonomy has none for gets none."""
        return self.assess(title, text, tokens=tokens, year=year, language=language).topics

    def relevance(self, title: str | None, text: str, *, tokens: Tokens | None = None, year: int | None = None,
                  language: str | None = None) -> Relevance:
        """Is the article about armed conflict at all? Decided before topics, from the sentences that
        hold a context phrase (armed forces, weapons, armed groups, fronts, war) or match a topic's
        rule: enough of them, in number and in share; negated and background sentences do not
        count. No context list for the language: every article passes."""
        reading = self._read(title, text, tokens, year, language)
        return self._relevance(reading) if reading else NO_RULES

    def assess(self, title: str | None, text: str, *, tokens: Tokens | None = None, year: int | None = None,
               language: str | None = None) -> Assessment:
        """`tag` and `relevance` together, from one reading of the article (arguments as for `tag`):
        the topics are those of an article the relevance gate passes."""
        reading = self._read(title, text, tokens, year, language)
        if reading is None:
            return Assessment(topics=[], relevance=NO_RULES)
        relevance = self._relevance(reading)
        return Assessment(topics=self._topics(reading, title, text) if relevance.conflict else [], relevance=relevance)

    def _read(self, title: str | None, text: str, tokens: Tokens | None, year: int | None,
              language: str | None) -> _Reading | None:
        """Tokens, marks and topic-rule matches of headline and body; None for a language without
        phrase lists."""
        rules = self.rules.get(language or self.default_language)
        if rules is None:
            return None
        body = tokens or tokenize(text)
        headline = tokenize(title or "", with_sentences=False)
        year = year or datetime.now(timezone.utc).year
        title_marks, body_marks = self._marks(headline, year, rules), self._marks(body, year, rules)
        return _Reading(rules, headline, body, title_marks, body_marks, self._matches(headline, rules, title_marks),
                        self._matches(body, rules, body_marks))

    def _topics(self, reading: _Reading, title: str | None, text: str) -> list[TopicMatch]:
        rules, headline, body = reading.rules, reading.headline, reading.body
        in_title = {topic for topic, _ in reading.title_matches}
        # A headline framing the story otherwise ("... in drills", "test-fires") rules the topic out.
        framed_out = {topic for _first, _last, payloads in rules.phrases.occurrences(headline)
                      for topic, role in payloads if role == "exclude"}
        sentences: dict[int, list[int]] = {}
        for topic, sentence in reading.body_matches:
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

    def _relevance(self, reading: _Reading) -> Relevance:
        """Context phrases, and sentences matching a topic's rule, in enough sentences."""
        rules = reading.rules
        title = (reading.headline, reading.title_marks, {s for _, s in reading.title_matches})
        body = (reading.body, reading.body_marks, {s for _, s in reading.body_matches})
        if rules.context is None:  # no context phrases for the language: the gate is open
            return Relevance(conflict=True, sentences=0, evidence=())
        evidence: list[str] = []
        sentences = 0
        for tokens, (negated, background), matched in (title, body):
            if tokens is title[0]:  # a headline is the news, whatever year it names
                background = set()
            found: set[int] = set()
            for first, last, _ in rules.context.occurrences(tokens):
                sentence = tokens.sentence_of[first]
                if first in negated or sentence in background:
                    continue
                found.add(sentence)
                if len(evidence) < MAX_EVIDENCE:
                    evidence.append(" ".join(tokens.words[first:last + 1]))
            sentences += len(found | matched)
        # A topic's rule alone does not make an article about war ("killed" in a storm): it takes
        # at least one context phrase, then topic sentences count towards the rest.
        enough = not self.conflict_min_sentences or (bool(evidence) and sentences >= max(
            self.conflict_min_sentences, self.conflict_min_share * len(body[0].sentences)))
        return Relevance(conflict=enough, sentences=sentences, evidence=tuple(evidence))

    def _marks(self, tokens: Tokens, year: int, rules: LanguageRules) -> _Marks:
        """The negated tokens and the background sentences of a text (computed once for tagging
        and the relevance gate)."""
        return _Marks(self._negated_tokens(tokens, rules), self._background_sentences(tokens, year, rules))

    def _matches(self, tokens: Tokens, rules: LanguageRules, marks: _Marks) -> set[tuple[int, int]]:
        """(topic index, sentence index) of every sentence that matches a topic."""
        negated, background = marks
        roles: dict[tuple[int, int], set[str]] = {}
        sentence_of = tokens.sentence_of
        for first, _last, payloads in rules.phrases.occurrences(tokens):
            sentence = sentence_of[first]
            if sentence in background:
                continue
            if first in negated:
                payloads = [p for p in payloads if p[1] == "exclude"]
            for topic, role in payloads:
                roles.setdefault((topic, sentence), set()).add(role)
        return {key for key, found in roles.items()
                if "any" in found and "exclude" not in found
                and all(f"near{group}" in found for group in range(rules.near_groups[key[0]]))}

    def _background_sentences(self, tokens: Tokens, year: int, rules: LanguageRules) -> set[int]:
        """Sentences about the past: naming a year before `year`, or with a `background` cue."""
        found: set[int] = set()
        if self.past_years:
            # Found in the joined words, not word by word: most sentences name no year at all.
            joined, starts = tokens.joined(None)
            for match in YEAR_WORD.finditer(joined):
                if not PAST_YEAR_FLOOR <= int(match.group(1)) < year:
                    continue
                index = bisect.bisect_right(starts, match.start(1)) - 1
                begin = tokens.spans[index][0]
                if (begin and tokens.text[begin - 1] in "-‑–") or QUANTITY_BEFORE.search(joined, 0, match.start(1)):
                    continue
                found.add(tokens.sentence_of[index])
        if rules.background is not None:
            found.update(tokens.sentence_of[first] for first, _last, _ in rules.background.occurrences(tokens))
        return found

    def _negated_tokens(self, tokens: Tokens, rules: LanguageRules) -> set[int]:
        """Tokens within `negation_window` words after a negation cue ("ruled out sending troops"),
        or within `negation_after_window` words before one ("troops were not deployed"), in the
        cue's sentence."""
        if rules.negations is None:
            return set()
        negated: set[int] = set()
        sentence_of = tokens.sentence_of
        idioms = {token for first, last, _ in (rules.not_negations.occurrences(tokens) if rules.not_negations else ())
                  for token in range(first, last + 1)}
        for first, last, _ in rules.negations.occurrences(tokens):
            if first in idioms:
                continue
            after = range(last + 1, min(last + 1 + self.negation_window, len(sentence_of)))
            before = range(max(0, first - self.negation_after_window), first)
            negated.update(token for token in (*before, *after) if sentence_of[token] == sentence_of[last])
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
    """Load and compile the taxonomy: `path` (its topics, weights and the phrase lists of its
    `language`, English by default) and, beside it, one `<stem>.<language>.yaml` per further
    language (`topics.de.yaml`: the same topic ids with that language's phrase lists). Phrases
    `@country`, `@organization`, `@group`, `@place` stand for every alias of such actors in the
    gazetteer (by default actors.yaml beside it).

    Compiling takes seconds and every tagging process needs it, so with the default gazetteer the
    compiled taxonomy is kept on disk (`diskcache.file_cached`), by the bytes of the files."""
    if gazetteer is not None:
        return _compile_taxonomy(path, gazetteer)
    files = [*_taxonomy_files(path), *sorted(path.parent.glob("actors*.yaml"))]
    return diskcache.file_cached(f"{__name__}.load_taxonomy", lambda: _compile_taxonomy(path, None),
                                 inputs=files, sources=TAXONOMY_SOURCES, packages=["pyahocorasick", "PyStemmer", "PyYAML"])


def _taxonomy_files(path: Path) -> list[Path]:
    """The main taxonomy file and, beside it, its further languages' files."""
    return [path, *sorted(path.parent.glob(f"{path.stem}.*{path.suffix}"))]


def _compile_taxonomy(path: Path, gazetteer: Gazetteer | None) -> Taxonomy:
    data, located = load_entries(path, "topics")
    check_keys(data, str(path), required={"topics"},
               optional={"version", "language", "weights", "min_score", "lead_sentences", "negations",
                         "not_negations", "negation_window", "negation_after_window", "background",
                         "past_years_are_background", "conflict"})
    check_unique_ids(located)
    language = _language(data.get("language", "en"), str(path))
    defaults = _weights(data.get("weights"), DEFAULT_WEIGHTS, str(path))
    default_min_score = _number(data.get("min_score", 1.0), "min_score", str(path))
    topics: list[Topic] = []
    topic_rules: list[dict[str, list[str]]] = []
    for item, where in located:
        topic, rules = _topic(item, where, defaults, default_min_score)
        topics.append(topic)
        topic_rules.append(rules)
    if not topics:
        raise ConfigError(f"{path}: the taxonomy defines no topics")
    past_years = data.get("past_years_are_background", True)
    if not isinstance(past_years, bool):
        raise ConfigError(f"{path}: 'past_years_are_background' must be true or false, got {past_years!r}")
    files = _taxonomy_files(path)
    sources = [(language, data, topic_rules, located)] + [
        _language_file(extra, [t.id for t in topics]) for extra in files[1:]]
    kinds = _actor_phrases([entry for *_, entries in sources for entry in entries], gazetteer, path)
    compiled: dict[str, LanguageRules] = {}
    for file, (lang, lang_data, rules, _entries) in zip(files, sources):
        if lang in compiled:
            raise ConfigError(f"{file}: phrase lists for language {lang!r} are given twice")
        compiled[lang] = _compile(lang, rules, lang_data, kinds(lang), str(file))
    # The version changes whenever a file does, so re-tagging knows what is stale.
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:12]
    return Taxonomy(version=f"{data.get('version', '0')}+{digest}", topics=tuple(topics),
                    lead_sentences=_count(data, "lead_sentences", 2, str(path)),
                    negation_window=_count(data, "negation_window", 4, str(path)), past_years=past_years,
                    negation_after_window=_count(data, "negation_after_window", 2, str(path)),
                    default_language=language, rules=compiled,
                    conflict_min_sentences=_count(data.get("conflict") or {}, "min_sentences", 2, f"{path}: conflict"),
                    conflict_min_share=_number((data.get("conflict") or {}).get("min_share", 0.0), "min_share",
                                               f"{path}: conflict"))


def _language(value: object, where: str) -> str:
    if value not in STEMMERS:
        raise ConfigError(f"{where}: 'language' must be one of {', '.join(sorted(STEMMERS))} "
                          f"(ISO 639-1 codes with a Snowball stemmer), got {value!r}")
    return str(value)


def _language_file(path: Path, topic_ids: list[str]) -> tuple[str, dict, list[dict[str, list[str]]], list]:
    """One further language's phrase lists: (language, document, rules per topic index, entries)."""
    data, located = load_entries(path, "topics")
    check_keys(data, str(path), required={"language", "topics"},
               optional={"negations", "not_negations", "background", "conflict"})
    check_unique_ids(located)
    language = _language(data["language"], str(path))
    rules: list[dict[str, list[str]]] = [{} for _ in topic_ids]
    for item, where in located:
        check_keys(item, where, required={"id", "any"}, optional={"near", "exclude"})
        if item["id"] not in topic_ids:
            raise ConfigError(f"{where}: topic {item['id']!r} is not in the main taxonomy "
                              f"(known: {', '.join(topic_ids)})")
        rules[topic_ids.index(item["id"])] = _phrase_rules(item, f"{where} ({item['id']})", language)
    return language, data, rules, located


def _compile(language: str, topic_rules: list[dict[str, list[str]]], data: dict, kinds: dict[str, list[str]],
             where: str) -> LanguageRules:
    phrases: list[tuple[str, tuple[int, str]]] = []
    for index, rules in enumerate(topic_rules):
        for role, role_phrases in rules.items():
            phrases += [(alias, (index, role)) for phrase in role_phrases for alias in kinds.get(phrase, [phrase])]
    negations = string_list(data, "negations", where)
    not_negations = string_list(data, "not_negations", where)
    background = string_list(data, "background", where)
    conflict = check_keys(data.get("conflict", {}), f"{where}: conflict", required=set(),
                          optional={"context", "min_sentences", "min_share"})
    context = string_list(conflict, "context", f"{where}: conflict")
    return LanguageRules(
        language=language,
        near_groups=tuple(sum(1 for role in rules if role.startswith("near")) for rules in topic_rules),
        phrases=PhraseIndex(phrases, stemmed=language),
        negations=PhraseIndex(((cue, None) for cue in negations), stemmed=language) if negations else None,
        background=PhraseIndex(((cue, None) for cue in background), stemmed=language) if background else None,
        context=PhraseIndex(((phrase, None) for phrase in context), stemmed=language) if context else None,
        not_negations=PhraseIndex(((phrase, None) for phrase in not_negations), stemmed=language)
        if not_negations else None)


def _actor_phrases(located: list, gazetteer: Gazetteer | None, path: Path) -> Callable[[str], dict[str, list[str]]]:
    """Per language, `@kind` -> the aliases of the gazetteer's actors of that kind in that language
    (`Gazetteer.aliases_of`), if the taxonomy uses any."""
    used = {phrase for item, _ in located if isinstance(item, dict)
            for value in (item.get("any"), item.get("near"), item.get("exclude")) if isinstance(value, list)
            for phrase in (value if not value or not isinstance(value[0], list) else sum(value, []))
            if isinstance(phrase, str) and phrase.startswith("@")}
    if not used:
        return lambda _language: {}
    if gazetteer is None:
        gazetteer = load_gazetteer(path.parent / "actors.yaml")
    known = {f"@{kind}" for kind in KINDS}
    if used - known:
        raise ConfigError(f"{path}: unknown actor reference(s) {', '.join(sorted(used - known))}; "
                          f"use {', '.join(sorted(known))}")
    # Aliases in capitals (US, UN) are left out: stems are lower-case, and "us" would match them.
    return lambda language: {f"@{kind}": [alias for alias in gazetteer.aliases_of(kind, language) if not alias.isupper()]
                             for kind in KINDS}


def _topic(item: object, where: str, default_weights: dict[str, float],
           default_min_score: float) -> tuple[Topic, dict[str, list[str]]]:
    check_keys(item, where, required={"id", "label", "any"},
               optional={"description", "near", "exclude", "weights", "title_weight", "min_score", "acled"})
    if not isinstance(item["id"], str) or not TOPIC_ID.match(item["id"]):
        raise ConfigError(f"{where}: 'id' must be lower-case words joined by hyphens, got {item['id']!r}")
    where = f"{where} ({item['id']})"
    if not isinstance(item["label"], str) or not item["label"].strip():
        raise ConfigError(f"{where}: 'label' must be a non-empty string")
    weights = _weights(item.get("weights"), default_weights, where)
    if "title_weight" in item:  # the version-1 spelling
        weights["title"] = _number(item["title_weight"], "title_weight", where)
    acled = _acled(item.get("acled"), where)
    topic = Topic(id=item["id"], label=item["label"].strip(), description=str(item.get("description", "")).strip(),
                  weights=weights, min_score=_number(item.get("min_score", default_min_score), "min_score", where),
                  acled_event_type=acled[0], acled_sub_event_type=acled[1])
    return topic, _phrase_rules(item, where, "en")


def _acled(value: object, where: str) -> tuple[str | None, str | None]:
    """`acled: [event type, sub-event type]` (or just the type), checked against ACLED's codebook."""
    if value is None:
        return None, None
    parts = value if isinstance(value, list) else [value]
    if not 1 <= len(parts) <= 2 or parts[0] not in ACLED_TYPES or (len(parts) == 2 and parts[1] not in ACLED_TYPES[parts[0]]):
        raise ConfigError(f"{where}: 'acled' must be [event type, sub-event type] from ACLED's codebook, got {value!r}; "
                          f"event types: {', '.join(ACLED_TYPES)}")
    return parts[0], parts[1] if len(parts) == 2 else None


def _phrase_rules(item: dict, where: str, language: str) -> dict[str, list[str]]:
    """A topic's phrases by role: `any`, `exclude`, and `near0`, `near1`… (one per `near` group)."""
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
    matched = {phrase_forms(phrase, stemmed=language): phrase for phrase in rules["any"]}
    for phrase in rules["exclude"]:
        if phrase_forms(phrase, stemmed=language) in matched:
            raise ConfigError(f"{where}: 'exclude' phrase {phrase!r} matches the same words as 'any' phrase "
                              f"{matched[phrase_forms(phrase, stemmed=language)]!r}: it would exclude every match")
    return rules


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
