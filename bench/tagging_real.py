"""Tagging on real news: the ground-truth texts of ../shared/realpages, labelled by language.

    python bench/tagging_real.py [--language en|de] [--pages DIR] [--show-errors]

bench/tagging/real/<language>.yaml labels every English or German page of the set (topics per
page, most none; whether it is about armed conflict; fatalities and places), and for further
languages openly licensed texts kept beside them in texts.<language>.jsonl (items with `id:`
instead of `page:`, and a `split:`, tuning or heldout, reported apart). Each page's truth
text is tagged with the taxonomy in the page's language, as the tag step does, and compared:
  - non-conflict articles given any topic (goal: at most 2 %);
  - on conflict articles, topic precision and recall (micro, over page-topic pairs);
  - the relevance gate (`Taxonomy.relevance`) against the `conflict` label;
  - on conflict articles, the events (`wirewatch.tagging.facts`): labelled killed/injured figures found
    exactly (kind, number and qualifier), and labelled places found with the right country.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench" / "extraction"))

import realpages  # noqa: E402

from wirewatch.tagging.facts import casualties  # noqa: E402
from wirewatch.tagging.geo import places  # noqa: E402
from wirewatch.tagging.topics import load_taxonomy  # noqa: E402

LABELS = ROOT / "bench" / "tagging" / "real"


def load_labels(language: str) -> list[dict]:
    return yaml.safe_load((LABELS / f"{language}.yaml").read_text(encoding="utf-8"))


def labelled_languages() -> list[str]:
    return sorted(p.stem for p in LABELS.glob("*.yaml") if len(p.stem) == 2)


def load_texts(language: str) -> dict[str, SimpleNamespace]:
    """The openly licensed texts of a language's labels, by id, shaped as real pages."""
    path = LABELS / f"texts.{language}.jsonl"
    if not path.exists():
        return {}
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {row["id"]: SimpleNamespace(title=row["title"], text=row["text"],
                                       published=datetime.fromisoformat(row["published"]) if row.get("published")
                                       else None) for row in rows}


def evaluate(taxonomy, labels: list[dict], pages: dict[str, realpages.RealPage], language: str) -> dict:
    """Counts of the comparison, and the errors page by page."""
    counts: Counter = Counter()
    errors = []
    for item in labels:
        page = pages[item.get("page") or item["id"]]
        year = (page.published or datetime.now()).year
        assessed = taxonomy.assess(page.title, page.text, year=year, language=language)
        relevance, found = assessed.relevance, {m.topic_id for m in assessed.topics}
        truth = set(item.get("topics") or [])
        conflict = bool(item.get("conflict"))
        counts["pages"] += 1
        counts["conflict"] += conflict
        counts[("gate", conflict, relevance.conflict)] += 1
        if conflict:
            count_events(counts, item, page.text, language)
            counts["tp"] += len(found & truth)
            counts["fp"] += len(found - truth)
            counts["fn"] += len(truth - found)
        else:
            counts["non_conflict_tagged"] += bool(found)
            counts["non_conflict_fp"] += len(found)
        if found != truth or conflict != relevance.conflict:
            errors.append((item.get("page") or item["id"], conflict, relevance, sorted(found - truth), sorted(truth - found)))
    return {"counts": counts, "errors": errors}


def count_events(counts: Counter, item: dict, text: str, language: str) -> None:
    """Labelled figures found exactly, and labelled places found (by name) with their country."""
    got = {(c.kind, c.count, c.qualifier) for c in casualties(text, language)}
    for figure in item.get("fatalities") or []:
        counts["figures"] += 1
        counts["figures_exact"] += (figure["kind"], figure["count"], figure["qualifier"]) in got
        counts["figures_number"] += any((k, n) == (figure["kind"], figure["count"]) for k, n, _ in got)
    named = {p.name.lower(): p.country for p in places(text)}
    for place in item.get("places") or []:
        counts["places"] += 1
        country = named.get(place["name"].lower())
        counts["places_found"] += country is not None
        counts["places_right"] += country == place["country"]


def report(language: str, result: dict, *, show_errors: bool) -> None:
    c = result["counts"]
    non_conflict = c["pages"] - c["conflict"]
    precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
    recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
    print(f"real {language}: {c['pages']} pages, {c['conflict']} about armed conflict")
    print(f"  non-conflict articles given a topic: {c['non_conflict_tagged']}/{non_conflict} "
          f"({c['non_conflict_tagged'] / max(non_conflict, 1):.1%}), {c['non_conflict_fp']} topics in all")
    print(f"  conflict articles: topic precision {precision:.3f}, recall {recall:.3f} "
          f"({c['tp']} right, {c['fp']} wrong, {c['fn']} missed)")
    print(f"  relevance gate: conflict passed {c[('gate', True, True)]}/{c['conflict']}, "
          f"non-conflict passed {c[('gate', False, True)]}/{non_conflict}")
    print(f"  casualty figures: {c['figures_exact']}/{c['figures']} found exactly (kind, number, qualifier), "
          f"{c['figures_number']}/{c['figures']} with the right number")
    print(f"  places: {c['places_found']}/{c['places']} found by name, country right on "
          f"{c['places_right']}/{c['places_found']}")
    if show_errors:
        for page, conflict, relevance, extra, missed in result["errors"]:
            print(f"    {page}: conflict {conflict}, gate {relevance.conflict} ({relevance.sentences} sentences: "
                  f"{', '.join(relevance.evidence[:4])}); topics +{extra} -{missed}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--language", action="append",
                        help="which labelled language (repeatable; default: every labelled one)")
    parser.add_argument("--pages", type=Path, default=realpages.DEFAULT_SET, help="the real-pages set")
    parser.add_argument("--config", type=Path, default=ROOT / "config", help="folder with topics.yaml")
    parser.add_argument("--split", choices=("tuning", "heldout"),
                        help="only this split of languages that have splits (default: each apart)")
    parser.add_argument("--show-errors", action="store_true", help="list every page the tagger gets wrong "
                        "(do not look at this for a set you report as held out)")
    args = parser.parse_args(argv)
    taxonomy = load_taxonomy(args.config / "topics.yaml")
    pages = {p.key: p for p in realpages.load(args.pages)}
    for language in args.language or labelled_languages():
        labels, texts = load_labels(language), load_texts(language)
        splits = sorted({item.get("split") for item in labels if item.get("split")})
        for split in splits or [None]:
            if args.split and split and split != args.split:
                continue
            part = [item for item in labels if item.get("split") == split]
            name = f"{language} {split}" if split else language
            report(name, evaluate(taxonomy, part, {**pages, **texts}, language), show_errors=args.show_errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
