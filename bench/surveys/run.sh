#!/usr/bin/env bash
# Survey-answer benchmark: anonymous answers through the public JSON endpoint
# (POST /api/v1/public/surveys/{id}/answers, the widget's and hosted page's route) of
# `cxmap serve` (release) on a fresh SQLite file (WAL, synchronous=FULL: durable when answered),
# loaded by wrk with bench/surveys/answer.lua. The per-address public rate limit is lifted for
# the run (--survey-public-rate). PRODUCT.md names no peer and no goal for this path; the run
# reports answers/s and latency, and checks that every 201 is counted in the survey's results.
#
#   bench/surveys/run.sh            (env: DURATION=15s THREADS=2 CONNECTIONS=32 CXMAP_BIN CXMAP_BENCH_PORT)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${CXMAP_BENCH_PORT:-18590}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

# CXMAP_BIN runs a prebuilt binary (e.g. an older build, for a before/after pair).
if [ -z "${CXMAP_BIN:-}" ]; then (cd "$ROOT" && cargo build --release -q -p cxmap-cli --bin cxmap); fi
BIN=${CXMAP_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/cxmap}

if curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz"; then
    echo "port $PORT is already in use; set CXMAP_BENCH_PORT" >&2; exit 1
fi
WORK=$(mktemp -d /tmp/cxmap-bench-surveys.XXXXXX)
DB="sqlite://$WORK/surveys.db"
TOKEN=$("$BIN" token create --db "$DB" --email bench@example.com 2>/dev/null | tail -n 1)
RUST_LOG=warn "$BIN" serve --db "$DB" --addr "127.0.0.1:$PORT" --survey-public-rate 10000000 \
    --no-scheduler >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 200); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.05; done

B="http://127.0.0.1:$PORT"
api() { curl -fsS -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
WS=$(api "$B/api/v1/me" | python3 -c 'import json,sys; print(json.load(sys.stdin)["workspaces"][0]["id"])')
PROJECT=$(api "$B/api/v1/workspaces/$WS/projects" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
read -r JOURNEY TP < <(api -X POST "$B/api/v1/projects/$PROJECT/journeys" -d '{"template":"retail_online_shopping"}' |
    python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["id"], j["stages"][0]["touchpoints"][0]["id"])')
SURVEY=$(api -X POST "$B/api/v1/journeys/$JOURNEY/surveys" \
    -d "{\"touchpoint_id\":\"$TP\",\"kind\":\"nps\",\"subject\":\"쇼핑몰\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
# One answer by hand: the route works and answers 201.
api -o /dev/null -w "probe answer -> %{http_code}\n" -X POST "$B/api/v1/public/surveys/$SURVEY/answers" \
    -d '{"score":9,"channel":"web"}'

echo "machine: $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
OUT=$(SURVEY_PATH="/api/v1/public/surveys/$SURVEY/answers" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" \
    --latency -s "$ROOT/bench/surveys/answer.lua" "$B")
echo "$OUT"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
N=$(echo "$OUT" | awk '/requests in/ { print $1 }')
BAD=$(echo "$OUT" | awk '/Non-2xx/ { print $5 }')
BAD=${BAD:-0}
STORED=$(api "$B/api/v1/surveys/$SURVEY/results" | python3 -c 'import json,sys; print(json.load(sys.stdin)["n"])')
echo "answers: wrk responses $N, non-2xx $BAD, answers in the results $STORED (incl. 1 probe)"
echo "$OUT" | awk -v n="$N" -v bad="$BAD" '
  /Requests\/sec/ { rps = $2 }
  /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 }
  END { printf "RESULT answers/s %s  p50 %s  p99 %s  (2xx %d)\n", rps, p50, p99, n - bad }'
