#!/usr/bin/env python3
"""One benchmark task on one peer engine; prints the result as JSON on stdout
in the shape of `cxmap analyze ... --format json` (the fields compare.py
checks), and timings on stderr.

Every engine reads the same CSV file, orders each case's events by
(timestamp, file position) — file position taken from a row number — and
computes:
  dfg       activity/start/end counts and directly-follows edges with counts
            and mean seconds;
  variants  top K activity sequences, count desc, ties by sequence asc;
  funnel    the exact window funnel (see PRODUCT.md). DuckDB and Polars run
            the same exact dynamic programme as cxmap expressed as joins (for
            each level keep, per end event, the latest start); chDB uses
            ClickHouse's own windowFunnel(window, 'strict_increase'), which
            can undercount with same-instant events; PM4Py has no funnel.
"""

import argparse
import json
import sys
import time

WINDOW_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def window_seconds(s):
    if s[-1] in WINDOW_UNITS:
        return int(float(s[:-1]) * WINDOW_UNITS[s[-1]])
    return int(s)


def finish_variants(rows, cases, top):
    rows = sorted(((list(a), int(c)) for a, c in rows), key=lambda r: (-r[1], r[0]))[:top]
    return {"cases": int(cases), "variants": [{"activities": a, "count": c} for a, c in rows]}


def finish_dfg(cases, events, acts, starts, ends, edges):
    return {
        "cases": int(cases),
        "events": int(events),
        "activities": {a: int(n) for a, n in acts},
        "start": {a: int(n) for a, n in starts},
        "end": {a: int(n) for a, n in ends},
        "edges": sorted(
            ({"from": f, "to": t, "count": int(c), "mean_seconds": float(m)} for f, t, c, m in edges),
            key=lambda e: (-e["count"], e["from"], e["to"]),
        ),
    }


# ---------------------------------------------------------------- DuckDB
def run_duckdb(args):
    import duckdb

    con = duckdb.connect()
    t0 = time.perf_counter()
    if args.parquet:
        source = "read_parquet(?)"
    else:
        source = ("read_csv(?, header=true, "
                  "columns={'case_id':'VARCHAR','activity':'VARCHAR','timestamp':'TIMESTAMP'})")
    con.execute(
        "CREATE TABLE ev AS SELECT case_id, activity, epoch_ms(timestamp::TIMESTAMP) AS ts, "
        f"row_number() OVER () AS rn FROM {source}",
        [args.parquet or args.csv],
    )
    t1 = time.perf_counter()
    if args.task == "dfg":
        # One window (one sort) gives successor, gap and the first event of each case.
        con.execute(
            "CREATE TEMP TABLE o AS SELECT activity, lead(activity) OVER w AS nxt, "
            "lead(ts) OVER w - ts AS dt, row_number() OVER w = 1 AS first "
            "FROM ev WINDOW w AS (PARTITION BY case_id ORDER BY ts, rn)"
        )
        cases, events = con.execute("SELECT count(*) FILTER (WHERE first), count(*) FROM o").fetchone()
        acts = con.execute("SELECT activity, count(*) FROM o GROUP BY 1").fetchall()
        starts = con.execute("SELECT activity, count(*) FROM o WHERE first GROUP BY 1").fetchall()
        ends = con.execute("SELECT activity, count(*) FROM o WHERE nxt IS NULL GROUP BY 1").fetchall()
        edges = con.execute(
            "SELECT activity, nxt, count(*), avg(dt) / 1000.0 FROM o WHERE nxt IS NOT NULL GROUP BY 1, 2"
        ).fetchall()
        res = finish_dfg(cases, events, acts, starts, ends, edges)
    elif args.task == "variants":
        rows = con.execute(
            "WITH v AS (SELECT list(activity ORDER BY ts, rn) AS seq FROM ev GROUP BY case_id) "
            "SELECT seq, count(*) AS c FROM v GROUP BY seq ORDER BY c DESC, seq LIMIT ?",
            [args.top * 4],
        ).fetchall()
        cases = con.execute("SELECT count(DISTINCT case_id) FROM ev").fetchone()[0]
        res = finish_variants(rows, cases, args.top)
    else:
        res = funnel_sql(con, args)
    t2 = time.perf_counter()
    print(f"duckdb load {t1 - t0:.3f}s query {t2 - t1:.3f}s", file=sys.stderr)
    return res


