#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh), then runs lint, types and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export QT_QPA_PLATFORM=offscreen
export HYPOTHESIS_PROFILE=ci  # the same examples every run (tests/core/conftest.py)

echo "== ruff"
.venv/bin/ruff check gradviz tests benchmarks
.venv/bin/ruff format --check gradviz tests benchmarks
echo "== mypy (strict on the core)"
.venv/bin/mypy gradviz
echo "== core tests, with Qt made unimportable"
GRADVIZ_BLOCK_QT=1 .venv/bin/python -m pytest -q -p no:pytest-qt tests/core
echo "== ui tests (pytest-qt, offscreen; OpenGL ones under Xvfb)"
.venv/bin/python -m pytest -q tests/ui
