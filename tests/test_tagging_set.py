"""The shipped taxonomy and gazetteer on the labelled tagging set (bench/tagging/labelled): a guard
against regressions while the rules are tuned (bench/tagging_quality.py prints the full report)."""

from __future__ import annotations

import statistics
from collections import Counter
from pathlib import Path

import pytest
import yaml

from wirewatch.tagging.actors import load_gazetteer
from wirewatch.tagging.topics import load_taxonomy

ROOT = Path(__file__).parents[1]
LABELLED_YEAR = 2026  # the year the labelled articles are written as published in
ITEMS = [item for path in sorted((ROOT / "bench" / "tagging" / "labelled").glob("*.yaml"))
         for item in yaml.safe_load(path.read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def tagged():
    taxonomy = load_taxonomy(ROOT / "config" / "topics.yaml")
    gazetteer = load_gazetteer(ROOT / "config" / "actors.yaml")
    return taxonomy, [({m.topic_id for m in taxonomy.tag(i["title"], i["text"], year=LABELLED_YEAR)},
                       {gazetteer.actors[m.actor_id].name for m in gazetteer.find(i["title"], i["text"])})
                      for i in ITEMS]


def test_the_set_is_well_formed():
    assert len(ITEMS) >= 150 and len({i["id"] for i in ITEMS}) == len(ITEMS)
    assert sum(i["kind"] == "hard-negative" for i in ITEMS) >= 40


def test_topic_macro_f1_does_not_regress(tagged):
    taxonomy, found = tagged
    counts = {topic.id: Counter() for topic in taxonomy.topics}
    for item, (topics, _) in zip(ITEMS, found):
        truth = set(item["topics"] or [])
        for topic in counts:
            counts[topic]["tp"] += topic in topics and topic in truth
            counts[topic]["fp"] += topic in topics and topic not in truth
            counts[topic]["fn"] += topic in truth and topic not in topics
    f1 = [2 * c["tp"] / (2 * c["tp"] + c["fp"] + c["fn"]) if c["tp"] + c["fp"] + c["fn"] else 1.0
          for c in counts.values()]
    # 0.914 when written; 0.886 since issue 23 made one body sentence a mention, not the news (min_score
    # 1.5 for every topic), which real conflict news rewards (English precision 0.714 -> 0.789 at the same
    # recall) and the team's own short texts, where the topic is often one sentence, do not.
    assert statistics.fmean(f1) >= 0.88
    precision = {topic: c["tp"] / (c["tp"] + c["fp"]) for topic, c in counts.items() if c["tp"] + c["fp"]}
    assert min(precision.values()) >= 0.80, precision


def test_actors_are_found_and_normalised(tagged):
    _taxonomy, found = tagged
    tp = sum(len(actors & set(i["actors"] or [])) for i, (_, actors) in zip(ITEMS, found))
    fp = sum(len(actors - set(i["actors"] or [])) for i, (_, actors) in zip(ITEMS, found))
    fn = sum(len(set(i["actors"] or []) - actors) for i, (_, actors) in zip(ITEMS, found))
    assert tp / (tp + fp) >= 0.97 and tp / (tp + fn) >= 0.97
