#!/usr/bin/env bash
# Installs everything the test suite needs, then runs all of it: lint, format,
# types and tests. CI runs exactly this (see .ci/run); extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
python3 -m pip install --quiet -e '.[test]'
python3 -m ruff check .
python3 -m ruff format --check .
python3 -m mypy
python3 -m pytest "$@"
