#!/usr/bin/env bash
# Redirect benchmark: cxmap against Chhoto URL on this machine, same wrk load on one link each,
# then a SIGKILL and a SIGTERM test for both (load, signal mid-load, restart, stored clicks vs
# redirects received). Targets 127.0.0.1 only; every run is bounded in time.
#
# Chhoto URL is built from source OUTSIDE this repository (its code is never committed):
#   git clone https://github.com/SinTan1729/chhoto-url "$CHHOTO_DIR"   (default /work/bench-vendor/chhoto)
#
# Chhoto runs with its recommended settings (WAL mode, default ACID pragmas), a temporary (307)
# redirect to match cxmap's 302, and no frontend. It counts hits in memory and writes them every
# 500 ms, so its redirect path never waits for the disk and a killed process loses up to 500 ms of
# hits; cxmap writes each click to its click journal before answering (a killed process loses
# none) and moves the journal into SQLite every 250 ms. Both are measured alone: the other server
# is SIGSTOPped meanwhile.
#
# Environment: CHHOTO_DIR, DURATION (default 15s), THREADS (2), CONNECTIONS (64),
# KILL_AFTER (seconds into the kill run, default 3), PIN (1: the measured server on CPU 1 and wrk
# on CPU 0, so the server's own cost decides its rate instead of the share of two cores it wins
# from wrk; default 0), NG_PORT.
#
# When nginx is installed (apt-get install nginx) it is measured too, as the ceiling of this
# setup: nginx answering a fixed 302 from memory (no log, no lookup, no click record) shows how
# many redirects per second this machine and load generator can reach at all.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CHHOTO_DIR=${CHHOTO_DIR:-/work/bench-vendor/chhoto}
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
KILL_AFTER=${KILL_AFTER:-3}
PIN=${PIN:-0}
CX_PORT=${CX_PORT:-18081}
CH_PORT=${CH_PORT:-18082}
NG_PORT=${NG_PORT:-18083}
UA='Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1'
# A key Chhoto accepts as secure (it only checks its strength).
CH_KEY='Xq7vR2mK9pLw4tZs8nB3cY6hJ1dF5gA0eU-bench-key-W3rT9yP2oI8uQ4eS7aD6fG1hJ5kL0zX3cV9bN2m'

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[ -d "$CHHOTO_DIR/backend" ] || { echo "no Chhoto URL source in $CHHOTO_DIR (see the header of this script)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/cxmap-bench-links.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

echo "== building (release)"
# Chhoto builds into its own tree (never into this repository's CARGO_TARGET_DIR).
(cd "$CHHOTO_DIR/backend" && env -u CARGO_TARGET_DIR cargo build --release --ignore-rust-version --quiet)
(cd "$ROOT" && cargo build --release -p cxmap-cli --bin cxmap --quiet)
# CXMAP_BIN runs a prebuilt cxmap (e.g. an older build, for a before/after pair).
CXMAP="${CXMAP_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/cxmap}"
CHHOTO="$CHHOTO_DIR/backend/target/release/chhoto-url"

wait_up() { # url
  for _ in $(seq 1 200); do curl -fs -o /dev/null "$1" && return 0; sleep 0.05; done
  echo "server at $1 did not start" >&2; return 1
}

start_cxmap() { # dir
  RUST_LOG=warn "$CXMAP" serve --db "sqlite://$1/cx.db" --addr "127.0.0.1:$CX_PORT" \
    --click-journal "$1/clicks" --redirect-rate 1000000 >"$1/cxmap.log" 2>&1 &
  CX_PID=$!; PIDS+=("$CX_PID")
  wait_up "http://127.0.0.1:$CX_PORT/healthz"
}

start_chhoto() { # dir
  (cd "$1" && RUST_LOG=warn CHHOTO_DB_URL="$1/chhoto.sqlite" CHHOTO_LISTEN_PORT="$CH_PORT" \
    CHHOTO_LISTEN_ADDRESS=127.0.0.1 CHHOTO_API_KEY="$CH_KEY" CHHOTO_DISABLE_FRONTEND=True \
    CHHOTO_REDIRECT_METHOD=TEMPORARY CHHOTO_SQLITE_USE_WAL_MODE=True exec "$CHHOTO" >"$1/chhoto.log" 2>&1) &
  CH_PID=$!; PIDS+=("$CH_PID")
  wait_up "http://127.0.0.1:$CH_PORT/api/version"
}

cx_setup() { # dir -> sets CX_TOKEN, creates links "bench" and "kill"
  CX_TOKEN=$("$CXMAP" token create --db "sqlite://$1/cx.db" --email bench@example.com 2>/dev/null | tail -n1)
  for slug in bench kill term; do
    curl -fs -o /dev/null -X POST "http://127.0.0.1:$CX_PORT/api/v1/links" -H "Authorization: Bearer $CX_TOKEN" \
      -H 'Content-Type: application/json' -d "{\"target\":\"https://example.com/landing\",\"slug\":\"$slug\"}"
  done
}

ch_setup() {
  for slug in bench kill term; do
    curl -fs -o /dev/null -X POST "http://127.0.0.1:$CH_PORT/api/new" -H "X-API-Key: $CH_KEY" \
      -d "{\"shortlink\":\"$slug\",\"longlink\":\"https://example.com/landing\"}"
  done
}

# wrk output -> "req/s p99_ms responses p50_ms"
parse_wrk() {
  awk '
    function ms(v,  unit) { unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v);
                            return (unit == "us") ? v / 1000 : (unit == "s") ? v * 1000 : v }
    /Requests\/sec:/ { rps = $2 }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /requests in/ { n = $1 }
    END { printf "%s %.3f %s %.3f\n", rps, p99, n, p50 }'
}