def funnel_sql(con, args):
    """Exact funnel as level-by-level joins (DuckDB SQL)."""
    steps = args.steps.split(",")
    w = window_seconds(args.window) * 1000
    cases = con.execute("SELECT count(DISTINCT case_id) FROM ev").fetchone()[0]
    con.execute(
        "CREATE TEMP TABLE l1 AS SELECT case_id, ts AS last, max(ts) AS start FROM ev "
        "WHERE activity = ? GROUP BY case_id, ts",
        [steps[0]],
    )
    counts = [con.execute("SELECT count(DISTINCT case_id) FROM l1").fetchone()[0]]
    for k in range(1, len(steps)):
        con.execute(
            f"CREATE TEMP TABLE l{k + 1} AS SELECT e.case_id, e.ts AS last, max(p.start) AS start "
            f"FROM (SELECT DISTINCT case_id, ts FROM ev WHERE activity = ?) e "
            f"JOIN l{k} p ON p.case_id = e.case_id AND p.last < e.ts "
            f"GROUP BY e.case_id, e.ts HAVING e.ts - max(p.start) <= ?",
            [steps[k], w],
        )
        counts.append(con.execute(f"SELECT count(DISTINCT case_id) FROM l{k + 1}").fetchone()[0])
    return {"cases": int(cases), "steps": [{"activity": a, "cases": int(c)} for a, c in zip(steps, counts)]}


# ---------------------------------------------------------------- Polars
def run_polars(args):
    import polars as pl

    t0 = time.perf_counter()
    if args.parquet:
        ev = (
            pl.read_parquet(args.parquet, columns=["case_id", "activity", "timestamp"])
            .with_row_index("rn")
            .with_columns(pl.col("timestamp").dt.epoch("ms").alias("ts"))
            .drop("timestamp")
        )
    else:
        ev = (
            pl.read_csv(args.csv, schema={"case_id": pl.String, "activity": pl.String, "timestamp": pl.String})
            .with_row_index("rn")
            .with_columns(pl.col("timestamp").str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="ms").dt.epoch("ms").alias("ts"))
            .drop("timestamp")
        )
    t1 = time.perf_counter()
    cases = ev["case_id"].n_unique()
    if args.task == "dfg":
        # One sort; successors by a global shift, masked where the case changes.
        o = ev.sort(["case_id", "ts", "rn"]).with_columns(
            same=pl.col("case_id") == pl.col("case_id").shift(-1),
            first=pl.col("case_id") != pl.col("case_id").shift(1),
            nxt=pl.col("activity").shift(-1),
            dt=pl.col("ts").shift(-1) - pl.col("ts"),
        )
        acts = o.group_by("activity").len().rows()
        starts = o.filter(pl.col("first").fill_null(True)).group_by("activity").len().rows()
        ends = o.filter(~pl.col("same").fill_null(False)).group_by("activity").len().rows()
        edges = (
            o.filter(pl.col("same").fill_null(False))
            .group_by(["activity", "nxt"])
            .agg(pl.len(), (pl.col("dt").mean() / 1000.0).alias("m"))
            .rows()
        )
        res = finish_dfg(cases, ev.height, acts, starts, ends, edges)
    elif args.task == "variants":
        v = (
            ev.sort(["case_id", "ts", "rn"])
            .group_by("case_id", maintain_order=True)
            .agg(pl.col("activity"))
            .group_by("activity")
            .len()
            .sort("len", descending=True)
        )
        # ties at the cut are ordered in Python (small)
        cut = v["len"][min(args.top, v.height) - 1] if v.height else 0
        rows = v.filter(pl.col("len") >= cut).rows()
        res = finish_variants(rows, cases, args.top)
    else:
        steps = args.steps.split(",")
        w = window_seconds(args.window) * 1000
        ends = lambda a: ev.filter(pl.col("activity") == a).select("case_id", "ts").unique()
        lvl = ends(steps[0]).with_columns(pl.col("ts").alias("start")).rename({"ts": "last"})
        counts = [lvl["case_id"].n_unique()]
        for a in steps[1:]:
            lvl = (
                ends(a)
                .join(lvl, on="case_id")
                .filter(pl.col("last") < pl.col("ts"))
                .group_by(["case_id", "ts"])
                .agg(pl.col("start").max())
                .filter(pl.col("ts") - pl.col("start") <= w)
                .rename({"ts": "last"})
            )
            counts.append(lvl["case_id"].n_unique())
        res = {"cases": int(cases), "steps": [{"activity": a, "cases": int(c)} for a, c in zip(steps, counts)]}
    t2 = time.perf_counter()
    print(f"polars load {t1 - t0:.3f}s query {t2 - t1:.3f}s", file=sys.stderr)
    return res


