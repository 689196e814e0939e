"""The real-pages set: article pages as real outlets served them, with ground truth.

The set lives beside the checkout (`../shared/realpages`, see its README) or wherever
`WIREWATCH_REALPAGES` points; tests/fixtures/realpages holds a subset in the same layout.
Every page in it is a real article: rejecting one loses a story.

Scores: `scoring.prf` (re-exported here).
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import py3langid
from scoring import prf, tokens  # noqa: F401  (re-exported: the set's scores)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SET = Path(os.environ.get("WIREWATCH_REALPAGES", ROOT.parent / "shared" / "realpages"))
CONTENT_TYPE = "text/html; charset=utf-8"


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
        # A benchmark's set (bench/extraction/blind) names pages by id and gives only url and text.
        path = root / (row.get("page") or f"pages/{row['id']}.html")
        body = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        url = row.get("url") or ""
        pages.append(RealPage(
            key=path.name.split(".")[0], country=row.get("country") or "?",
            publisher=row.get("publisher") or urlsplit(url).hostname or "?", url=url,
            body=body, title=row.get("title") or "", authors=tuple(row.get("authors") or ()),
            published=datetime.fromisoformat(row["published"]) if row.get("published") else None,
            text=row["text"] or ""))
    return pages
