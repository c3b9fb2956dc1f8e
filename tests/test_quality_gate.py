"""Quality gate: the real build on fixed subsets of ../shared/eval must stay above floors.

Runs `benchmarks.quality` (pipeline figures only, no baselines) on small deterministic
subsets, in about two minutes on two cores. The full benchmark, with baselines and the
README's reference numbers, is `python -m benchmarks.quality`. DIGEST_EVAL_DIR names
the data folder when it is not `../shared/eval` beside the repository (a git worktree).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from benchmarks.quality import EVAL_DIR, SetResult, format_table, run_set
from benchmarks.scoring import bcubed, f1_at_k, shingle_counts, shingle_scores

# Lowest acceptable figure per set on the gate's subset, about 2% below what the
# pipeline reached when it was pinned (measured value in the comment). Floors may only
# be raised, never lowered: when a change lifts a figure, raise its floor to just below
# the new value. B-cubed precision and recall are left free to trade against each other.
FLOORS: dict[str, dict[str, float]] = {
    "kp_dev": {"f1@10": 0.189},  # 0.1929
    # issue 12: French and Portuguese news in one folder, no language given
    "kp_multilingual": {"f1@10_fr": 0.35, "f1@10_pt": 0.29},  # 0.3571, 0.2955
    "multinews_dev": {"b3_f1": 0.93, "nmi": 0.965},  # 0.9488, 0.9843
    "uci_week": {"b3_f1": 0.918, "nmi": 0.942},  # 0.9365, 0.9617 (story window in hours)
    # Lowered on 2026-11-30 (issue 11), the one exception to "only raised": topics were
    # redesigned to stay put as a digest grows (no k-means, no global choice of how many
    # topics), which cost the recovery of broad sections. Were 0.855 / 0.875 and 0.63 /
    # 0.62. Raised on 2026-12-01, when fine topics were linked into broader ones.
    "wikiref220": {"b3_f1": 0.87, "nmi": 0.88},  # 0.887, 0.900
    "bbc_news": {"b3_f1": 0.73, "nmi": 0.72},  # 0.745, 0.738
    "multinews_summaries": {
        # raised with the word-pair bonus and stop_words (0.3604, 0.1261, 0.1813,
        # 0.4616, 0.1598, 0.1978 before)
        "rouge1@100": 0.352,  # 0.3592
        "rouge2@100": 0.124,  # 0.1267
        "rougeL@100": 0.178,  # 0.1820
        "rouge1@250": 0.453,  # 0.4629
        "rouge2@250": 0.158,  # 0.1617
        "rougeL@250": 0.195,  # 0.1980 (0.1999 when pinned)
    },
    # the dated build, and its lead over the undated build of the same clusters: the
    # issue's target is that it never falls more than 0.01 below it
    "multinews_dated": {"b3_f1": 0.935, "b3_f1_minus_undated": -0.01},  # 0.9545, 0.0128
    # the targets: 0.95 of stories keep their topic; the front page opens with the
    # most-covered story in all three builds (1.0)
    # issue 12: article bodies of saved pages, read back from the article pages
    "html_pages": {"f1": 0.955},  # 0.975 (trafilatura.extract's defaults: 0.965)
    "bbc_uci_growing": {
        "topics_kept+bbc": 0.95,  # 0.990
        "topics_kept+uci": 0.98,  # 1.0
        "topic_pairs_kept+bbc": 0.91,  # 0.979 (0.929 when pinned)
        "topic_pairs_kept+uci": 0.98,  # 1.0
        "stories_whole+bbc": 0.98,  # 1.0
        "stories_whole+uci": 0.98,  # 1.0
        "front_page_most_covered": 0.99,  # 1.0
        "uci_b3_f1": 0.96,  # 0.980
    },
}

# Highest acceptable figure, for figures where less is better (measured value in the
# comment). Ceilings may only be lowered; the targets are 0 stories mixing BBC
# sections and at most 5% of the files changed by one added article.
CEILINGS: dict[str, dict[str, float]] = {
    # issue 12's targets: no keyword is a stop-word of its language, no story mixes
    # languages
    "kp_multilingual": {"stop_words": 0, "mixed_stories": 0},  # 0, 0
    "bbc_uci_growing": {
        "mixed_sections": 1,  # 1
        # Raised on 2026-12-01 from 0.076, the one exception to "only lowered": linking
        # fine topics into broad ones (bbc_news NMI 0.41 -> 0.71 on the whole set) lets
        # one edge story of this 200-article subset leave a 12-story topic, whose label
        # then swapped its two words and rewrote the topic's 11 story pages (62 files of
        # 618 against 47). Lowered from 0.102 the same day: a label's words are now in
        # alphabetical order, so they cannot swap (51 files). On the whole growing set it
        # stays under the 0.05.
        "files_changed+bbc": 0.085,  # 0.083 (0.1003 before alphabetical labels)
        "files_changed+uci": 0.057,  # 0.055 (0.099 when pinned)
    },
}


# The gate's subsets, as `--limit` of the benchmark: kp docs and bbc docs (fixed random
# sample), the first multinews clusters, whole uci_week stories up to that many
# headlines; None = the whole set.
LIMITS: dict[str, int | None] = {
    "kp_dev": 100,
    "kp_multilingual": None,
    "multinews_dev": 150,
    "uci_week": 1500,
    "wikiref220": None,
    "bbc_news": 300,
    "multinews_summaries": 100,
    "multinews_dated": 100,  # clusters, built dated and undated
    "bbc_uci_growing": 200,  # half BBC articles, half UCI headlines; three builds
    "html_pages": 30,  # saved pages (fixed random sample)
}


@pytest.fixture(scope="module")
def eval_dir() -> Path:
    """The evaluation data folder; skip when absent, but fail in CI (CI set)."""
    if not EVAL_DIR.is_dir():
        message = (
            f"evaluation data not found at {EVAL_DIR} "
            "(it lives in shared/eval beside the repository)"
        )
        if os.environ.get("CI"):
            pytest.fail(f"quality gate cannot run in CI: {message}")
        pytest.skip(f"quality gate skipped: {message}")
    return EVAL_DIR


def out_of_bounds(
    figures: Mapping[str, float],
    floors: Mapping[str, float],
    ceilings: Mapping[str, float],
) -> list[str]:
    """Figures -> one message per figure below its floor or above its ceiling (a figure
    the result lacks counts as out of bounds)."""
    low = [
        f"{metric} = {figures[metric]:.4f} is below its floor {floor}"
        if metric in figures
        else f"{metric} is missing"
        for metric, floor in floors.items()
        if metric not in figures or figures[metric] < floor
    ]
    high = [
        f"{metric} = {figures[metric]:.4f} is above its ceiling {ceiling}"
        if metric in figures
        else f"{metric} is missing"
        for metric, ceiling in ceilings.items()
        if metric not in figures or figures[metric] > ceiling
    ]
    return low + high


@pytest.mark.parametrize("name", [n for n in LIMITS if n in FLOORS or n in CEILINGS])
def test_quality_floor(name: str, eval_dir: Path) -> None:
    result: SetResult = run_set(name, eval_dir, limit=LIMITS[name], baselines=False)
    bad = out_of_bounds(result.digest, FLOORS.get(name, {}), CEILINGS.get(name, {}))
    assert not bad, f"{name}: " + "; ".join(bad) + "\n" + format_table([result])


def test_bounds_catch_a_figure_that_drops_or_grows() -> None:
    floors, ceilings = {"f1": 0.9}, {"changed": 0.05, "mixed": 0}
    assert out_of_bounds({"f1": 0.9, "changed": 0.05, "mixed": 0}, floors, ceilings) == []
    assert len(out_of_bounds({"f1": 0.89, "changed": 0.05, "mixed": 0}, floors, ceilings)) == 1
    assert len(out_of_bounds({"f1": 0.95, "changed": 0.06, "mixed": 1}, floors, ceilings)) == 2
    assert out_of_bounds({"changed": 0.0, "mixed": 0}, floors, ceilings) == ["f1 is missing"]


def test_scores_follow_the_eval_definitions() -> None:
    # B-cubed: one item of the 3-item gold group split off
    p, r, f = bcubed(["a", "a", "b", "c"], [1, 1, 1, 2])
    assert (p, round(r, 4)) == (1.0, round((2 / 3 + 2 / 3 + 1 / 3 + 1) / 4, 4))
    assert f == pytest.approx(2 * p * r / (p + r))
    # F1@10: stemmed exact match, duplicates dropped from the top 10
    assert f1_at_k(["Elections", "election", "vote"], ["the election"]) == 0.0
    assert f1_at_k(["Elections", "election", "votes"], ["election", "vote"]) == 1.0
    # shingles: 4-word windows with multiplicity, case kept; counts scaled to sum 1
    gold = "one two three four five"  # shingles 1-4 and 2-5
    assert shingle_counts(gold, "one two three four") == (1 / 2, 0.0, 1 / 2)
    assert shingle_counts(gold, "One two three four five") == (1 / 3, 1 / 3, 1 / 3)
    assert shingle_counts("a b", "a b") == (1.0, 0.0, 0.0)  # short texts: one shingle
    # a page that extracted nothing counts for recall only
    scores = shingle_scores([(gold, gold), (gold, "")])
    assert (scores["precision"], scores["recall"]) == (1.0, 0.5)
    assert scores["f1"] == pytest.approx(2 * 0.5 / 1.5)
    # in French and Portuguese, Snowball stems of the language
    assert f1_at_k(["réformes", "grève"], ["réforme", "grèves"], lang="fr") == 1.0
    assert f1_at_k(["sindicatos"], ["sindicato", "greve"], lang="pt") == pytest.approx(2 / 3)
