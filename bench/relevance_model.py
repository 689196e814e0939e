"""Is an article about armed conflict? The taxonomy's rules (the relevance gate) against a small
learned model, and both combined, measured on held-out English items.

    pip install scikit-learn==1.9.1   # the experiment's only extra dependency
    python bench/relevance_model.py

The model is TF-IDF over word 1-2-grams with logistic regression (scikit-learn), trained on
the labelled parts A and B (an item with topics is about conflict; hard negatives and items
without topics are not) and on the real English labels (`conflict`). It is measured, with the
rules, on the blind part C (bench/tagging/holdout/part-c.yaml), which neither was tuned on.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench" / "extraction"))

import realpages  # noqa: E402

from wirewatch.tagging.topics import load_taxonomy  # noqa: E402

YEAR = 2026


def labelled(path: Path) -> list[tuple[str, bool]]:
    items = []
    for file in [path] if path.is_file() else sorted(path.glob("*.yaml")):
        items += [(f"{i['title']}\n{i['text']}", bool(i.get("topics"))) for i in yaml.safe_load(file.read_text())]
    return items


def real_english() -> list[tuple[str, bool]]:
    pages = {p.key: p for p in realpages.load()}
    labels = yaml.safe_load((ROOT / "bench" / "tagging" / "real" / "en.yaml").read_text())
    return [(f"{pages[i['page']].title}\n{pages[i['page']].text}", bool(i["conflict"])) for i in labels]


def scores(predicted: list[bool], truth: list[bool]) -> str:
    tp = sum(p and t for p, t in zip(predicted, truth))
    fp = sum(p and not t for p, t in zip(predicted, truth))
    fn = sum(t and not p for p, t in zip(predicted, truth))
    accuracy = sum(p == t for p, t in zip(predicted, truth)) / len(truth)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return f"accuracy {accuracy:.3f}  precision {precision:.3f}  recall {recall:.3f}  (false alarms {fp}, missed {fn})"


def main() -> int:
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
    except ImportError:
        print("needs scikit-learn: pip install scikit-learn==1.9.1", file=sys.stderr)
        return 2
    train = labelled(ROOT / "bench" / "tagging" / "labelled") + real_english()
    test = labelled(ROOT / "bench" / "tagging" / "holdout" / "part-c.yaml")
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                          LogisticRegression(class_weight="balanced", max_iter=1000))
    model.fit([text for text, _ in train], [label for _, label in train])
    taxonomy = load_taxonomy(ROOT / "config" / "topics.yaml")
    truth = [label for _, label in test]
    rules = [taxonomy.relevance(text.split("\n", 1)[0], text.split("\n", 1)[1], year=YEAR).conflict for text, _ in test]
    learned = [bool(p) for p in model.predict([text for text, _ in test])]
    print(f"trained on {len(train)} texts ({sum(label for _, label in train)} about conflict); "
          f"held-out part C: {len(test)} items ({sum(truth)} about conflict)\n")
    for name, predicted in (("rules (relevance gate)", rules), ("model (TF-IDF + logistic regression)", learned),
                            ("both must agree", [r and m for r, m in zip(rules, learned)]),
                            ("either suffices", [r or m for r, m in zip(rules, learned)])):
        print(f"{name:<38} {scores(predicted, truth)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
