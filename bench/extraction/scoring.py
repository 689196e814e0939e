"""Bag-of-tokens precision, recall and F1 of an extracted text against the truth, as the public
article-extraction benchmarks compute them: lower-cased tokens, counts matter, order does not.

Text in scripts written without spaces (Chinese, Japanese, Thai…) is scored per character: a
`\\w+` run there is a whole clause, and one differing character would fail the whole run.
"""

from __future__ import annotations

import re
from collections import Counter

UNSPACED = "\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
TOKEN = re.compile(rf"[{UNSPACED}]|[^\W{UNSPACED}]+")


def tokens(text: str | None) -> Counter:
    return Counter(TOKEN.findall((text or "").lower()))


def prf(extracted: str | None, truth: str) -> tuple[float, float, float]:
    got, want = tokens(extracted), tokens(truth)
    common = sum((got & want).values())
    precision = common / sum(got.values()) if got else 0.0
    recall = common / sum(want.values()) if want else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
