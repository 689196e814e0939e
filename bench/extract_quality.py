"""Extraction quality: bare trafilatura vs wirewatch's extract stage, on our labelled set or on real pages.

    python bench/extract_quality.py [--per-page] [--pages DIR]
    python bench/extract_quality.py --set realpages [--pages DIR] [--worst 10]

`--set realpages` reads real outlets' pages with ground truth (../shared/realpages, or
$WIREWATCH_REALPAGES, or --pages): see `realpages_report` below. Those figures are the ones to
believe; the labelled set was written by the team and shares its assumptions.

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
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).parent / "extraction"))

import realpages  # noqa: E402
import trafilatura  # noqa: E402
from labelled import PAGES, Page, learned_boilerplate, load_pages, prf, wirewatch_extract  # noqa: E402

from wirewatch.extraction.cleaning import WIRE_AGENCIES  # noqa: E402
from wirewatch.extraction.extract import ExtractedArticle, Rejection, extract_article  # noqa: E402


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
    parser.add_argument("--set", choices=("labelled", "realpages"), default="labelled",
                        help="the team's labelled pages (default) or real outlets' pages")
    parser.add_argument("--per-page", action="store_true", help="print every page's scores")
    parser.add_argument("--pages", type=Path, help="the set's folder (labelled: one folder per site; "
                        f"realpages: truth.jsonl and pages/, default {realpages.DEFAULT_SET})")
    parser.add_argument("--worst", type=int, default=10, help="realpages: how many worst pages to list")
    args = parser.parse_args(argv)
    if args.set == "realpages":
        return realpages_report(realpages.load(args.pages or realpages.DEFAULT_SET), worst=args.worst,
                                per_page=args.per_page)
    return labelled_report(args.pages or PAGES, per_page=args.per_page)


def labelled_report(root: Path, *, per_page: bool) -> int:
    pages = load_pages(root)
    if not pages:
        print(f"no labelled pages (*.html with *.yaml) under {root}", file=sys.stderr)
        return 2
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
        if per_page:
            print(f"{page.site}/{page.slug:<55} " + "  ".join(
                f"{name} F1 {scores[name][-1][2]:.3f}" for name in systems))

    junk_total = sum(len(p.truth["junk"]) for p in articles)
    languages = sorted({p.truth["language"] for p in articles})
    print(f"Labelled set {root}: {len(pages)} pages, {len(articles)} articles, {len(pages) - len(articles)} non-articles, "
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
    results = [wirewatch_extract(p) for p in non_articles]
    rejected = [r for r in results if not isinstance(r, ExtractedArticle)]
    flagged = [r for r in results if isinstance(r, ExtractedArticle) and "maybe_not_article" in r.quality_flags]
    bare_text = [p for p in non_articles if trafilatura.extract(p.body)]
    print(f"non-articles rejected by wirewatch: {len(rejected)}/{len(non_articles)}, kept but flagged "
          f"maybe_not_article: {len(flagged)}/{len(non_articles)} "
          f"(bare trafilatura returns text for {len(bare_text)}/{len(non_articles)})")
    for field, pages_missed in misses.items():
        print(f"  missed {field}: {', '.join(pages_missed)}")
    return 0


def realpages_report(pages: list[realpages.RealPage], *, worst: int, per_page: bool) -> int:
    """Both extractors on real pages: F1/P/R overall, by language and by country, rejections with
    their reasons, the worst pages with the cause, and metadata against the ground truth."""
    results = []
    for page in pages:
        bare = trafilatura.extract(page.body)
        ours = extract_article(page.body, url=page.url, content_type=realpages.CONTENT_TYPE)
        text = ours.text if isinstance(ours, ExtractedArticle) else None
        row = RealResult(page, realpages.prf(bare, page.text), realpages.prf(text, page.text), ours)
        results.append(row)
        if per_page:
            print(f"{page.key:<44} bare F1 {row.bare[2]:.3f}  wirewatch F1 {row.ours[2]:.3f}  {row.cause()}")
    rejected = [r for r in results if not isinstance(r.result, ExtractedArticle)]
    print(f"Real pages: {len(pages)} pages, "
          f"{len({p.publisher for p in pages})} publishers, {len({p.country for p in pages})} countries "
          f"(every page a real article)")
    print()
    print(f"{'system':<24}{'F1':>8}{'precision':>11}{'recall':>9}{'rejected':>10}")
    for name in ("bare", "ours"):
        p, r, f = (statistics.mean(getattr(x, name)[i] for x in results) for i in range(3))
        label = "bare trafilatura" if name == "bare" else "wirewatch extract"
        print(f"{label:<24}{f:>8.3f}{p:>11.3f}{r:>9.3f}{(len(rejected) if name == 'ours' else 0):>10}")
    flagged = [r for r in results if isinstance(r.result, ExtractedArticle) and "maybe_not_article" in r.result.quality_flags]
    print(f"kept but flagged maybe_not_article: {len(flagged)}"
          + (f" ({', '.join(r.page.key for r in flagged)})" if flagged else ""))
    for r in rejected:
        print(f"  rejected {r.page.key}: {r.result.reason}")
    for label, key in (("language", lambda r: r.page.language), ("country", lambda r: r.page.country)):
        print()
        print(f"F1 by {label} (pages: bare / wirewatch):")
        groups = defaultdict(list)
        for r in results:
            groups[key(r)].append(r)
        for name, rows in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            print(f"  {name:<4} {len(rows):>4}  {statistics.mean(x.bare[2] for x in rows):.3f} / "
                  f"{statistics.mean(x.ours[2] for x in rows):.3f}")
    print()
    print(f"{worst} worst pages by wirewatch F1:")
    for r in sorted(results, key=lambda x: x.ours[2])[:worst]:
        print(f"  {r.page.key:<40} F1 {r.ours[2]:.3f} (bare {r.bare[2]:.3f})  {r.cause()}")
    print()
    print("wirewatch metadata against the ground truth:")
    for line in metadata_report([r for r in results if isinstance(r.result, ExtractedArticle)]):
        print(f"  {line}")
    return 0


@dataclass
class RealResult:
    page: realpages.RealPage
    bare: tuple[float, float, float]
    ours: tuple[float, float, float]
    result: ExtractedArticle | Rejection

    def cause(self) -> str:
        """Why the page scores as it does, in a few words."""
        if not isinstance(self.result, ExtractedArticle):
            return f"rejected: {self.result.reason}"
        precision, recall, _ = self.ours
        mode = self.result.extraction.get("mode")
        if precision < recall - 0.15:
            return f"kept text beyond the story (precision {precision:.2f}; {mode} extraction)"
        if recall < precision - 0.15:
            return f"lost story text (recall {recall:.2f}; {mode} extraction)"
        return f"precision {precision:.2f}, recall {recall:.2f} ({mode} extraction)"


def metadata_report(results: list[RealResult]) -> list[str]:
    """Title exact match, author precision/recall, date within 24 h, language, over the pages that
    have each truth value."""
    titles = [_shown(r.result.title) == _shown(r.page.title) for r in results if r.page.title]
    counts = {"every credit": [0, 0, 0], "people only": [0, 0, 0]}
    for r in results:
        got = {_loose(a) for a in (r.result.author or "").split(";") if a.strip()}
        want = {_loose(a) for a in r.page.authors if a.strip()}
        # The truth also credits agencies and the outlet itself ("dpa", "BBC News"), which wirewatch
        # keeps apart (wire_source, site_name) by design: measured both ways.
        people = {a for a in want if not _credit_not_person(a, r.page)}
        for key, wanted in (("every credit", want), ("people only", people)):
            counts[key][0] += len(got)
            counts[key][1] += len(wanted)
            counts[key][2] += len(got & wanted)
    dated = [r for r in results if r.page.published]
    dates = [r.result.published_at is not None
             and abs((_aware(r.result.published_at) - _aware(r.page.published)).total_seconds()) <= 86400
             for r in dated]
    languages = [r.result.language == r.page.language for r in results]
    return [
        f"title exact match     {sum(titles)}/{len(titles)} ({sum(titles) / max(len(titles), 1):.1%})",
        *(f"authors, {key:<13} precision {c / max(f, 1):.3f}, recall {c / max(w, 1):.3f} ({c} right of {f} found, "
          f"{w} in the truth)" for key, (f, w, c) in counts.items()),
        f"date within 24 h      {sum(dates)}/{len(dates)} ({sum(dates) / max(len(dates), 1):.1%})",
        f"language              {sum(languages)}/{len(languages)} ({sum(languages) / max(len(languages), 1):.1%})",
    ]


def _credit_not_person(credit: str, page: realpages.RealPage) -> bool:
    """An agency or the outlet ("dpa", "ORF.at", "Redaktion hessenschau.de"), not a person."""
    outlet = {_loose(page.publisher).replace(" ", ""), _loose(urlsplit(page.url).hostname or "").replace(" ", "")}
    squeezed = credit.replace(" ", "")
    return credit in WIRE_AGENCIES or any(o and (o in squeezed or squeezed in o) for o in outlet) \
        or any(word in credit.split() for word in ("redaktion", "redacción", "rédaction", "staff", "agencies"))


def _shown(text: str | None) -> str:
    """Text as a reader sees it: soft hyphens, no-break spaces and runs of spaces do not show."""
    return " ".join(unicodedata.normalize("NFKC", text or "").replace("\xad", "").split())


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


if __name__ == "__main__":
    sys.exit(main())
