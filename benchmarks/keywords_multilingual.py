"""Keyword F1@10 on French and Portuguese news (`kp_multilingual_dev`), through the real build.

Run from the repository root (needs nltk besides digest)::

    python -m benchmarks.keywords_multilingual [--eval-dir ../shared/eval]

The set gives no language to the build, as a digest of feeds would not: each document is
written as a Markdown file without front matter, and the build tells the language itself
(front matter `lang`, else the article's function words, else `language`). Beside it the
same build told each document's language (`lang:` front matter). Scored as
`shared/eval/README.md` defines it: phrases lower-cased, split on \\w+, each word
stemmed by the Snowball stemmer of the document's language; F1 of the top 10 after
duplicates are removed, averaged per document.
"""

from __future__ import annotations

import argparse
import functools
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.quality import EVAL_DIR, file_name, load_jsonl, markdown, run_pipeline

_WORD = re.compile(r"\w+")
_STEMMERS = {"fr": "french", "pt": "portuguese"}


@functools.lru_cache(maxsize=4)
def _stemmer(lang: str) -> Any:
    from nltk.stem.snowball import SnowballStemmer  # type: ignore[import-untyped,unused-ignore]

    return SnowballStemmer(_STEMMERS[lang])


def _normalise(phrase: str, lang: str) -> str:
    return " ".join(str(_stemmer(lang).stem(w)) for w in _WORD.findall(phrase.lower()))


def f1_at_10(predicted: Sequence[str], gold: Iterable[str], lang: str) -> float:
    """Ranked phrases and gold phrases of one document -> F1 of the top 10."""
    top = [p for p in dict.fromkeys(_normalise(x, lang) for x in predicted[:10]) if p]
    truth = {g for g in (_normalise(x, lang) for x in gold) if g}
    hits = sum(1 for p in top if p in truth)
    if not hits:
        return 0.0
    precision, recall = hits / len(top), hits / len(truth)
    return 2 * precision * recall / (precision + recall)


def score(rows: Sequence[dict[str, Any]], told: bool) -> dict[str, float]:
    """Rows -> mean F1@10 per language of a build, told each document's language
    in front matter or left to tell it."""
    names = [file_name(i) for i in range(len(rows))]
    files = {
        n: markdown(r["text"], lang=r["lang"] if told else None)
        for n, r in zip(names, rows, strict=True)
    }
    out = run_pipeline(files)
    keywords = {a["path"]: a["keywords"] for a in out.digest["articles"]}
    by_lang: dict[str, list[float]] = {}
    for n, r in zip(names, rows, strict=True):
        by_lang.setdefault(r["lang"], []).append(
            f1_at_10(keywords.get(n, []), r["keyphrases"], r["lang"])
        )
    return {lang: sum(v) / len(v) for lang, v in sorted(by_lang.items())}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.keywords_multilingual")
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    args = parser.parse_args(argv)
    rows = load_jsonl(args.eval_dir, "kp_multilingual_dev.jsonl")
    for label, told in (("language told by the build", False), ("told (front matter)", True)):
        figures = score(rows, told)
        print(f"{label:28}", "  ".join(f"{k} {v:.3f}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
