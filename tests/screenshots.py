"""Screenshots of the sample digest for the README: `python -m tests.screenshots`.

Builds the sample digest, serves it under /digest/ on loopback and photographs
the front page and the story page with Debian's Chromium, on a desktop and at
375 px, in the light and the dark theme -> docs/screenshots/*.png.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.browser_support import REPO, SUB_PATH, build_sample, launch, serve

OUT = REPO / "docs" / "screenshots"
SIZES = {"desktop": (1280, 900), "mobile": (375, 812)}
SCHEMES = ("light", "dark")


def story_path(site: Path) -> str:
    return sorted(p.relative_to(site).as_posix() for p in (site / "stories").glob("*.html"))[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNG files")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp)) as host:
        root = Path(tmp)
        build_sample(root)
        site = root / SUB_PATH.strip("/")
        pages = {"index": "index.html", "story": story_path(site)}
        with sync_playwright() as pw:
            browser = launch(pw)
            for size, (width, height) in SIZES.items():
                for scheme in SCHEMES:
                    context = browser.new_context(
                        viewport={"width": width, "height": height},
                        color_scheme=scheme,
                        device_scale_factor=1,
                    )
                    page = context.new_page()
                    for name, path in pages.items():
                        page.goto(f"{host}{SUB_PATH}{path}")
                        target = args.out / f"{name}-{size}-{scheme}.png"
                        page.screenshot(path=str(target))
                        print(target.relative_to(REPO) if target.is_relative_to(REPO) else target)
                    context.close()
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
