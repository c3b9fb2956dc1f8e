"""Quality gate: the real build on fixed subsets of ../shared/eval must stay above floors.

Runs `benchmarks.quality` (pipeline figures only, no baselines) on small deterministic
subsets, in about a minute and a half on two cores. The full benchmark, with baselines and the
README's reference numbers, is `python -m benchmarks.quality`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.quality import SetResult, format_table, run_set
from benchmarks.scoring import bcubed, f1_at_k

EVAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval"

# Lowest acceptable figure per set on the gate's subset, about 2% below what the
# pipeline reached when it was pinned (measured value in the comment). Floors may only
# be raised, never lowered: when a change lifts a figure, raise its floor to just below
# the new value. B-cubed precision and recall are left free to trade against each other.
FLOORS: dict[str, dict[str, float]] = {
    "kp_dev": {"f1@10": 0.158},  # 0.1623
    "multinews_dev": {"b3_f1": 0.905, "nmi": 0.965},  # 0.9222, 0.9773
    "uci_week": {"b3_f1": 0.895, "nmi": 0.93},  # 0.9133, 0.9484
    "wikiref220": {"b3_f1": 0.855, "nmi": 0.875},  # 0.8735, 0.8911
    "bbc_news": {"b3_f1": 0.63, "nmi": 0.62},  # 0.6432, 0.6336
    "multinews_summaries": {
        "rouge1@100": 0.352,  # 0.360
        "rouge2@100": 0.123,  # 0.126
        "rougeL@100": 0.176,  # 0.180
        "rouge1@250": 0.452,  # 0.462
        "rouge2@250": 0.156,  # 0.160
        "rougeL@250": 0.195,  # 0.198 (0.1999 when pinned)
    },
}


# The gate's subsets, as `--limit` of the benchmark: kp docs and bbc docs (fixed random
# sample), the first multinews clusters, whole uci_week stories up to that many
# headlines; None = the whole set.
LIMITS: dict[str, int | None] = {
    "kp_dev": 100,
    "multinews_dev": 150,
    "uci_week": 1500,
    "wikiref220": None,
    "bbc_news": 300,
    "multinews_summaries": 100,
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


@pytest.mark.parametrize("name", list(FLOORS))
def test_quality_floor(name: str, eval_dir: Path) -> None:
    result: SetResult = run_set(name, eval_dir, limit=LIMITS[name], baselines=False)
    low = [
        f"{metric} = {result.digest[metric]:.4f} is below its floor {floor}"
        for metric, floor in FLOORS[name].items()
        if result.digest[metric] < floor
    ]
    assert not low, f"{name}: " + "; ".join(low) + "\n" + format_table([result])


def test_scores_follow_the_eval_definitions() -> None:
    # B-cubed: one item of the 3-item gold group split off
    p, r, f = bcubed(["a", "a", "b", "c"], [1, 1, 1, 2])
    assert (p, round(r, 4)) == (1.0, round((2 / 3 + 2 / 3 + 1 / 3 + 1) / 4, 4))
    assert f == pytest.approx(2 * p * r / (p + r))
    # F1@10: stemmed exact match, duplicates dropped from the top 10
    assert f1_at_k(["Elections", "election", "vote"], ["the election"]) == 0.0
    assert f1_at_k(["Elections", "election", "votes"], ["election", "vote"]) == 1.0
