#!/usr/bin/env bash
# Event-ingest benchmark: `cxmap serve` (release) on a fresh SQLite file (WAL, synchronous=FULL),
# loaded by bench/ingest/loadgen.rs over 127.0.0.1. Counts only answered (201) batches.
#
#   bench/ingest/run.sh [SECONDS] [BATCH] [CONCURRENCY]
#
# Runs JSON and NDJSON (each on a fresh database), prints one line per run and the file sizes.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN=${1:-20}
BATCH=${2:-5000}
CONCURRENCY=${3:-4}
PORT=${CXMAP_BENCH_PORT:-18480}

# CXMAP_BIN runs a prebuilt server binary (e.g. an older build, for a before/after pair).
cargo build --release -q -p cxmap-cli --bin cxmap --example ingest-load
BIN=${CXMAP_BIN:-${CARGO_TARGET_DIR:-target}/release/cxmap}
LOAD=${CARGO_TARGET_DIR:-target}/release/examples/ingest-load

WORK=$(mktemp -d)
SERVER=""
trap 'if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; fi; rm -rf "$WORK"' EXIT

echo "machine: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
# Each format gets a fresh database and server, so the second run does not pay for the
# first run's bigger index.
for format in json ndjson; do
    DB="sqlite://$WORK/$format.db"
    TOKEN=$("$BIN" token create --db "$DB" --email bench@example.com 2>/dev/null | tail -n 1)
    "$BIN" serve --db "$DB" --addr "127.0.0.1:$PORT" 2>"$WORK/serve-$format.log" &
    SERVER=$!
    for _ in $(seq 100); do
        curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break
        sleep 0.1
    done
    flag=""
    [ "$format" = ndjson ] && flag="--ndjson"
    "$LOAD" --url "http://127.0.0.1:$PORT" --token "$TOKEN" --batch "$BATCH" \
        --concurrency "$CONCURRENCY" --seconds "$SECONDS_PER_RUN" $flag
    echo "load average after $format: $(cut -d' ' -f1-3 /proc/loadavg)"
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
    SERVER=""
    stat -c "db file: %s %n" "$WORK/$format".db*
done
