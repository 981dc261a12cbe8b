#!/usr/bin/env bash
# Interleaved A/B of two cxmap builds on the redirect path: both serve their own fresh database,
# and ROUNDS times each is loaded alone (the other SIGSTOPped) with the same wrk load, A then B
# then B then A…, so a changing machine load hits both alike. Prints req/s and p99 per round.
#   bench/links/ab.sh OLD_BIN NEW_BIN      (env: ROUNDS=4 DURATION=10s CONNECTIONS=64)
set -euo pipefail
A=$1; B=$2
ROUNDS=${ROUNDS:-4}; DURATION=${DURATION:-10s}; CONNECTIONS=${CONNECTIONS:-64}
UA='Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1'
WORK=$(mktemp -d /tmp/cxmap-ab.XXXXXX); PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
start() { # name bin port
  mkdir -p "$WORK/$1"
  local token
  token=$("$2" token create --db "sqlite://$WORK/$1/cx.db" --email ab@example.com 2>/dev/null | tail -n1)
  RUST_LOG=warn "$2" serve --db "sqlite://$WORK/$1/cx.db" --addr "127.0.0.1:$3" \
    --click-spool "$WORK/$1/spool" --redirect-rate 1000000 >"$WORK/$1/log" 2>&1 &
  PIDS+=("$!"); eval "PID_$1=$!"
  for _ in $(seq 200); do curl -fs -o /dev/null "http://127.0.0.1:$3/healthz" && break; sleep 0.05; done
  curl -fs -o /dev/null -X POST "http://127.0.0.1:$3/api/v1/links" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"target":"https://example.com/landing","slug":"ab"}'
}
start a "$A" 18661; start b "$B" 18662
run() { # name port other-pid
  kill -STOP "$3"; sleep 0.5
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "User-Agent: $UA" "http://127.0.0.1:$2/l/ab" |
    awk -v n="$1" -v l="$(cut -d' ' -f1 /proc/loadavg)" '/Requests\/sec/ {r=$2} /^ +99%/ {p=$2} END {printf "%s req/s %s p99 %s load %s\n", n, r, p, l}'
  kill -CONT "$3"
}
echo "A=$A B=$B $(date -u +%Y-%m-%dT%H:%MZ)"
for i in $(seq "$ROUNDS"); do
  if (( i % 2 )); then run A 18661 "$PID_b"; run B 18662 "$PID_a"; else run B 18662 "$PID_a"; run A 18661 "$PID_b"; fi
done
