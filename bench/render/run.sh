#!/usr/bin/env bash
# Render benchmark: a 200-touchpoint journey (10 stages × 20, every lane filled) to SVG, PNG
# (scale 1) and PDF, timed by crates/render/benches/render.rs in release mode, compared with
# the goals of PRODUCT.md (SVG < 50 ms, PNG < 500 ms). Prints the machine, the load average
# (other builds on a shared machine slow every number) and one line per measurement: wall
# times min/median/max, and the process CPU time per iteration (all threads).
#
#   bench/render/run.sh            # 10 iterations (SVG: 50)
#   ITERS=20 bench/render/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
ITERS="${ITERS:-10}"

echo "# date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(rustc --version)"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build --release -q -p cxmap-render --bench render
out="$(RENDER_BENCH_ITERS="$ITERS" cargo bench -q -p cxmap-render --bench render 2>/dev/null)"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$out" | grep '^#'
printf '%-16s %6s %9s %10s %9s %8s %8s  %s\n' measurement iters min_ms median_ms max_ms cpu_ms goal_ms verdict
echo "$out" | grep -v '^#' | while read -r name iters min median max cpu; do
  case "$name" in
    svg) goal=50 ;;
    png_1x) goal=500 ;;
    *) goal="" ;;
  esac
  verdict=""
  if [ -n "$goal" ]; then
    if awk -v m="$median" -v g="$goal" 'BEGIN { exit !(m < g) }'; then verdict="meets goal"; else verdict="MISSES goal"; fi
  fi
  printf '%-16s %6s %9s %10s %9s %8s %8s  %s\n' "$name" "$iters" "$min" "$median" "$max" "$cpu" "${goal:--}" "$verdict"
done
