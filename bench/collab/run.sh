#!/usr/bin/env bash
# Co-editing benchmark: 50 simulated editors on one journey, each sending an edit every
# INTERVAL_MS; measures how long an edit takes to reach every other editor (goal: p99 < 50 ms).
#   1. one `cxmap serve` on SQLite;
#   2. two `cxmap serve` processes on one PostgreSQL, editors split between them, so half of
#      the deliveries cross processes through LISTEN/NOTIFY.
# PostgreSQL: $CXMAP_TEST_PG (admin URL, default postgres://postgres@127.0.0.1:5432/postgres).
#
#   bench/collab/run.sh [SECONDS] [EDITORS] [INTERVAL_MS]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN=${1:-20}
EDITORS=${2:-50}
INTERVAL_MS=${3:-500}
PG_ADMIN=${CXMAP_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}
P1=${CXMAP_BENCH_PORT:-18490}
P2=$((P1 + 1))

cargo build --release -q -p cxmap-cli --bin cxmap --example collab-load
BIN=target/release/cxmap
LOAD=target/release/examples/collab-load
WORK=$(mktemp -d)
PIDS=()
PGDB="cxmap_bench_collab_$$"
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

serve() { # db port
    RUST_LOG=warn "$BIN" serve --db "$1" --addr "127.0.0.1:$2" 2>>"$WORK/serve.log" &
    PIDS+=($!)
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$2/healthz" >/dev/null && return; sleep 0.1; done
    echo "server on $2 did not start" >&2; exit 1
}

journey() { # port token -> journey id
    local project
    project=$(curl -fs -H "Authorization: Bearer $2" "http://127.0.0.1:$1/api/v1/me" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["workspaces"][0]["id"])')
    project=$(curl -fs -H "Authorization: Bearer $2" "http://127.0.0.1:$1/api/v1/workspaces/$project/projects" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
    curl -fs -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
        -d '{"template":"retail_online_shopping"}' "http://127.0.0.1:$1/api/v1/projects/$project/journeys" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}

echo "machine: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== SQLite, one process"
DB="sqlite://$WORK/collab.db"
TOKEN=$("$BIN" token create --db "$DB" --email bench@example.com 2>/dev/null | tail -n 1)
serve "$DB" "$P1"
J=$(journey "$P1" "$TOKEN")
"$LOAD" --url "http://127.0.0.1:$P1" --token "$TOKEN" --journey "$J" \
    --editors "$EDITORS" --interval-ms "$INTERVAL_MS" --seconds "$SECONDS_PER_RUN"
for p in "${PIDS[@]}"; do kill "$p"; done; PIDS=()

echo "== PostgreSQL, two processes"
psql -q "$PG_ADMIN" -c "CREATE DATABASE $PGDB"
PGURL="${PG_ADMIN%/*}/$PGDB"
"$BIN" migrate --db "$PGURL" >/dev/null
TOKEN=$("$BIN" token create --db "$PGURL" --email bench@example.com 2>/dev/null | tail -n 1)
serve "$PGURL" "$P1"
serve "$PGURL" "$P2"
J=$(journey "$P1" "$TOKEN")
"$LOAD" --url "http://127.0.0.1:$P1" --url "http://127.0.0.1:$P2" --token "$TOKEN" --journey "$J" \
    --editors "$EDITORS" --interval-ms "$INTERVAL_MS" --seconds "$SECONDS_PER_RUN"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
