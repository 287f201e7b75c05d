#!/usr/bin/env bash
# Set everything up (.venv, pinned requirements) and run the linter and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh --dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
