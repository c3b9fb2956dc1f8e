"""digest: a static-site generator for news digests.

Library first: `digest.build(config)` does what `digest build` does.
"""

from __future__ import annotations

from digest.config import Config, load_config
from digest.models import Article, BuildReport, DigestError, Problem, Site, Story
from digest.pipeline import build

__version__ = "0.1.0"
# the name pip knows digest by (pyproject.toml [project] name): PyPI's "digest" is another
# project, so `pip install digest` never installs this one
DISTRIBUTION = "digest-ssg"
__all__ = [
    "Article",
    "BuildReport",
    "Config",
    "DigestError",
    "Problem",
    "Site",
    "Story",
    "build",
    "load_config",
]
