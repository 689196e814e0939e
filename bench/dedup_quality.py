"""Deduplication quality on the labelled story set: pairwise precision and recall of "same story".

    python bench/dedup_quality.py [--stories DIR] [--show-errors]

Every copy in bench/dedup/stories is cleaned as the extract step cleans texts
(`cleaning.clean_text`), loaded as an extracted article into a scratch warehouse, and the real
dedup step (`dedup_articles`) assigns stories, copies taken in order of publication.
Then, over all pairs of copies: a pair is predicted "same story" when both landed in one story,
and is truly the same when the labelled set says so. Hard negatives (different stories written to
look alike) are counted separately too.

`--teasers N` adds to each story one more copy: the first N paragraphs of its longest copy, as a
paywalled outlet's teaser would be (the hardest case for MinHash: little of the text, all of it
shared).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import sys
from pathlib import Path

import psycopg2
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))

from wirewatch import migrations  # noqa: E402
from wirewatch.db import ensure_database  # noqa: E402
from wirewatch.dedup.runner import dedup_articles  # noqa: E402
from wirewatch.extraction.cleaning import clean_text  # noqa: E402
from wirewatch.settings import Settings  # noqa: E402
from wirewatch.text import text_fingerprint, word_count  # noqa: E402

STORIES = Path(__file__).parent / "dedup" / "stories"


def load_stories(root: Path) -> list[dict]:
    return [yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(root.glob("*.yaml"))]


def add_teasers(stories: list[dict], paragraphs: int) -> None:
    for story in stories:
        longest = max(story["copies"], key=lambda copy: len(copy["text"]))
        lead = clean_text(longest["text"], title=longest["title"]).text.split("\n")[:paragraphs]
        story["copies"].append({**longest, "outlet": "Teaser Times", "url": longest["url"] + "?teaser",
                                "text": "\n\n".join(lead)})


def assign(stories: list[dict], settings: Settings) -> dict[str, int]:
    """Run the real dedup step over the copies. -> story id by copy URL."""
    url = settings.database_url.rsplit("/", 1)[0] + f"/wirewatch_bench_dedup_{os.getpid()}"
    ensure_database(url)
    try:
        with psycopg2.connect(url) as conn:
            migrations.migrate(conn, settings.sql_dir)
            with conn.cursor() as cur:
                for story in stories:
                    for copy in story["copies"]:
                        text = clean_text(copy["text"], title=copy["title"]).text
                        cur.execute(
                            """INSERT INTO articles (url, canonical_url, outlet, status, title, published_at, text,
                                                     text_hash, word_count, language)
                               VALUES (%s, %s, %s, 'extracted', %s, %s, %s, %s, %s, %s)""",
                            (copy["url"], copy["url"], copy["outlet"], copy["title"], copy["published"], text,
                             text_fingerprint(text), word_count(text), copy["language"]))
        dedup_articles(run_id="bench", settings=dataclasses.replace(settings, database_url=url))
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT url, story_id FROM articles")
            return dict(cur.fetchall())
    finally:
        admin = psycopg2.connect(settings.database_url.rsplit("/", 1)[0] + "/postgres")
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        admin.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=Path, default=STORIES, help="labelled story files (*.yaml)")
    parser.add_argument("--show-errors", action="store_true", help="list wrongly merged and missed pairs")
    parser.add_argument("--teasers", type=int, metavar="N", default=0,
                        help="add to each story a teaser copy: the first N paragraphs of its longest copy")
    args = parser.parse_args(argv)
    stories = load_stories(args.stories)
    if not stories:
        parser.error(f"no story files under {args.stories}")
    if args.teasers:
        add_teasers(stories, args.teasers)
    predicted = assign(stories, Settings.from_env())
    copies = [(story["story"], copy["url"], story.get("hard_negative_of")) for story in stories
              for copy in story["copies"]]
    negatives = {s["story"]: s["hard_negative_of"] for s in stories if s.get("hard_negative_of")}
    tp = fp = fn = hard_pairs = hard_merged = 0
    errors = []
    for (story_a, url_a, _), (story_b, url_b, _) in itertools.combinations(copies, 2):
        same_truth = story_a == story_b
        same_predicted = predicted[url_a] == predicted[url_b]
        tp += same_truth and same_predicted
        fp += same_predicted and not same_truth
        fn += same_truth and not same_predicted
        if not same_truth and (negatives.get(story_a) == story_b or negatives.get(story_b) == story_a):
            hard_pairs += 1
            hard_merged += same_predicted
        if same_truth != same_predicted:
            errors.append(("merged" if same_predicted else "missed", url_a, url_b))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"{len(stories)} stories ({len(negatives)} hard negatives), {len(copies)} copies, "
          f"{tp + fn} same-story pairs")
    print(f"pairwise precision {precision:.3f}   recall {recall:.3f}   "
          f"(true merges {tp}, wrong merges {fp}, missed {fn})")
    print(f"hard-negative pairs wrongly merged: {hard_merged} / {hard_pairs}")
    print(f"stories found: {len(set(predicted.values()))} (truth: {len(stories)})")
    if args.show_errors:
        for kind, a, b in errors:
            print(f"  {kind}: {a}  ~  {b}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
