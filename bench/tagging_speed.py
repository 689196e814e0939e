"""Tagging speed on one core: articles/s for 3 KB articles with the full taxonomy and gazetteer.

    python bench/tagging_speed.py [--articles 2000] [--size 3000]

Articles of about `--size` characters are assembled from the labelled tagging set's texts (so the
vocabulary is real news prose), and each is tagged as the tag step does it: `Taxonomy.tag` (topics,
evidence) and `Gazetteer.find` (actors). Prints the compile time and articles/s for topics,
actors and both, on one core (this process); then the tag step's own `tag_article` (with event
facts and reports) and, in turns with it, wirewatch's extraction and bare trafilatura on real pages,
each the best of `--rounds`, and the tag step's cost as a share of theirs.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timezone

from tagging_quality import LABELLED, ROOT, load_items

from wirewatch.tagging.actors import load_gazetteer
from wirewatch.tagging.facts import _sentence_facts as sentence_facts_cache
from wirewatch.tagging.facts import event_facts
from wirewatch.tagging.geo import places_in
from wirewatch.tagging.matching import tokenize
from wirewatch.tagging.runner import tag_article
from wirewatch.tagging.topics import load_taxonomy


def articles(count: int, size: int, seed: int = 7) -> list[tuple[str, str]]:
    items = load_items(LABELLED)
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        parts, length = [], 0
        while length < size:
            item = rng.choice(items)
            parts.append(item["text"].strip())
            length += len(parts[-1]) + 1
        made.append((rng.choice(items)["title"], "\n".join(parts)[:size]))
    return made


def rate(label: str, work, batch: list[tuple[str, str]]) -> float:
    start = time.perf_counter()
    for title, text in batch:
        work(title, text)
    per_second = len(batch) / (time.perf_counter() - start)
    print(f"{label:<28} {per_second:>8.0f} articles/s")
    return per_second


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--size", type=int, default=3000, help="characters per article")
    parser.add_argument("--extract-pages", type=int, default=60,
                        help="real pages (../shared/realpages) whose extraction is timed in the same run, as the "
                             "reference the tag step's cost is set beside (0: skip)")
    parser.add_argument("--rounds", type=int, default=3, help="turns of tag step and reference timings (best kept)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    taxonomy = load_taxonomy(ROOT / "config" / "topics.yaml")
    gazetteer = load_gazetteer(ROOT / "config" / "actors.yaml")
    print(f"compiled {len(taxonomy.topics)} topics and {len(gazetteer.actors)} actors in "
          f"{(time.perf_counter() - start) * 1000:.0f} ms")
    batch = articles(args.articles, args.size)
    print(f"{len(batch)} articles of {args.size} characters, one core\n")
    rate("warm-up", lambda t, x: (taxonomy.tag(t, x), gazetteer.find(t, x)), batch[:200])
    rate("topics (Taxonomy.tag)", taxonomy.tag, batch)
    rate("actors (Gazetteer.find)", gazetteer.find, batch)
    rate("topics + actors (tag step)", lambda t, x: (tokens := tokenize(x), taxonomy.tag(t, x, tokens=tokens),
                                                     gazetteer.find(t, x, tokens=tokens)), batch)
    event_facts(batch[0][1], ((0, 100),), language="en", published=None)  # load the place names once
    # The articles are assembled from a few hundred sentences, so a sentence's facts are cleared from the
    # cache after each article: only the sharing of sentences between an article's topics is counted.
    rate("the same with event facts", lambda t, x: (
        tokens := tokenize(x), gazetteer.find(t, x, tokens=tokens),
        [event_facts(x, m.evidence_spans, language="en", published=None)
         for m in taxonomy.tag(t, x, tokens=tokens)], sentence_facts_cache.cache_clear(), places_in.cache_clear()), batch)
    # The tag step's own function: topics, actors, event facts and event reports (places, actors, day).
    published = datetime(2024, 11, 20, 12, tzinfo=timezone.utc)

    def tag_step(title: str, text: str) -> None:
        tag_article({"title": title, "text": text, "language": "en", "year": 2024, "published": published},
                    taxonomy, gazetteer)
        sentence_facts_cache.cache_clear()
        places_in.cache_clear()
        gazetteer._named.clear()

    # Loaded once per worker process, on first use: the gazetteers' place tables.
    rate("warm-up (tag_article)", tag_step, batch[:200])
    if not args.extract_pages:
        rate("tag step (tag_article)", tag_step, batch)
        return 0
    # The tag step and its references are timed in turns, `--rounds` times, and each keeps its best
    # round: a machine whose speed drifts during the run then weighs on both sides alike.
    tag_rate = extract_rate = bare_rate = 0.0
    for round_ in range(1, args.rounds + 1):
        print(f"\nround {round_} of {args.rounds}")
        tag_rate = max(tag_rate, rate("tag step (tag_article)", tag_step, batch))
        extract, bare = extraction_rate(args.extract_pages)
        extract_rate, bare_rate = max(extract_rate, extract), max(bare_rate, bare)
    print(f"\nthe tag step (tag_article, with event reports) costs {bare_rate / tag_rate:.3f} of bare "
          f"trafilatura's per-article time ({1000 / tag_rate:.2f} ms vs {1000 / bare_rate:.1f} ms) and "
          f"{extract_rate / tag_rate:.3f} of the extract step's ({1000 / extract_rate:.1f} ms), best of "
          f"{args.rounds} rounds each, same run, one core")
    return 0


def extraction_rate(pages: int) -> tuple[float, float]:
    """Pages/s of wirewatch's extract_article and of bare trafilatura.extract on real pages, one core:
    the references the tag step is set beside."""
    sys.path.insert(0, str(ROOT / "bench" / "extraction"))
    import realpages
    import trafilatura

    from wirewatch.extraction.extract import extract_article

    sample = realpages.load()[:pages]
    extract_article(sample[0].body, url=sample[0].url)  # one-time loading outside the timing
    start = time.perf_counter()
    for page in sample:
        extract_article(page.body, url=page.url, content_type=realpages.CONTENT_TYPE)
    per_second = len(sample) / (time.perf_counter() - start)
    print(f"{'extract step, real pages':<28} {per_second:>8.1f} articles/s")
    start = time.perf_counter()
    for page in sample:
        trafilatura.extract(page.body)
    bare = len(sample) / (time.perf_counter() - start)
    print(f"{'bare trafilatura, same pages':<28} {bare:>8.1f} articles/s")
    return per_second, bare


if __name__ == "__main__":
    sys.exit(main())
