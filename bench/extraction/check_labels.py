"""Validate the labelled extraction set: every page has truth, every truth paragraph is on its page,
every junk string is on its page and not in the truth. Exit 1 with one line per problem.

    python bench/extraction/check_labels.py [pages-dir-or-site-dir ...]
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import yaml
from lxml import html as lxml_html

PAGES = Path(__file__).parent / "pages"
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "plugins"))
KINDS = {"article", "paywall", "live_blog", "gallery", "long", "wire", "encoding", "index", "video", "brief"}
ARTICLE_FIELDS = ("language", "title", "authors", "published", "site_name", "canonical_url", "top_image",
                  "wire_source", "summary", "junk", "text")


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def visible_text(body: bytes, content_type: str) -> str:
    from wirewatch.extraction.encoding import decode_page

    text = decode_page(body, content_type).text
    tree = lxml_html.fromstring(text)
    for bad in tree.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    return normalize(tree.text_content())


def check_pair(html_path: Path) -> list[str]:
    problems = []
    yaml_path = html_path.with_suffix(".yaml")
    if not yaml_path.exists():
        return [f"{html_path}: no {yaml_path.name}"]
    try:
        truth = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        return [f"{yaml_path}: not valid YAML: {exc}"]
    if not isinstance(truth, dict):
        return [f"{yaml_path}: not a mapping"]
    if not truth.get("url", "").startswith("https://"):
        problems.append(f"{yaml_path}: url missing or not https")
    if truth.get("kind") not in KINDS:
        problems.append(f"{yaml_path}: kind {truth.get('kind')!r} not one of {sorted(KINDS)}")
    if truth.get("is_article", True) is False:
        return problems
    missing = [f for f in ARTICLE_FIELDS if f not in truth]
    if missing:
        return problems + [f"{yaml_path}: missing fields {missing}"]
    if not isinstance(truth["authors"], list):
        problems.append(f"{yaml_path}: authors must be a list")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(truth["published"])):
        problems.append(f"{yaml_path}: published must be YYYY-MM-DD")
    body = html_path.read_bytes()
    shown = visible_text(body, truth.get("content_type", "text/html; charset=utf-8"))
    if truth.get("mojibake"):
        import ftfy  # the page carries double-encoded text on purpose; the truth is the repaired text

        shown = ftfy.fix_text(shown)
    paragraphs = [normalize(p) for p in re.split(r"\n\s*\n", truth["text"]) if p.strip()]
    if len(" ".join(paragraphs).split()) < 20:
        problems.append(f"{yaml_path}: text has fewer than 20 words")
    for paragraph in paragraphs:
        if paragraph not in shown:
            problems.append(f"{yaml_path}: truth paragraph not on the page: {paragraph[:70]!r}")
    truth_text = " ".join(paragraphs)
    for junk in truth["junk"] or []:
        if normalize(junk) not in shown:
            problems.append(f"{yaml_path}: junk not on the page: {junk!r}")
        if normalize(junk) in truth_text:
            problems.append(f"{yaml_path}: junk is inside the truth text: {junk!r}")
    return problems


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [PAGES]
    pages = sorted(p for root in roots for p in ([root] if root.is_file() else root.rglob("*.html")))
    problems = [problem for page in pages for problem in check_pair(page)]
    for yaml_path in sorted(p for root in roots if root.is_dir() for p in root.rglob("*.yaml")):
        if not yaml_path.with_suffix(".html").exists():
            problems.append(f"{yaml_path}: no page beside it")
    for problem in problems:
        print(problem)
    print(f"{len(pages)} pages checked, {len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