load() { # url duration -> wrk output
  if [ "$PIN" = 1 ]; then
    taskset -c 0 wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2" --latency -H "User-Agent: $UA" "$1"
  else
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2" --latency -H "User-Agent: $UA" "$1"
  fi
}
# CPU time a process has used, "user sys" in clock ticks (all its threads).
cpu_ticks() { awk '{ print $14, $15 }' "/proc/$1/stat"; }
# Runs `load` against a server and prints its wrk output; CPU_USED gets the server's "user sys"
# ticks during the run.
measure() { # pid url
  local u0 s0 u1 s1 out
  [ "$PIN" = 1 ] && taskset -a -p -c 1 "$1" >/dev/null
  read -r u0 s0 <<<"$(cpu_ticks "$1")"
  out=$(load "$2" "$DURATION")
  read -r u1 s1 <<<"$(cpu_ticks "$1")"
  CPU_USED="$((u1 - u0)) $((s1 - s0))"
  echo "$out"
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
echo "== machine: $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ), load average $(loadavg)"
mkdir -p "$WORK/cx" "$WORK/ch"
start_cxmap "$WORK/cx"; cx_setup "$WORK/cx"
start_chhoto "$WORK/ch"; ch_setup
curl -s -o /dev/null -w "cxmap  /l/bench -> %{http_code} %{redirect_url}\n" "http://127.0.0.1:$CX_PORT/l/bench"
curl -s -o /dev/null -w "chhoto /bench   -> %{http_code} %{redirect_url}\n" "http://127.0.0.1:$CH_PORT/bench"

PINNING=$([ "$PIN" = 1 ] && echo "server on CPU 1, wrk on CPU 0" || echo "not pinned")
start_nginx() { # dir -> NG_PID, or nothing when nginx is not installed
  NG_PID=
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || return 0
  mkdir -p "$1/logs"
  cat >"$1/nginx.conf" <<NGINX
worker_processes auto;
error_log $1/logs/error.log warn;
pid $1/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$NG_PORT reuseport;
    location / { return 302 https://example.com/landing; }
  }
}
NGINX
  PATH=$PATH:/usr/sbin nginx -p "$1" -c "$1/nginx.conf" -g 'daemon off;' >"$1/nginx.out" 2>&1 &
  NG_PID=$!; PIDS+=("$NG_PID")
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$NG_PORT/bench" && break; sleep 0.05; done
}
# CPU ticks of a process and its children (nginx's workers are children of its master).
tree_ticks() { local u=0 s=0 a b; for p in $1 $(pgrep -P "$1"); do read -r a b <<<"$(cpu_ticks "$p")"; u=$((u + a)); s=$((s + b)); done; echo "$u $s"; }

