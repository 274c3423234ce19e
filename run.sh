#!/usr/bin/env bash
# One entry point for newcomers: sets up .venv (Python >= 3.12) on first use, then
#   ./run.sh            runs the main job (compare the four models on the default scenario)
#   ./run.sh test       checks the import layers (lint-imports) and types (mypy), then runs the tests
#   ./run.sh bench      prints the speed and memory figures (benchmarks/run.py; --only NAME, --json)
#   ./run.sh lock       rewrites constraints.txt from .venv (after adding or upgrading a dependency)
#   ./run.sh ARGS...    runs `python -m sim ARGS...`
set -euo pipefail
cd "$(dirname "$0")"

python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }

find_python() {
  local c
  for c in "${PYTHON:-}" python3.13 python3.12 python3; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && python_ok "$c" && { command -v "$c"; return; }
  done
  for c in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
    [ -x "$c" ] && python_ok "$c" && { echo "$c"; return; }
  done
  return 1
}

setup() {
  if [ ! -x .venv/bin/python ] || ! python_ok .venv/bin/python; then
    local py
    py=$(find_python) || {
      echo "error: Python >= 3.12 is needed (Mesa 3.5 requires it) and none was found." >&2
      echo "       Install python3.12 (e.g. 'apt-get install python3.12-venv' or 'pyenv install 3.12'), or set PYTHON=/path/to/python3.12." >&2
      exit 1
    }
    echo "Setting up .venv with $py ..." >&2
    rm -rf .venv
    "$py" -m venv .venv
  fi
  local stamp=.venv/.installed
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
    echo "Installing dependencies into .venv (log: .venv/install.log) ..." >&2
    if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip \
           && .venv/bin/python -m pip install --disable-pip-version-check -c constraints.txt -e ".[dev]"; } >.venv/install.log 2>&1; then
      tail -20 .venv/install.log >&2
      echo "error: installing the dependencies failed (full log: .venv/install.log)" >&2
      exit 1
    fi
    touch "$stamp"
  fi
}

setup
export UNIGEN_DOWNLOAD_IF_MISSING=False MPLBACKEND=Agg
case "${1:-}" in
  "") exec .venv/bin/python -m sim compare scenarios/centralised.toml scenarios/dingshan.toml scenarios/dachang.toml scenarios/xiaoding.toml ;;
  test) shift  # the import contract, the type check, then the tests (arguments go to pytest)
    .venv/bin/lint-imports --no-cache >&2 || { echo "error: an import breaks the layers (lint-imports above)" >&2; exit 1; }
    .venv/bin/mypy || { echo "error: mypy found type errors (above)" >&2; exit 1; }
    exec .venv/bin/python -m pytest "$@" ;;
  bench) shift; exec .venv/bin/python benchmarks/run.py "$@" ;;
  lock) shift; exec .venv/bin/python tools/lock.py "$@" ;;
  *) exec .venv/bin/python -m sim "$@" ;;
esac
