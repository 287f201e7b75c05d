#!/usr/bin/env bash
# Schemathesis (property-based tests generated from /api/openapi.json) against the live
# `python -m web` on the sample index, built first if absent. Bounded: EXAMPLES test cases per
# operation and phase, the whole run killed after MAX_TIME seconds; seeded, so a failure
# reproduces with the same SEED. Exits non-zero on any failure.
# Environment: INDEX (index/), PORT (a free one), SEED (16), EXAMPLES (40), MAX_TIME (1200).
set -euo pipefail
cd "$(dirname "$0")/.."
INDEX=${INDEX:-index}
PORT=${PORT:-$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
SEED=${SEED:-16}
EXAMPLES=${EXAMPLES:-40}
MAX_TIME=${MAX_TIME:-1200}
if ! .venv/bin/python -m indexer status --index "$INDEX" >/dev/null 2>&1; then
  # without sentence vectors: encoding costs minutes and changes no response's shape (the fused
  # ranking is tested in tests/test_semantic.py)
  .venv/bin/python -m indexer build --index "$INDEX" --no-vectors data/sample
fi
out=$(mktemp -d)
.venv/bin/python -m web --index "$INDEX" --port "$PORT" 2>"$out/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
status=0
timeout "$MAX_TIME" .venv/bin/schemathesis run "http://127.0.0.1:$PORT/api/openapi.json" \
  --wait-for-schema 120 \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --mode all --phases examples,coverage,fuzzing \
  --max-examples "$EXAMPLES" --seed "$SEED" --generation-database none \
  --workers 1 --request-timeout 30 --no-color \
  --report junit --report-junit-path "$out/junit.xml" || status=$?
if (( status != 0 )); then
  echo "schemathesis: failed (exit $status); server log: $out/server.log" >&2
  grep -v '^{' "$out/server.log" | tail -40 >&2 || true  # all but the access log
fi
exit "$status"