echo "== throughput: wrk -t$THREADS -c$CONNECTIONS -d$DURATION (one server at a time; $PINNING)"
# Each server runs alone while it is measured (the other is stopped) so they do not share cores.
kill -STOP "$CH_PID"; sleep 1
measure "$CX_PID" "http://127.0.0.1:$CX_PORT/l/bench" > "$WORK/cx-wrk.txt"; CX_CPU=$CPU_USED
CX_OUT=$(cat "$WORK/cx-wrk.txt")
echo "load average after cxmap: $(loadavg)"
kill -CONT "$CH_PID"; kill -STOP "$CX_PID"; sleep 1
measure "$CH_PID" "http://127.0.0.1:$CH_PORT/bench" > "$WORK/ch-wrk.txt"; CH_CPU=$CPU_USED
CH_OUT=$(cat "$WORK/ch-wrk.txt")
echo "load average after chhoto: $(loadavg)"
kill -CONT "$CX_PID"
mkdir -p "$WORK/ng"; start_nginx "$WORK/ng"
if [ -n "$NG_PID" ]; then
  kill -STOP "$CX_PID" "$CH_PID"; sleep 1
  [ "$PIN" = 1 ] && for p in $NG_PID $(pgrep -P "$NG_PID"); do taskset -p -c 1 "$p" >/dev/null; done
  read -r u0 s0 <<<"$(tree_ticks "$NG_PID")"
  NG_OUT=$(load "http://127.0.0.1:$NG_PORT/bench" "$DURATION")
  read -r u1 s1 <<<"$(tree_ticks "$NG_PID")"
  NG_CPU="$((u1 - u0)) $((s1 - s0))"
  kill -CONT "$CX_PID" "$CH_PID"; kill "$NG_PID"; wait "$NG_PID" 2>/dev/null || true
fi
read -r CX_RPS CX_P99 CX_N CX_P50 <<<"$(echo "$CX_OUT" | parse_wrk)"
read -r CH_RPS CH_P99 CH_N CH_P50 <<<"$(echo "$CH_OUT" | parse_wrk)"
echo "$CX_OUT" | grep -E "Non-2xx|Socket errors" | sed 's/^/cxmap  /' || true
echo "$CH_OUT" | grep -E "Non-2xx|Socket errors" | sed 's/^/chhoto /' || true
CX_STORED=$(curl -fs "http://127.0.0.1:$CX_PORT/api/v1/links/bench/stats" -H "Authorization: Bearer $CX_TOKEN" | sed -E 's/.*"clicks":([0-9]+).*/\1/')
printf "%-8s %12s %10s %10s %12s\n" server "req/s" "p50 ms" "p99 ms" responses
printf "%-8s %12s %10s %10s %12s\n" cxmap "$CX_RPS" "$CX_P50" "$CX_P99" "$CX_N"
printf "%-8s %12s %10s %10s %12s\n" chhoto "$CH_RPS" "$CH_P50" "$CH_P99" "$CH_N"
if [ -n "$NG_PID" ]; then
  read -r NG_RPS NG_P99 NG_N NG_P50 <<<"$(echo "$NG_OUT" | parse_wrk)"
  printf "%-8s %12s %10s %10s %12s   (ceiling: a fixed 302 from memory)\n" nginx "$NG_RPS" "$NG_P50" "$NG_P99" "$NG_N"
  awk -v n="$NG_RPS" -v b="$CH_RPS" 'BEGIN { printf "ceiling  nginx/chhoto req/s = %.2fx\n", n / b }'
