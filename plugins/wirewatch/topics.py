"""Topics: a user-editable taxonomy (YAML) compiled once, then matched sentence by sentence.

A topic matches a sentence when the sentence contains one of its `any` terms and, if the
topic lists `near` terms, one of those too (e.g. a missile word *and* a strike word), and
none of its `exclude` phrases ("no plans to deploy troops"). Terms are words or phrases;
a trailing `*` matches word forms ("deploy*" -> deployed, deploying, deployment).
Score = matching sentences, the title counting `title_weight`; the evidence is the first
matching sentence of the text, with its character offsets.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from wirewatch.config import ConfigError, check_keys, check_unique_ids, load_entries, string_list
from wirewatch.text import sentence_spans

TOPIC_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True, kw_only=True)
class Topic:
    id: str
    label: str
    description: str
    any_terms: re.Pattern[str]
    near_terms: re.Pattern[str] | None
    exclude: re.Pattern[str] | None
    title_weight: float
    min_score: float

    def matches(self, sentence: str) -> bool:
        return (self.any_terms.search(sentence) is not None
                and (self.near_terms is None or self.near_terms.search(sentence) is not None)
                and (self.exclude is None or self.exclude.search(sentence) is None))


@dataclass(frozen=True, kw_only=True)
class TopicMatch:
    topic_id: str
    score: float
    matches: int
    evidence: str
    evidence_start: int | None
    evidence_end: int | None


@dataclass(frozen=True, kw_only=True)
class Taxonomy:
    version: str
    topics: tuple[Topic, ...]

    def tag(self, title: str | None, text: str) -> list[TopicMatch]:
        """Topics found in an article, strongest first."""
        spans = sentence_spans(text)
        found = []
        for topic in self.topics:
            title_hit = bool(title) and topic.matches(title)
            hits = [(start, end) for start, end in spans if topic.matches(text[start:end])]
            score = len(hits) + (topic.title_weight if title_hit else 0.0)
            if score < topic.min_score or not (hits or title_hit):
                continue
            if hits:
                start, end = hits[0]
                evidence, offsets = text[start:end], (start, end)
            else:
                evidence, offsets = title, (None, None)
            found.append(TopicMatch(topic_id=topic.id, score=score, matches=len(hits) + int(title_hit),
                                    evidence=evidence, evidence_start=offsets[0], evidence_end=offsets[1]))
        return sorted(found, key=lambda m: (-m.score, m.topic_id))


def term_pattern(terms: list[str]) -> re.Pattern[str]:
    """One case-insensitive alternation; `*` = word-form suffix, spaces/hyphens interchangeable."""
    parts = []
    for term in sorted(terms, key=len, reverse=True):
        stem = term.rstrip("*")
        body = r"[\s\-]+".join(re.escape(word) for word in re.split(r"[\s\-]+", stem))
        parts.append(body + (r"\w*" if term.endswith("*") else ""))
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b", re.IGNORECASE)


def load_taxonomy(path: Path) -> Taxonomy:
    data, located = load_entries(path, "topics")
    check_unique_ids(located)
    topics = tuple(_topic(item, where) for item, where in located)
    if not topics:
        raise ConfigError(f"{path}: the taxonomy defines no topics")
    # The version changes whenever the file does, so re-tagging knows what is stale.
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return Taxonomy(version=f"{data.get('version', '0')}+{digest}", topics=topics)


def _topic(item: object, where: str) -> Topic:
    check_keys(item, where, required={"id", "label", "any"},
               optional={"description", "near", "exclude", "title_weight", "min_score"})
    if not isinstance(item["id"], str) or not TOPIC_ID.match(item["id"]):
        raise ConfigError(f"{where}: 'id' must be lower-case words joined by hyphens, got {item['id']!r}")
    where = f"{where} ({item['id']})"
    if not isinstance(item["label"], str) or not item["label"].strip():
        raise ConfigError(f"{where}: 'label' must be a non-empty string")
    numbers = {}
    for key, default in (("title_weight", 2.0), ("min_score", 1.0)):
        value = item.get(key, default)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{where}: '{key}' must be a non-negative number")
        numbers[key] = float(value)
    near = string_list(item, "near", where)
    exclude = string_list(item, "exclude", where)
    return Topic(
        id=item["id"],
        label=item["label"].strip(),
        description=str(item.get("description", "")).strip(),
        any_terms=term_pattern(string_list(item, "any", where, required=True)),
        near_terms=term_pattern(near) if near else None,
        exclude=term_pattern(exclude) if exclude else None,
        **numbers,
    )
