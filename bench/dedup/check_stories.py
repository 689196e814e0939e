"""Validate the labelled dedup set: every story file well-formed, URLs unique, hard negatives
pointing at existing stories. Exit 1 with one line per problem.

    python bench/dedup/check_stories.py [stories-dir]
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

STORIES = Path(__file__).parent / "stories"
COPY_FIELDS = ("outlet", "url", "title", "published", "language", "text")


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else STORIES
    problems, urls, stories = [], {}, {}
    for path in sorted(root.glob("*.yaml")):
        try:
            story = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            problems.append(f"{path}: not valid YAML: {exc}")
            continue
        if not isinstance(story, dict) or story.get("story") != path.stem:
            problems.append(f"{path}: `story` must equal the file name ({path.stem})")
            continue
        stories[path.stem] = story
        copies = story.get("copies") or []
        if not copies:
            problems.append(f"{path}: no copies")
        for n, copy in enumerate(copies):
            missing = [f for f in COPY_FIELDS if not copy.get(f)]
            if missing:
                problems.append(f"{path}: copy {n} misses {missing}")
                continue
            if copy["url"] in urls:
                problems.append(f"{path}: copy {n} url also in {urls[copy['url']]}")
            urls[copy["url"]] = path.stem
            words = len(str(copy["text"]).split())
            if not 120 <= words <= 1200:
                problems.append(f"{path}: copy {n} has {words} words (120-1200)")
    for name, story in stories.items():
        target = story.get("hard_negative_of")
        if target and target not in stories:
            problems.append(f"{name}: hard_negative_of {target!r} is not a story in {root}")
    for problem in problems:
        print(problem)
    copies = sum(len(s.get("copies") or []) for s in stories.values())
    negatives = sum(1 for s in stories.values() if s.get("hard_negative_of"))
    print(f"{len(stories)} stories, {copies} copies, {negatives} hard negatives, {len(problems)} problems",
          file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
