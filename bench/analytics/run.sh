#!/usr/bin/env bash
# Event-analytics benchmark: cxmap analyze vs DuckDB, Polars, chDB and PM4Py
# on the same synthetic log (see gen_log.py). Usage:
#   bench/analytics/run.sh [--scale 1.0] [--repeat 2] [--pm4py-rows N] [--skip-gen]
# Env: CXMAP_BIN to use a prebuilt binary (default: release build of cxmap-cli).
# PM4Py runs on the whole log by default (about a minute per task and 3 GB on 10 M events);
# --pm4py-rows N limits it to the first N rows, and then its ratio is against cxmap on that same
# subset, never extrapolated.
set -euo pipefail
cd "$(dirname "$0")/../.."
SCALE=1.0 REPEAT=2 PM4PY_ROWS=all SKIP_GEN=0
# OUT: where the log and results go (default bench/out/analytics; the 10 M log is ~500 MB).
OUT=$(realpath -m "${OUT:-bench/out/analytics}")
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) SCALE=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --pm4py-rows) PM4PY_ROWS=$2; shift 2 ;;
    --skip-gen) SKIP_GEN=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
python3 -m pip install -q -r bench/analytics/requirements.txt
if [ "$SKIP_GEN" = 0 ] || [ ! -f "$OUT/events.csv" ]; then
  python3 bench/analytics/gen_log.py --scale "$SCALE" --out "$OUT"
fi
if [ -z "${CXMAP_BIN:-}" ]; then
  cargo build --release -p cxmap-cli
  CXMAP_BIN=target/release/cxmap
fi
PM4PY_ARGS=()
if [ "$PM4PY_ROWS" != "all" ]; then
  head -n $((PM4PY_ROWS + 1)) "$OUT/events.csv" > "$OUT/events-pm4py.csv"
  PM4PY_ARGS=(--pm4py-csv "$OUT/events-pm4py.csv")
fi
PARQUET_ARGS=()
if [ -f "$OUT/events.parquet" ]; then
  PARQUET_ARGS=(--parquet "$OUT/events.parquet")
fi
python3 bench/analytics/bench.py --csv "$OUT/events.csv" --cxmap "$CXMAP_BIN" --out "$OUT/results" \
  --repeat "$REPEAT" "${PM4PY_ARGS[@]}" "${PARQUET_ARGS[@]}" | tee "$OUT/results.md"