# ---------------------------------------------------------------- chDB
def run_chdb(args):
    import chdb

    src = f"file('{args.csv}', CSVWithNames, 'case_id String, activity String, timestamp DateTime64(3, \\'UTC\\')')"
    # rowNumberInAllBlocks() with one reading thread is the file position.
    base = (
        f"SELECT case_id, activity, toUnixTimestamp64Milli(timestamp) AS ts, rowNumberInAllBlocks() AS rn FROM {src}"
    )
    settings = " SETTINGS max_threads_for_reading = 1" if False else ""
    t0 = time.perf_counter()
    q = lambda sql: json.loads(str(chdb.query(sql + settings, "JSON")))["data"]
    per_case = (
        f"SELECT case_id, arrayMap(x -> x.2, arraySort(x -> (x.1, x.3), groupArray((ts, activity, rn)))) AS seq, "
        f"arrayMap(x -> x.1, arraySort(x -> (x.1, x.3), groupArray((ts, activity, rn)))) AS tss "
        f"FROM ({base}) GROUP BY case_id"
    )
    if args.task == "dfg":
        d = q(
            f"SELECT count() AS cases, sum(length(seq)) AS events, "
            f"sumMap(map(seq[1], 1)) AS st, sumMap(map(seq[-1], 1)) AS en FROM ({per_case})"
        )[0]
        acts = q(f"SELECT activity, count() AS n FROM ({base}) GROUP BY activity")
        edges = q(
            f"SELECT p.1 AS f, p.2 AS t, count() AS c, avg(p.3) / 1000.0 AS m FROM ({per_case}) "
            f"ARRAY JOIN arrayMap(i -> (seq[i], seq[i + 1], tss[i + 1] - tss[i]), range(1, length(seq))) AS p "
            f"GROUP BY f, t"
        )
        res = finish_dfg(
            d["cases"], d["events"], [(r["activity"], r["n"]) for r in acts],
            d["st"].items(), d["en"].items(), [(r["f"], r["t"], r["c"], r["m"]) for r in edges],
        )
    elif args.task == "variants":
        rows = q(f"SELECT seq, count() AS c FROM ({per_case}) GROUP BY seq ORDER BY c DESC, seq LIMIT {args.top * 4}")
        cases = q(f"SELECT uniqExact(case_id) AS n FROM {src}")[0]["n"]
        res = finish_variants([(r["seq"], r["c"]) for r in rows], cases, args.top)
    else:
        steps = args.steps.split(",")
        conds = ", ".join("activity = '" + s.replace("'", "\\'") + "'" for s in steps)
        w = window_seconds(args.window)
        rows = q(
            f"SELECT level, count() AS c FROM (SELECT case_id, windowFunnel({w}, 'strict_increase')"
            f"(toDateTime(intDiv(ts, 1000)), {conds}) AS level FROM ({base}) GROUP BY case_id) GROUP BY level"
        )
        exact = {int(r["level"]): int(r["c"]) for r in rows}
        cases = sum(exact.values())
        counts = [sum(c for l, c in exact.items() if l >= i + 1) for i in range(len(steps))]
        res = {"cases": cases, "steps": [{"activity": a, "cases": c} for a, c in zip(steps, counts)]}
    t1 = time.perf_counter()
    print(f"chdb total {t1 - t0:.3f}s", file=sys.stderr)
    return res


# ---------------------------------------------------------------- PM4Py
def run_pm4py(args):
    import pandas as pd
    import pm4py

    t0 = time.perf_counter()
    df = pd.read_csv(args.csv, dtype={"case_id": str, "activity": str}, nrows=args.limit)
    df["timestamp"] = pd.to_datetime(df["timestamp"], format="%Y-%m-%d %H:%M:%S", utc=True)
    df["@@rn"] = range(len(df))
    df = df.sort_values(["case_id", "timestamp", "@@rn"], kind="stable").reset_index(drop=True)
    df = pm4py.format_dataframe(df, case_id="case_id", activity_key="activity", timestamp_key="timestamp")
    # format_dataframe sorts again (stably) by case and timestamp: file order of ties is kept.
    t1 = time.perf_counter()
    if args.task == "dfg":
        dfg, sa, ea = pm4py.discover_dfg(df)
        perf = pm4py.discover_performance_dfg(df)[0]
        acts = df["concept:name"].value_counts().items()
        res = finish_dfg(
            df["case:concept:name"].nunique(), len(df), acts, sa.items(), ea.items(),
            [(f, t, c, perf[(f, t)]["mean"]) for (f, t), c in dfg.items()],
        )
    elif args.task == "variants":
        v = pm4py.get_variants(df)
        res = finish_variants([(list(k), c if isinstance(c, int) else len(c)) for k, c in v.items()],
                              df["case:concept:name"].nunique(), args.top)
    else:
        raise SystemExit("pm4py has no funnel")
    t2 = time.perf_counter()
    print(f"pm4py load {t1 - t0:.3f}s query {t2 - t1:.3f}s", file=sys.stderr)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("engine", choices=["duckdb", "polars", "chdb", "pm4py"])
    ap.add_argument("task", choices=["dfg", "variants", "funnel"])
    ap.add_argument("--csv", required=True)
    ap.add_argument("--parquet", default=None, help="read this Parquet file instead (duckdb, polars)")
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--steps", default="")
    ap.add_argument("--window", default="30d")
    ap.add_argument("--limit", type=int, default=None, help="pm4py only: first N rows")
    args = ap.parse_args()
    if args.parquet and args.engine not in ("duckdb", "polars"):
        raise SystemExit(f"{args.engine}: no Parquet input in this benchmark")
    res = {"duckdb": run_duckdb, "polars": run_polars, "chdb": run_chdb, "pm4py": run_pm4py}[args.engine](args)
    json.dump(res, sys.stdout, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
