"""The real-pages set: article pages as real outlets served them, with ground truth.

The set lives beside the checkout (`../shared/realpages`, see its README) or wherever
`WIREWATCH_REALPAGES` points; tests/fixtures/realpages holds a subset in the same layout.
Every page in it is a real article: rejecting one loses a story.

Scoring differs from the labelled set in one way: text in scripts written without spaces
(Chinese, Japanese, Thai) is scored per character, since a `\\w+` run there is a whole clause
and one differing character would fail the whole run.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import py3langid

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SET = Path(os.environ.get("WIREWATCH_REALPAGES", ROOT.parent / "shared" / "realpages"))
CONTENT_TYPE = "text/html; charset=utf-8"

# One token per character in unspaced scripts (Han, kana, Thai…), \w+ runs elsewhere.
UNSPACED = "\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
TOKEN = re.compile(rf"[{UNSPACED}]|[^\W{UNSPACED}]+")


@dataclass(frozen=True)
class RealPage:
    key: str  # file stem, e.g. "de-Tagesschau_2024_02_01"
    country: str
    publisher: str
    url: str
    body: bytes
    title: str
    authors: tuple[str, ...]
    published: datetime | None
    text: str

    @property
    def language(self) -> str:
        """The truth text's language (the set does not label it; its texts are long enough to tell)."""
        return py3langid.classify(self.text[:3000])[0]


def load(root: Path = DEFAULT_SET) -> list[RealPage]:
    """All pages of the set at `root` (a folder holding truth.jsonl and pages/)."""
    truth_file = root / "truth.jsonl"
    if not truth_file.exists():
        raise FileNotFoundError(f"no real-pages set at {root} (truth.jsonl missing); set WIREWATCH_REALPAGES")
    pages = []
    for line in truth_file.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        path = root / row["page"]
        body = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        pages.append(RealPage(
            key=path.name.split(".")[0], country=row["country"], publisher=row["publisher"], url=row["url"],
            body=body, title=row["title"] or "", authors=tuple(row.get("authors") or ()),
            published=datetime.fromisoformat(row["published"]) if row.get("published") else None,
            text=row["text"] or ""))
    return pages


def tokens(text: str | None) -> Counter:
    return Counter(TOKEN.findall((text or "").lower()))


def prf(extracted: str | None, truth: str) -> tuple[float, float, float]:
    """Bag-of-tokens precision, recall and F1 of an extracted text against the truth."""
    got, want = tokens(extracted), tokens(truth)
    common = sum((got & want).values())
    precision = common / sum(got.values()) if got else 0.0
    recall = common / sum(want.values()) if want else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
