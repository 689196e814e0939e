"""Extraction quality on the labelled set: bare trafilatura vs wirewatch's extract stage.

    python bench/extract_quality.py [--per-page] [--pages DIR]

The default set (bench/extraction/pages) is the one wirewatch's cleaning rules were developed
against; bench/extraction/holdout holds sites written afterwards and never tuned on
(`--pages bench/extraction/holdout`).

For every labelled article page (bench/extraction/pages), token-level precision, recall and F1
of the extracted text against the hand-written truth, averaged over pages, for:
  - bare `trafilatura.extract(html)` with default settings,
  - wirewatch's extract stage without per-site learning (trafilatura + cleaner),
  - wirewatch's extract stage with the boilerplate learned from the site's other pages.
Also: junk strings leaked, metadata accuracy and non-article classification.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "extraction"))

import trafilatura  # noqa: E402
from labelled import PAGES, Page, learned_boilerplate, load_pages, prf, wirewatch_extract  # noqa: E402

from wirewatch.extract import ExtractedArticle  # noqa: E402


def _loose(name: str) -> str:
    """Compare names without punctuation and case: "Dr. A" and "Dr A" are one author."""
    return " ".join("".join(c for c in name.lower() if c.isalnum() or c.isspace() or c == ";").split())


def metadata_checks(page: Page, got: ExtractedArticle) -> dict[str, bool]:
    truth = page.truth
    authors = _loose(got.author or "")
    return {
        "title": (got.title or "").strip() == truth["title"].strip(),
        "authors": all(_loose(name) in authors for name in truth["authors"]) if truth["authors"] else not authors,
        "date": got.published_at is not None and got.published_at.date() == date.fromisoformat(str(truth["published"])),
        "language": got.language == truth["language"],
        "canonical": got.page_canonical_url == truth["canonical_url"],
        "top_image": got.top_image == truth["top_image"],
        "wire_source": got.wire_source == truth["wire_source"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-page", action="store_true", help="print every page's scores")
    parser.add_argument("--pages", type=Path, default=PAGES, help="labelled pages, one folder per site")
    args = parser.parse_args(argv)

    pages = load_pages(args.pages)
    if not pages:
        parser.error(f"no labelled pages (*.html with *.yaml) under {args.pages}")
    articles = [p for p in pages if p.is_article]
    known = learned_boilerplate(pages)
    systems = ("trafilatura", "wirewatch-no-learning", "wirewatch")
    scores = {name: [] for name in systems}
    leaks = defaultdict(int)
    by_kind = defaultdict(lambda: defaultdict(list))
    meta = defaultdict(list)
    misses = defaultdict(list)
    for page in articles:
        truth_text = page.truth["text"]
        outputs = {"trafilatura": trafilatura.extract(page.body)}
        for name, boilerplate in (("wirewatch-no-learning", frozenset()), ("wirewatch", known[(page.site, page.slug)])):
            result = wirewatch_extract(page, boilerplate)
            outputs[name] = result.text if isinstance(result, ExtractedArticle) else None
            if name == "wirewatch":
                if isinstance(result, ExtractedArticle):
                    for field, ok in metadata_checks(page, result).items():
                        meta[field].append(ok)
                        if not ok:
                            misses[field].append(f"{page.site}/{page.slug}")
                else:
                    misses["rejected"].append(f"{page.site}/{page.slug}: {result.reason}")
        for name in systems:
            score = prf(outputs[name], truth_text)
            scores[name].append(score)
            by_kind[page.truth["kind"]][name].append(score[2])
            leaks[name] += sum(1 for junk in page.truth["junk"] if junk in (outputs[name] or ""))
        if args.per_page:
            print(f"{page.site}/{page.slug:<55} " + "  ".join(
                f"{name} F1 {scores[name][-1][2]:.3f}" for name in systems))

    junk_total = sum(len(p.truth["junk"]) for p in articles)
    languages = sorted({p.truth["language"] for p in articles})
    print(f"Labelled set {args.pages}: {len(pages)} pages, {len(articles)} articles, {len(pages) - len(articles)} non-articles, "
          f"{len({p.site for p in pages})} sites, languages {', '.join(languages)}; {junk_total} junk strings")
    print()
    print(f"{'system':<24}{'precision':>10}{'recall':>10}{'F1':>10}{'junk leaked':>14}")
    for name in systems:
        p, r, f = (statistics.mean(s[i] for s in scores[name]) for i in range(3))
        print(f"{name:<24}{p:>10.3f}{r:>10.3f}{f:>10.3f}{leaks[name]:>8} / {junk_total}")
    print()
    print("F1 by page kind:")
    for kind in sorted(by_kind):
        print(f"  {kind:<12} ({len(by_kind[kind]['wirewatch']):>2})  " + "  ".join(
            f"{name} {statistics.mean(by_kind[kind][name]):.3f}" for name in systems))
    print()
    print("wirewatch metadata accuracy: " + ", ".join(
        f"{field} {sum(v)}/{len(v)}" for field, v in meta.items()))
    non_articles = [p for p in pages if not p.is_article]
    rejected = [p for p in non_articles if not isinstance(wirewatch_extract(p), ExtractedArticle)]
    bare_text = [p for p in non_articles if trafilatura.extract(p.body)]
    print(f"non-articles rejected by wirewatch: {len(rejected)}/{len(non_articles)} "
          f"(bare trafilatura returns text for {len(bare_text)}/{len(non_articles)})")
    for field, pages_missed in misses.items():
        print(f"  missed {field}: {', '.join(pages_missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
