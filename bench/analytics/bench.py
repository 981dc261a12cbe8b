#!/usr/bin/env python3
"""Runs cxmap and the peers on the same log, checks the results agree and
prints a Markdown table (see run.sh)."""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = "visit_home,search,view_product,add_to_cart"


def timed(cmd, out_path, timeout):
    """Runs cmd under /usr/bin/time -v; returns (seconds, peak_rss_mb, ok, stderr_tail)."""
    with open(out_path, "w") as out:
        try:
            p = subprocess.run(["/usr/bin/time", "-v", *cmd], stdout=out, stderr=subprocess.PIPE, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, None, False, f"timeout after {timeout}s"
    err = p.stderr
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", err)
    parts = [float(x) for x in m.group(1).split(":")] if m else [0]
    secs = sum(v * 60 ** i for i, v in enumerate(reversed(parts)))
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    rss_mb = int(rss.group(1)) / 1024 if rss else None
    tail = "\n".join(l for l in err.splitlines() if not l.startswith("\t"))[-300:]
    return secs, rss_mb, p.returncode == 0, tail


def task_args(task, top, window):
    if task == "dfg":
        return ["dfg"]
    if task == "variants":
        return ["variants", "--top", str(top)]
    return ["funnel", "--steps", STEPS, "--window", window]


def peer_cmd(engine, task, csv, top, window, limit=None, parquet=None):
    cmd = [sys.executable, os.path.join(HERE, "peers.py"), engine, task, "--csv", csv, "--top", str(top),
           "--steps", STEPS, "--window", window]
    if parquet:
        cmd += ["--parquet", parquet]
    return cmd + (["--limit", str(limit)] if limit else [])


def loadavg():
    try:
        return open("/proc/loadavg").read().split()[0]
    except OSError:
        return "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", required=True)
    ap.add_argument("--cxmap", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--repeat", type=int, default=2, help="runs per engine and task; the best is kept")
    ap.add_argument("--engines", default="cxmap,duckdb,polars,chdb,pm4py")
    ap.add_argument("--tasks", default="dfg,variants,funnel")
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--window", default="30d")
    ap.add_argument("--pm4py-csv", default=None, help="smaller CSV for PM4Py (then cxmap is also timed on it)")
    ap.add_argument("--parquet", default=None,
                    help="the same log as Parquet: adds cxmap, DuckDB and Polars rows reading it")
    ap.add_argument("--parquet-engines", default="cxmap,duckdb,polars")
    ap.add_argument("--timeout", type=int, default=900)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    engines = args.engines.split(",")
    rows = []
    print(f"# start {datetime.datetime.now().isoformat(timespec='seconds')} load {loadavg()}", file=sys.stderr)
    for task in args.tasks.split(","):
        results = {}
        for engine in engines:
            if engine == "pm4py" and task == "funnel":
                continue
            csv = args.pm4py_csv if (engine == "pm4py" and args.pm4py_csv) else args.csv
            runs = []
            for r in range(1 if engine == "pm4py" else args.repeat):
                out = os.path.join(args.out, f"{engine}_{task}.json")
                if engine == "cxmap":
                    cmd = [args.cxmap, "analyze", *task_args(task, args.top, args.window), "--log", csv, "--format", "json"]
                else:
                    cmd = peer_cmd(engine, task, csv, args.top, args.window)
                secs, rss, ok, tail = timed(cmd, out, args.timeout)
                print(f"{task:8} {engine:7} run {r + 1}: {secs} s, {rss} MB, ok={ok} load={loadavg()} {'' if ok else tail}", file=sys.stderr)
                runs.append((secs, rss, ok))
                if not ok:
                    break
            best = min((x for x in runs if x[2]), default=(None, None, False), key=lambda x: x[0])
            results[engine] = {"secs": best[0], "rss": best[1], "ok": best[2], "csv": csv,
                               "out": os.path.join(args.out, f"{engine}_{task}.json")}
        # The same task on the Parquet file (engine names get a "/parquet" suffix;
        # ratios are against cxmap on Parquet).
        if args.parquet:
            for engine in args.parquet_engines.split(","):
                name = f"{engine}/parquet"
                runs = []
                out = os.path.join(args.out, f"{engine}-parquet_{task}.json")
                for r in range(args.repeat):
                    if engine == "cxmap":
                        cmd = [args.cxmap, "analyze", *task_args(task, args.top, args.window), "--log", args.parquet,
                               "--format", "json"]
                    else:
                        cmd = peer_cmd(engine, task, args.csv, args.top, args.window, parquet=args.parquet)
                    secs, rss, ok, tail = timed(cmd, out, args.timeout)
                    print(f"{task:8} {name:15} run {r + 1}: {secs} s, {rss} MB, ok={ok} load={loadavg()} "
                          f"{'' if ok else tail}", file=sys.stderr)
                    runs.append((secs, rss, ok))
                    if not ok:
                        break
                best = min((x for x in runs if x[2]), default=(None, None, False), key=lambda x: x[0])
                results[name] = {"secs": best[0], "rss": best[1], "ok": best[2], "csv": args.parquet, "out": out}
        # PM4Py on a subset: time cxmap on the same subset for its ratio.
        if "pm4py" in results and args.pm4py_csv and task != "funnel":
            out = os.path.join(args.out, f"cxmap-subset_{task}.json")
            cmd = [args.cxmap, "analyze", *task_args(task, args.top, args.window), "--log", args.pm4py_csv, "--format", "json"]
            best = min((timed(cmd, out, args.timeout) for _ in range(args.repeat)), key=lambda x: x[0] or 1e9)
            results["cxmap-subset"] = {"secs": best[0], "rss": best[1], "ok": best[2], "csv": args.pm4py_csv, "out": out}
        ref = results.get("cxmap")
        for engine, r in results.items():
            if engine == "cxmap/parquet":
                # Parquet rows are timed against cxmap on Parquet, but checked against cxmap on CSV.
                base = r
                agree = "reference"
                if ref and r["ok"]:
                    c = subprocess.run([sys.executable, os.path.join(HERE, "compare.py"), task, ref["out"], r["out"]],
                                       capture_output=True, text=True)
                    agree = "reference (= CSV)" if c.returncode == 0 else "DIFFERS from CSV: " + c.stdout.strip()
            elif engine.startswith("cxmap"):
                agree = "reference"
                base = r
            else:
                if engine.endswith("/parquet"):
                    base = results.get("cxmap/parquet")
                elif engine == "pm4py" and args.pm4py_csv:
                    base = results["cxmap-subset"]
                else:
                    base = ref
                if not r["ok"] or not base or not base["ok"]:
                    agree = "failed"
                else:
                    c = subprocess.run([sys.executable, os.path.join(HERE, "compare.py"), task, base["out"], r["out"]],
                                       capture_output=True, text=True)
                    agree = "yes" if c.returncode == 0 else c.stdout.strip().split(": ", 1)[-1]
            ratio = (r["secs"] / base["secs"]) if (r["ok"] and base and base["secs"]) else None
            rows.append((task, engine, r["secs"], r["rss"], ratio, agree, os.path.basename(r["csv"])))
    print(f"# end {datetime.datetime.now().isoformat(timespec='seconds')} load {loadavg()}", file=sys.stderr)
    print("| task | engine | input | wall s | peak RSS MB | time / cxmap time | results agree with cxmap |")
    print("|---|---|---|---:|---:|---:|---|")
    for task, engine, secs, rss, ratio, agree, csv in rows:
        f = lambda v, p: "—" if v is None else f"{v:.{p}f}"
        print(f"| {task} | {engine} | {csv} | {f(secs, 2)} | {f(rss, 0)} | {f(ratio, 1)}× | {agree} |")
    json.dump(rows, open(os.path.join(args.out, "table.json"), "w"))
    print(f"\nmachine: {platform.node()} {os.cpu_count()} cores, {platform.platform()}; python {platform.python_version()}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
