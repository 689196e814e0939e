"""The labelled extraction set (bench/extraction/pages) and the scores computed on it.

Shared by bench/extract_quality.py, bench/extract_speed.py and tests/test_extraction_set.py.
Scores are bag-of-tokens precision/recall/F1 per page (`scoring.prf`, re-exported here).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

PAGES = Path(__file__).parent / "pages"
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "plugins"))

from scoring import prf, tokens  # noqa: E402,F401  (re-exported: the set's scores)

from wirewatch.extraction.boilerplate import BoilerplateModel  # noqa: E402
from wirewatch.extraction.extract import ExtractedArticle, extract_article  # noqa: E402
from wirewatch.urls import site_of  # noqa: E402

DEFAULT_CONTENT_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Page:
    site: str
    slug: str
    body: bytes
    truth: dict

    @property
    def is_article(self) -> bool:
        return self.truth.get("is_article", True) is not False

    @property
    def content_type(self) -> str:
        return self.truth.get("content_type", DEFAULT_CONTENT_TYPE)

    @property
    def url(self) -> str:
        return self.truth["url"]


def load_pages(root: Path = PAGES) -> list[Page]:
    """Pages under `root`: a folder of site folders, or one site's folder."""
    pages = []
    for html_path in sorted(root.glob("*.html")) or sorted(root.glob("*/*.html")):
        truth = yaml.safe_load(html_path.with_suffix(".yaml").read_text(encoding="utf-8"))
        pages.append(Page(site=html_path.parent.name, slug=html_path.stem, body=html_path.read_bytes(), truth=truth))
    return pages


def wirewatch_extract(page: Page, boilerplate: frozenset[int] = frozenset()):
    return extract_article(page.body, url=page.url, content_type=page.content_type,
                           summary=page.truth.get("summary"), boilerplate=boilerplate)


def learned_boilerplate(pages: list[Page]) -> dict[tuple[str, str], frozenset[int]]:
    """For each article page, the boilerplate learned from the *other* articles of its site
    (leave-one-out: a page never learns from itself), as the warehouse would after seeing them."""
    first_pass = {}
    for page in pages:
        result = wirewatch_extract(page)
        if isinstance(result, ExtractedArticle):
            first_pass[(page.site, page.slug)] = result.text
    known = {}
    for page in pages:
        model = BoilerplateModel()
        for (site, slug), text in first_pass.items():
            if site == page.site and slug != page.slug:
                model.observe(site_of(page.url), text)
        known[(page.site, page.slug)] = model.known(site_of(page.url))
    return known