fi
awk -v a="$CX_RPS" -v b="$CH_RPS" -v pa="$CX_P99" -v pb="$CH_P99" \
  'BEGIN { printf "ratio    cxmap/chhoto req/s = %.2fx, p99 cxmap/chhoto = %.2f\n", a / b, pa / pb }'
echo "cxmap clicks stored during the throughput run: $CX_STORED (wrk counted $CX_N responses)"
# Server CPU per redirect (user + kernel time of all its threads over wrk's responses).
TICK_US=$((1000000 / $(getconf CLK_TCK)))
cpu_per_request() { # name "user sys" responses
  local user sys; read -r user sys <<<"$2"
  awk -v n="$1" -v u="$user" -v s="$sys" -v r="$3" -v t="$TICK_US" \
    'BEGIN { printf "%-8s server CPU per redirect: %.2f us (user %.2f, kernel %.2f)\n", n, (u + s) * t / r, u * t / r, s * t / r }'
}
cpu_per_request cxmap "$CX_CPU" "$CX_N"
cpu_per_request chhoto "$CH_CPU" "$CH_N"
[ -n "$NG_PID" ] && cpu_per_request nginx "$NG_CPU" "$NG_N"

stopped_test() { # name url pid signal -> 3xx responses wrk read
  local out
  load "$2" 10s > "$WORK/$1-$4.txt" &
  local wrk_pid=$!
  sleep "$KILL_AFTER"; kill -"$4" "$3"; wait "$wrk_pid" || true
  # A graceful stop gets 10 s more to finish; then it is killed (and that is printed).
  for _ in $(seq 100); do kill -0 "$3" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$3" 2>/dev/null; then echo "$1 did not exit after SIG$4; killed" >&2; kill -9 "$3"; fi
  wait "$3" 2>/dev/null || true
  out=$(cat "$WORK/$1-$4.txt")
  # Responses wrk read whole, minus any that were not redirects.
  echo "$out" | awk '/requests in/ { n = $1 } /Non-2xx or 3xx/ { bad = $5 } END { print n - bad }'
}
cx_clicks() { curl -fs "http://127.0.0.1:$CX_PORT/api/v1/links/$1/stats" -H "Authorization: Bearer $CX_TOKEN" | sed -E 's/.*"clicks":([0-9]+).*/\1/'; }
ch_hits() { curl -fs -X POST "http://127.0.0.1:$CH_PORT/api/expand" -H "X-API-Key: $CH_KEY" -d "$1" | sed -E 's/.*"hits":"?([0-9]+)"?.*/\1/'; }
ROWS=()
for sig in KILL TERM; do
  slug=$( [ "$sig" = KILL ] && echo kill || echo term )
  echo "== SIG$sig test: wrk for 10s, SIG$sig at ${KILL_AFTER}s, restart, compare"
  CX_RECEIVED=$(stopped_test cxmap "http://127.0.0.1:$CX_PORT/l/$slug" "$CX_PID" "$sig")
  start_cxmap "$WORK/cx"
  CH_RECEIVED=$(stopped_test chhoto "http://127.0.0.1:$CH_PORT/$slug" "$CH_PID" "$sig")
  start_chhoto "$WORK/ch"
  ROWS+=("cxmap SIG$sig $CX_RECEIVED $(cx_clicks "$slug")" "chhoto SIG$sig $CH_RECEIVED $(ch_hits "$slug")")
done
printf "%-8s %-8s %14s %14s %10s\n" server signal "3xx received" "clicks stored" lost
for row in "${ROWS[@]}"; do
  set -- $row
  lost=$(( $3 > $4 ? $3 - $4 : 0 ))
  printf "%-8s %-8s %14s %14s %10s\n" "$1" "$2" "$3" "$4" "$lost"
done
