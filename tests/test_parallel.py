"""Per-article work in worker processes gives the same site as one process."""

from __future__ import annotations

import random
from pathlib import Path

from digest.config import Config
from digest.pipeline import PARALLEL_MIN_FILES, build
from tests.test_golden import tree

TOPICS = [
    ("flood", "Heavy rain flooded the river town of {p}. Rescue crews evacuated residents."),
    ("chess", "The chess champion from {p} won the final game of the tournament."),
    ("budget", "The finance minister of {p} presented a budget with new taxes on fuel."),
    ("storm", "A storm hit the coast near {p}, cutting power to thousands of homes."),
]
PLACES = ["Bexley", "Oslo", "Lagos", "Quito", "Hanoi", "Perth", "Tartu", "Cork", "Bergen"]


def write_corpus(folder: Path, count: int) -> None:
    rng = random.Random(7)
    folder.mkdir()
    for i in range(count):
        name, sentence = TOPICS[i % len(TOPICS)]
        place = rng.choice(PLACES)
        body = " ".join(sentence.format(p=rng.choice(PLACES)) for _ in range(4))
        (folder / f"{name}-{i:03d}.md").write_text(
            f"---\ntitle: {name.title()} news from {place} {i}\ndate: 2024-03-0{1 + i % 5}\n"
            f"---\n{body}\nOfficials in {place} said more details would follow.\n",
            encoding="utf-8",
        )


def test_parallel_build_equals_serial_build(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_corpus(content, PARALLEL_MIN_FILES + 8)
    outputs = {}
    for jobs in (1, 2):
        out = tmp_path / f"site-{jobs}"
        config = Config(content=str(content), output=str(out), search=False)
        report = build(config, tmp_path, cache=False, jobs=jobs)
        assert report.articles == PARALLEL_MIN_FILES + 8
        outputs[jobs] = tree(out)
    assert outputs[1] == outputs[2]
