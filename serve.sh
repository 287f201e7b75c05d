#!/usr/bin/env bash
# Set everything up, build the index from data/sample if there is none, and serve the site.
# Environment: INDEX (index folder, default index/), HOST (127.0.0.1), PORT (8000), BACKEND (the
# search engine of the first build, default whoosh; a built index keeps its own), VECTORS (0: build
# without the sentence vectors of the semantic ranking, a few minutes quicker; search/semantic/).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
INDEX=${INDEX:-index}
if ! .venv/bin/python -m indexer status --index "$INDEX" >/dev/null 2>&1; then
  vectors=()
  [[ ${VECTORS:-1} == 0 ]] && vectors=(--no-vectors)
  .venv/bin/python -m indexer build --index "$INDEX" --backend "${BACKEND:-whoosh}" \
    "${vectors[@]}" data/sample
fi
exec .venv/bin/python -m web --index "$INDEX" --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
