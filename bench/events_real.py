"""Conflict events on real news: reports found, merged into events, placed and counted, against
labels written from ACLED's codebook before the tagger ran on the texts.

    python bench/events_real.py [--language LANG] [--split tuning|heldout] [--show-errors]

bench/events/real/ holds the set (README there): texts under an open licence in texts.<language>.jsonl,
and the conflict pages of ../shared/realpages named by page; <language>.<source>.yaml labels each
article's events with a set-wide event id shared by every article reporting the same real-world event.
Each text goes through the tag step's own code (topics, event facts, event reports), and the
reports of the whole set through the events step's merge rule, in the order of publication.

Figures, per language and split:
  - event precision: reports matching a labelled event of their article (same ACLED event type,
    same country, dates within a day) / reports; recall: labelled events matched / labelled events;
  - merge precision and recall over pairs of matched reports: pairs wirewatch put in one event that
    the labels call one event / pairs wirewatch put together, and / pairs the labels put together;
  - fatalities exact: matched labelled events with a stated figure whose report has that figure;
  - country and admin1: of matched events, the report's country (admin1, where labelled) right.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench" / "extraction"))

import realpages  # noqa: E402

from wirewatch.events.merge import best_event, summarise  # noqa: E402
from wirewatch.tagging.actors import load_gazetteer  # noqa: E402
from wirewatch.tagging.runner import tag_article  # noqa: E402
from wirewatch.tagging.topics import load_taxonomy  # noqa: E402

SET = ROOT / "bench" / "events" / "real"
ONE_DAY = timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class Article:
    key: str
    language: str
    title: str
    text: str
    published: datetime | None
    split: str
    events: tuple[dict, ...]


def load_articles(languages: list[str], pages_dir: Path) -> list[Article]:
    texts = {}
    for path in sorted(SET.glob("texts.*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                texts[item["id"]] = item
    pages = {p.key: p for p in realpages.load(pages_dir)} if pages_dir.exists() else {}
    articles = []
    for language in languages:
        labels = [item for path in sorted(SET.glob(f"{language}.*.yaml"))
                  for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []]
        for item in labels:
            if "id" in item:
                source = texts[item["id"]]
                title, text = source["title"], source["text"]
                published = _published(source.get("published"))
            else:
                page = pages.get(item["page"])
                if page is None:  # the shared pages are not here: their items are left out
                    continue
                title, text, published = page.title, page.text, page.published
                if published is not None and published.tzinfo is None:
                    published = published.replace(tzinfo=timezone.utc)
            articles.append(Article(item.get("id") or item["page"], language, title or "", text, published,
                                    item.get("split", "tuning"), tuple(item.get("events") or ())))
    return articles


def _published(value) -> datetime | None:
    if not value:
        return None
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return datetime.combine(day, time(12), tzinfo=timezone.utc)


def reports_of(article: Article, taxonomy, gazetteer) -> list[dict]:
    """The tag step's event reports of one article (tagging.runner.tag_article itself)."""
    if article.published is None:
        return []
    tags = tag_article({"title": article.title, "text": article.text, "language": article.language,
                        "year": article.published.year, "published": article.published}, taxonomy, gazetteer)
    return [{**dataclasses.asdict(report), "article_id": article.key, "story_id": None, "outlet": article.key,
             "seen_at": article.published} for report in tags.reports]


def merge(reports: list[dict]) -> dict[tuple[str, str, str], int]:
    """The events step's merge over the whole set, in publication order: (article, topic, place) -> event."""
    events: list[dict] = []
    members: dict[int, list[dict]] = defaultdict(list)
    assigned = {}
    for report in sorted(reports, key=lambda r: (r["seen_at"], r["article_id"], -r["score"], r["topic_id"], r["location"])):
        candidates = [e for e in events if e["event_type"] == report["event_type"] and e["country"] == report["country"]]
        event = best_event(report, candidates)
        if event is None:
            event = {"id": len(events) + 1}
            events.append(event)
        members[event["id"]].append(report)
        event.update(summarise(members[event["id"]]))
        assigned[(report["article_id"], report["topic_id"], report["location"])] = event["id"]
    return assigned


def label_matches(report: dict, label: dict) -> bool:
    if report["event_type"] != label["event_type"] or report["country"] != label["country"]:
        return False
    first = label.get("date_from") or label.get("date")
    last = label.get("date_to") or label.get("date")
    if first is None:
        return True
    first, last = date.fromisoformat(str(first)), date.fromisoformat(str(last))
    return report["date_from"] <= last + ONE_DAY and report["date_to"] >= first - ONE_DAY


