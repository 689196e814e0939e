"""Stem traps in a language's phrase lists: the frequent words of the language each phrase matches.

Phrases match stems, and a stem can be shared by unrelated words: German "Kurs*" matches "Kursk",
"Armee*" "Armenien", and English "IED" stems to "i". For every phrase word of `topics.<lang>.yaml`
(or `topics.yaml` for the main language), this lists the most frequent words of the language
(from the `wordfreq` package's word lists) that match it, so a person can spot the unrelated ones
and list forms one by one, narrow a prefix or add an exclude.

    pip install wordfreq==3.1.1     # word lists (CC BY-SA 4.0); not a dependency of wirewatch
    python bench/stem_traps.py de [--words 50000] [--show 8] [--only PHRASE]

Output: one line per phrase word that matches other words: the phrase, how many of the frequent
words match, and the commonest of them. By default only the suspects are listed: words that are
not the phrase word lengthened or shortened ("verlager*" -> "verlag", a publisher; "zogen" ->
"zögern"); `--all` lists every match.
"""

from __future__ import annotations

import argparse
import bisect
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))

from wirewatch.tagging.matching import WORD, phrase_forms, stems  # noqa: E402


def phrases_of(document: dict) -> list[str]:
    """Every phrase of a phrase-list document: topics' any/near/exclude, context, cues."""
    found: list[str] = []

    def add(value) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            for item in value:
                add(item)

    for topic in document.get("topics") or []:
        for role in ("any", "near", "exclude"):
            add(topic.get(role))
    for key in ("negations", "not_negations", "background"):
        add(document.get(key))
    add((document.get("conflict") or {}).get("context"))
    return [p for p in dict.fromkeys(found) if not p.startswith("@")]


def frequent_words(language: str, count: int) -> list[str]:
    try:
        from wordfreq import top_n_list
    except ImportError:
        sys.exit("bench/stem_traps.py needs the word lists of wordfreq: pip install wordfreq==3.1.1")
    return [w for w in top_n_list(language, count) if WORD.fullmatch(w)]


def traps(phrases: list[str], words: list[str], language: str, *,
          suspects_only: bool = True) -> list[tuple[str, list[str]]]:
    """(phrase word, the frequent words matching it) for every phrase word matching more than itself;
    `suspects_only`: only words that are not the phrase word lengthened or shortened."""
    rank = {word: i for i, word in enumerate(words)}
    word_stems = stems(words, language)
    by_stem: dict[str, list[str]] = {}
    for word, stem in zip(words, word_stems):
        by_stem.setdefault(stem, []).append(word)
    sorted_stems = sorted(by_stem)
    out = []
    seen = set()
    for phrase in phrases:
        forms, prefix = phrase_forms(phrase, stemmed=language)
        surface = [w.lower() for w in WORD.findall(phrase)]
        for index, (form, written) in enumerate(zip(forms, surface)):
            is_prefix = prefix and index == len(forms) - 1
            key = (form, is_prefix)
            if key in seen or not form:
                continue
            seen.add(key)
            if is_prefix:
                start = bisect.bisect_left(sorted_stems, form)
                matched = []
                for stem in sorted_stems[start:]:
                    if not stem.startswith(form):
                        break
                    matched += by_stem[stem]
            else:
                matched = list(by_stem.get(form, []))
            matched.sort(key=rank.__getitem__)  # commonest first
            if suspects_only:
                # A word that neither starts with the phrase word nor is its beginning is another word.
                matched = [w for w in matched if not (w.startswith(written) or written.startswith(w))]
            others = [w for w in matched if w != written]
            if others:
                out.append((f"{written}{'*' if is_prefix else ''} (stem {form!r})", matched))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("language", help="ISO 639-1 code: the phrase list config/topics.<language>.yaml")
    parser.add_argument("--config", type=Path, default=ROOT / "config", help="folder with the phrase lists")
    parser.add_argument("--words", type=int, default=50_000, help="how many of the language's frequent words")
    parser.add_argument("--show", type=int, default=8, help="matching words shown per phrase word")
    parser.add_argument("--only", help="only phrase words containing this text")
    parser.add_argument("--all", action="store_true",
                        help="every matching word, also those that only lengthen or shorten the phrase word")
    args = parser.parse_args(argv)
    path = args.config / f"topics.{args.language}.yaml"
    if not path.exists():
        main_file = args.config / "topics.yaml"
        if (yaml.safe_load(main_file.read_text(encoding="utf-8")) or {}).get("language", "en") != args.language:
            parser.error(f"no phrase list for {args.language!r} ({path} is missing)")
        path = main_file
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    phrases = phrases_of(document)
    words = frequent_words(args.language, args.words)
    found = traps(phrases, words, args.language, suspects_only=not args.all)
    if args.only:
        found = [item for item in found if args.only.lower() in item[0]]
    print(f"{path.name}: {len(phrases)} phrases; {len(words)} frequent {args.language} words; "
          f"{len(found)} phrase words match other words too\n")
    for label, matched in found:
        shown = ", ".join(matched[:args.show]) + (" …" if len(matched) > args.show else "")
        print(f"{label:<40} {len(matched):>4}  {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
