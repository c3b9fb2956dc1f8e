#!/usr/bin/env bash
# Installs everything the test suite needs, then runs all of it: lint, format,
# types and tests. CI runs exactly this (see .ci/run); extra arguments go to pytest.
#
# Python packages go into the virtual environment .venv/ of the repository (made with
# `python3 -m venv` when missing, reused when present), never into the system Python:
# Debian, Ubuntu and Homebrew refuse that (PEP 668), and every tool below runs with the
# environment's interpreter, so the tests' subprocesses (sys.executable) use it too.
#
# Besides the Python packages (the `test` extra) the browser and validity tests
# need Debian's Chromium, Java (for the Nu HTML checker) and npm (for axe-core), and a
# TLS test of `digest fetch` needs openssl.
# Those are installed with apt-get only when missing, so local runs stay fast;
# installing needs root, or sudo (which may ask for a password). Without them the
# tests skip locally and fail in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
export DEBIAN_FRONTEND=noninteractive

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)  # a TLS test's certificate
# Debian and Ubuntu ship `venv` without pip (ensurepip) unless python3-venv is installed
python3 -c 'import importlib.util as u, sys; sys.exit(u.find_spec("ensurepip.__main__") is None)' \
  2>/dev/null || missing+=(python3-venv)
if [ "${#missing[@]}" -gt 0 ]; then
  as_root=()
  [ "$(id -u)" = 0 ] || as_root=(sudo)
  if command -v apt-get >/dev/null 2>&1 && { [ "${#as_root[@]}" = 0 ] || command -v sudo >/dev/null 2>&1; }; then
    echo "tests/run.sh: installing ${missing[*]} with apt-get" >&2
    "${as_root[@]}" apt-get update -q
    "${as_root[@]}" apt-get install -y -q -o Dpkg::Options::=--force-confold "${missing[@]}"
  else
    echo "tests/run.sh: ${missing[*]} missing and cannot be installed here (needs apt-get" \
      "and root or sudo); the browser tests will skip (and fail under CI)" >&2
  fi
fi

# a .venv left without pip (made before python3-venv was installed) is made again
if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
  python3 -m venv .venv
fi
py=.venv/bin/python
"$py" -m pip install --quiet -e '.[test]'
if command -v npm >/dev/null 2>&1; then
  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
fi

"$py" -m ruff check .
"$py" -m ruff format --check .
"$py" -m mypy
# one worker per core (DIGEST_TEST_WORKERS to choose), each running whole test
# modules: a module's fixtures (a built site, a browser) are made once
"$py" -m pytest -n "${DIGEST_TEST_WORKERS:-auto}" --dist loadfile "$@"
