"""A small multi-story digest written by the tests: four stories in two topics,
dated and undated articles, outlets with and without links, and a few hostile
values (markup and control characters in a title, a javascript: URL).

Stories are pinned with front matter `story:` and topics with `section:`, so
the structure does not depend on the grouping's tuning.
"""

from __future__ import annotations

import random
from pathlib import Path

ARTICLES: dict[str, str] = {
    "eruption-reuters.md": """---
title: Volcano erupts near Grindavik as lava reaches homes
date: 2024-01-14T08:10:00Z
source: Reuters
url: https://www.reuters.com/world/europe/volcano-grindavik-2024-01-14/
section: World
story: grindavik
---
A volcano erupted near the Icelandic fishing town of Grindavik on Sunday, sending lava
towards homes that had been evacuated in November. Iceland's meteorological office said
the eruption began early in the morning after a swarm of earthquakes. Lava crossed the
defensive barriers north of Grindavik and set several houses on fire. The Blue Lagoon
spa nearby stayed closed. Civil protection officials said nobody was in danger.
""",
    "eruption-bbc.md": """---
title: Iceland lava sets Grindavik houses on fire
date: 2024-01-14T10:30:00Z
source: BBC News
url: https://www.bbc.co.uk/news/world-europe-grindavik
section: World
story: grindavik
---
Lava from a volcanic eruption in Iceland has set houses on fire in the town of Grindavik.
The eruption started on Sunday morning after a series of earthquakes, the meteorological
office said. Defensive barriers built to protect Grindavik were breached by the lava.
Residents had been evacuated in November and civil protection officials said nobody was
at risk. The Blue Lagoon, a popular spa, stayed closed.
""",
    "eruption-ap.md": """---
title: Iceland's president says Grindavik faces a daunting period
date: 2024-01-15
source: Associated Press
section: World
story: grindavik
---
Iceland's president said on Monday that the town of Grindavik faces a daunting period
after lava from a volcanic eruption destroyed several houses. Scientists said the
eruption was weakening but that more earthquakes could follow. Civil protection officials
kept the evacuation order for Grindavik in place and the Blue Lagoon spa stayed closed.
""",
    "lagoon-ruv.md": """---
title: Blue Lagoon closes again as Grindavik earthquakes continue
date: 2024-01-13
source: RUV
url: https://www.ruv.is/english/blue-lagoon
section: World
story: lagoon
---
The Blue Lagoon spa in Iceland closed again on Saturday as earthquakes continued near
Grindavik. Scientists said magma was still gathering under the Reykjanes peninsula and an
eruption could begin within days. Guests were moved to hotels in Reykjavik. The spa said
it would reopen when civil protection officials lifted the warning.
""",
    "lagoon-guardian.md": """---
title: Iceland's Blue Lagoon shuts as eruption fears grow
date: 2024-01-13T16:00:00Z
source: The Guardian
url: javascript:alert(1)
section: World
story: lagoon
---
Iceland's Blue Lagoon, one of the country's best known sights, shut its doors on
Saturday as fears of an eruption near Grindavik grew. Magma has been gathering under the
Reykjanes peninsula for weeks and earthquakes shook the area overnight. Civil protection
officials warned that an eruption could begin at short notice.
""",
    "final-espn.md": """---
title: "United win the cup final <b>after extra time</b> & penalties \\v"
date: 2024-01-13T21:45:00Z
source: ESPN
url: https://www.espn.com/soccer/cup-final
section: Sport
story: cup-final
---
United won the cup final after extra time and a penalty shootout at Wembley on Saturday.
The goalkeeper saved two penalties as United beat City in front of a crowd of 85,000.
The manager said the win was the best night of his career. City had led at half time
through a header from their captain.
""",
    "final-sky.md": """---
title: Goalkeeper the hero as United win cup final on penalties
date: 2024-01-14T09:00:00Z
source: Sky Sports
section: Sport
story: cup-final
---
United's goalkeeper saved two penalties as his side won the cup final in a shootout at
Wembley. City led at half time through a header from their captain, but United equalised
late on and the match went to extra time. The manager called it the best night of his
career.
""",
    "chess-notes.txt": """Chess club opens a new season

The village chess club opened its new season with a tournament for beginners. Twenty
players took part and the youngest was nine years old. The club meets every Thursday
evening in the library and new members are welcome.
""",
}


def write_fixture(folder: Path) -> Path:
    """Write the articles into `folder` (created) -> the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


# A long story: many outlets, some with several reports, and syndicated copies.
LONG_WORDS = (
    "crane quay berth freighter storm gale container terminal harbour dock wreckage cargo "
    "insurer engineer council coastguard diver inspector oil boom tug pilot barge warehouse "
    "collapse damage repair closure delay diversion inquiry warning record rating cable "
    "winch hull deck mooring tide surge night morning shift crew union manager mayor "
    "fishermen residents ferry schedule customs lorry queue steel bolt weld"
).split()


def _long_sentence(rng: random.Random) -> str:
    words = [rng.choice(LONG_WORDS) for _ in range(rng.randint(10, 16))]
    return " ".join(words).capitalize() + "."


def write_long_story(folder: Path, reports: int = 49, outlets: int = 30) -> Path:
    """A pinned story of `reports` reports from `outlets` outlets (the first ones
    file several), plus two syndicated copies of its first report -> the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(reports):
        rng = random.Random(n)
        outlet = f"Outlet {n % outlets + 1:02d}"
        hour, minute = divmod(n * 37, 60)
        body = " ".join(_long_sentence(rng) for _ in range(5))
        (folder / f"crane-{n:02d}.md").write_text(
            f"---\ntitle: Crane collapse at the port, report {n} by {outlet}\n"
            f"date: 2024-05-{6 + hour // 24:02d}T{hour % 24:02d}:{minute:02d}:00Z\n"
            f"source: {outlet}\nurl: https://example.org/{n}\nstory: crane\nsection: Port\n"
            f"---\n{body}\n",
            encoding="utf-8",
        )
    first = (folder / "crane-00.md").read_text("utf-8")
    for n, copy in enumerate(["Wire Copy", "Evening Post"]):
        text = first.replace("source: Outlet 01", f"source: {copy}").replace(
            "T00:00:00Z", f"T0{n + 1}:00:00Z"
        )
        (folder / f"crane-copy-{n}.md").write_text(text, encoding="utf-8")
    return folder
