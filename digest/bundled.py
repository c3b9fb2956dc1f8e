"""Where digest's own templates and assets are: paths only, no Jinja.

Apart from `render` so that the no-op check (`digest.state` hashes the
templates) and the static files' check (`digest.static`) run without importing
the renderer and its libraries.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"  # installed wheel
SOURCE_TEMPLATES = Path(__file__).parent.parent / "templates"  # source checkout
ASSETS = ("assets/style.css", "assets/search.js", "assets/favicon.svg")


def builtin_templates() -> Path:
    """The folder of digest's own templates: the wheel's, else the source checkout's."""
    return PACKAGE_TEMPLATES if PACKAGE_TEMPLATES.is_dir() else SOURCE_TEMPLATES