def evaluate(articles: list[Article], taxonomy, gazetteer) -> tuple[Counter, list[str]]:
    counts: Counter = Counter()
    errors: list[str] = []
    every_report: list[dict] = []
    matched: dict[tuple[str, str, str], str] = {}  # (article, topic, place) -> labelled event id
    for article in articles:
        reports = reports_of(article, taxonomy, gazetteer)
        every_report += reports
        labels = list(article.events)
        counts["reports"] += len(reports)
        counts["labelled"] += len(labels)
        used: set[int] = set()
        for report in reports:
            hit = next((i for i, label in enumerate(labels) if i not in used and label_matches(report, label)), None)
            if hit is None:
                errors.append(f"{article.key}: extra {report['event_type']} / {report['sub_event_type']} at "
                              f"{report['location']} ({report['country']}) {report['event_date']}")
                continue
            used.add(hit)
            label = labels[hit]
            counts["reports_right"] += 1
            matched[(article.key, report["topic_id"], report["location"])] = label["event"]
            counts["located"] += 1
            counts["country_right"] += report["country"] == label["country"]
            if label.get("admin1"):
                counts["admin1_labelled"] += 1
                counts["admin1_right"] += _same_region(report["admin1"], label["admin1"])
                if not _same_region(report["admin1"], label["admin1"]):
                    errors.append(f"{article.key}: admin1 {report['admin1']} ({report['location']}) for "
                                  f"{label['admin1']} ({label.get('location')})")
            if label.get("fatalities") is not None:
                counts["fatalities_stated"] += 1
                counts["fatalities_exact"] += report["killed"] == label["fatalities"]
                if report["killed"] != label["fatalities"]:
                    errors.append(f"{article.key}: fatalities {report['killed']} for {label['fatalities']}")
        counts["labelled_found"] += len(used)
        for i, label in enumerate(labels):
            if i not in used:
                errors.append(f"{article.key}: missed {label['event_type']} / {label.get('sub_event_type')} at "
                              f"{label.get('location')} ({label['country']}) {label.get('date')}")
    assigned = merge(every_report)
    keys = sorted(matched)
    for a, b in itertools.combinations(keys, 2):
        if a[0] == b[0]:
            continue  # pairs across articles: what merging decides
        together, truly = assigned[a] == assigned[b], matched[a] == matched[b]
        counts["pairs_merged"] += together
        counts["pairs_true"] += truly
        counts["pairs_right"] += together and truly
    return counts, errors


def _same_region(found: str | None, label: str) -> bool:
    if not found:
        return False
    a, b = found.casefold(), label.casefold()
    return a == b or a in b or b in a


def ratio(right: int, total: int) -> str:
    return f"{right / total:.3f} ({right}/{total})" if total else "n/a (0)"


def report(name: str, counts: Counter, errors: list[str], show_errors: bool) -> None:
    print(f"{name}: {counts['articles']} articles, {counts['labelled']} labelled events, {counts['reports']} reports")
    print(f"  event precision {ratio(counts['reports_right'], counts['reports'])}, "
          f"recall {ratio(counts['labelled_found'], counts['labelled'])}")
    print(f"  merge precision {ratio(counts['pairs_right'], counts['pairs_merged'])}, "
          f"recall {ratio(counts['pairs_right'], counts['pairs_true'])}")
    print(f"  fatalities exact {ratio(counts['fatalities_exact'], counts['fatalities_stated'])}")
    print(f"  country {ratio(counts['country_right'], counts['located'])}, "
          f"admin1 {ratio(counts['admin1_right'], counts['admin1_labelled'])}")
    if show_errors:
        for line in errors:
            print("    " + line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--language", action="append",
                        help="a language with labels in bench/events/real (<language>.*.yaml; repeatable; "
                             "default: every one)")
    parser.add_argument("--split", choices=("tuning", "heldout"), action="append", help="default: both, apart")
    parser.add_argument("--pages", type=Path, default=realpages.DEFAULT_SET, help="the shared real-pages set")
    parser.add_argument("--config", type=Path, default=ROOT / "config", help="folder with topics.yaml, actors.yaml")
    parser.add_argument("--show-errors", action="store_true",
                        help="list every wrong report (do not use on the held-out split before reporting it)")
    args = parser.parse_args(argv)
    taxonomy = load_taxonomy(args.config / "topics.yaml")
    gazetteer = load_gazetteer(args.config / "actors.yaml")
    labelled = sorted({path.name.split(".")[0] for path in SET.glob("*.yaml")})
    for language in args.language or labelled:
        if language not in labelled:
            parser.error(f"no event labels for {language!r} in {SET} (there are: {', '.join(labelled)})")
        articles = load_articles([language], args.pages)
        for split in args.split or ["tuning", "heldout"]:
            part = [a for a in articles if a.split == split]
            counts, errors = evaluate(part, taxonomy, gazetteer)
            counts["articles"] = len(part)
            report(f"{language} {split}", counts, errors, args.show_errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
