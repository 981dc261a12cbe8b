"""cxmap analyze vs PM4Py: DFG, start/end activities and variants must be
identical (counts exactly, mean seconds to 1e-6) on PM4Py's own test logs
and on random logs with many same-instant events and Korean activity names.
The funnel has no PM4Py equivalent; it is checked against a brute-force
enumeration of all chains.

Events are ordered by (case, timestamp) with ties in file order. PM4Py is
handed a DataFrame already sorted that way (stable sort on a file-position
column) so it sees the same order.
"""

import json
import math
import pathlib
import random
import subprocess

import pandas as pd
import pm4py
import pytest

from conftest import cxmap_bin

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
CASE, ACT, TS = "case:concept:name", "concept:name", "time:timestamp"


def stable_sorted(df):
    df = df.copy()
    df["@@file_pos"] = range(len(df))
    df = df.sort_values([CASE, TS, "@@file_pos"], kind="stable").reset_index(drop=True)
    return df


def pm4py_reference(df):
    df = stable_sorted(df)
    keys = dict(case_id_key=CASE, activity_key=ACT, timestamp_key=TS)
    dfg, start, end = pm4py.discover_dfg(df, **keys)
    perf, _, _ = pm4py.discover_performance_dfg(df, **keys)
    variants = pm4py.get_variants(df, **keys)
    variants = {tuple(k): (v if isinstance(v, int) else len(v)) for k, v in variants.items()}
    return {
        "cases": df[CASE].nunique(),
        "events": len(df),
        "activities": {k: int(v) for k, v in df[ACT].value_counts().items()},
        "start": {k: int(v) for k, v in start.items()},
        "end": {k: int(v) for k, v in end.items()},
        "edges": {k: (int(c), float(perf[k]["mean"])) for k, c in dfg.items()},
        "variants": variants,
    }


def assert_same(ours_dfg, ours_variants, ref):
    assert ours_dfg["cases"] == ref["cases"]
    assert ours_dfg["events"] == ref["events"]
    assert ours_dfg["activities"] == ref["activities"]
    assert ours_dfg["start"] == ref["start"]
    assert ours_dfg["end"] == ref["end"]
    edges = {(e["from"], e["to"]): (e["count"], e["mean_seconds"]) for e in ours_dfg["edges"]}
    assert set(edges) == set(ref["edges"])
    for k, (count, mean) in edges.items():
        rc, rm = ref["edges"][k]
        assert count == rc, k
        assert math.isclose(mean, rm, rel_tol=1e-6, abs_tol=1e-6), (k, mean, rm)
    # edge order contract: count desc, then from, to
    order = [(-e["count"], e["from"], e["to"]) for e in ours_dfg["edges"]]
    assert order == sorted(order)

    assert ours_variants["cases"] == ref["cases"]
    ours = [(tuple(v["activities"]), v["count"]) for v in ours_variants["variants"]]
    assert dict(ours) == ref["variants"]
    expected_order = sorted(ref["variants"].items(), key=lambda kv: (-kv[1], list(kv[0])))
    assert ours == expected_order


def run_all(cxmap, path, *extra):
    dfg = cxmap("dfg", "--log", str(path), *extra)
    variants = cxmap("variants", "--top", "1000000", "--log", str(path), *extra)
    return dfg, variants


@pytest.mark.parametrize("name", ["running-example.xes", "receipt.xes.gz"])
def test_pm4py_test_logs(cxmap, name):
    path = FIXTURES / name
    df = pm4py.read_xes(str(path))
    ref = pm4py_reference(df[[CASE, ACT, TS]])
    assert_same(*run_all(cxmap, path), ref)


def test_top_k_is_a_prefix(cxmap):
    path = FIXTURES / "receipt.xes.gz"
    full = cxmap("variants", "--top", "1000000", "--log", str(path))
    top = cxmap("variants", "--top", "20", "--log", str(path))
    assert top["variants"] == full["variants"][:20]
    assert top["cases"] == full["cases"]


def test_a_log_piped_to_stdin_equals_the_file(cxmap):
    """`--log /dev/stdin` fed by a pipe (which cannot be reopened at its start) reads the whole log."""
    path = FIXTURES / "receipt.xes.gz"
    for task in (["dfg"], ["variants", "--top", "20"]):
        piped = subprocess.run(
            [cxmap_bin(), "analyze", *task, "--log", "/dev/stdin", "--format", "json"],
            input=path.read_bytes(),
            capture_output=True,
        )
        assert piped.returncode == 0, piped.stderr
        assert json.loads(piped.stdout) == cxmap(*task, "--log", str(path))


ACTIVITIES = ["방문", "장바구니", "결제", "고객 문의", "리뷰 작성", "search", "view", "checkout", "refund"]


def random_log(seed, cases=300, max_len=12, span_s=40):
    """Rows in shuffled (global) order; timestamps on a coarse grid so that
    many events of a case share an instant."""
    rng = random.Random(seed)
    rows = []
    for c in range(cases):
        start = 1_700_000_000 + rng.randrange(0, 86400 * 30)
        for _ in range(rng.randint(1, max_len)):
            act = rng.choice(ACTIVITIES[: rng.randint(2, len(ACTIVITIES))])
            rows.append((f"고객-{c:04d}" if c % 3 == 0 else f"case{c}", act, start + rng.randrange(0, span_s)))
    rng.shuffle(rows)
    df = pd.DataFrame(rows, columns=[CASE, ACT, "epoch"])
    df[TS] = pd.to_datetime(df["epoch"], unit="s", utc=True)
    return df


def write_csv(df, path, encoding="utf-8"):
    out = pd.DataFrame(
        {"case_id": df[CASE], "activity": df[ACT], "timestamp": df[TS].dt.strftime("%Y-%m-%d %H:%M:%S")}
    )
    out.to_csv(path, index=False, encoding=encoding)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_logs_csv_and_cp949(cxmap, tmp_path, seed):
    df = random_log(seed)
    ref = pm4py_reference(df[[CASE, ACT, TS]])
    csv = tmp_path / "log.csv"
    write_csv(df, csv)
    assert_same(*run_all(cxmap, csv), ref)
    cp949 = tmp_path / "log-cp949.csv"
    write_csv(df, cp949, encoding="cp949")
    assert_same(*run_all(cxmap, cp949), ref)  # detected
    assert_same(*run_all(cxmap, cp949, "--encoding", "cp949"), ref)


def test_random_log_xes_written_by_pm4py(cxmap, tmp_path):
    df = stable_sorted(random_log(7)).drop(columns=["@@file_pos", "epoch"])
    path = tmp_path / "log.xes"
    pm4py.write_xes(df, str(path), case_id_key=CASE)
    back = pm4py.read_xes(str(path))
    ref = pm4py_reference(back[[CASE, ACT, TS]])
    assert_same(*run_all(cxmap, path), ref)


def test_other_column_names(cxmap, tmp_path):
    df = random_log(11, cases=50)
    path = tmp_path / "renamed.csv"
    pd.DataFrame(
        {"고객": df[CASE], "단계": df[ACT], "시각": df[TS].dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")}
    ).to_csv(path, index=False)
    ours = run_all(cxmap, path, "--case", "고객", "--activity", "단계", "--timestamp", "시각")
    assert_same(*ours, pm4py_reference(df[[CASE, ACT, TS]]))


# ------------------------------------------------------------------ funnel
def brute_force_level(events, steps, window):
    """Longest prefix of `steps` matched by a chain with strictly increasing
    times, last - first <= window; enumerates every chain."""
    best = 0

    def extend(k, first, last):
        nonlocal best
        best = max(best, k)
        if k == len(steps):
            return
        for a, t in events:
            if a == steps[k] and t > last and t - first <= window:
                extend(k + 1, first, t)

    for a, t in events:
        if a == steps[0]:
            extend(1, t, t)
    return best


@pytest.mark.parametrize("seed", [4, 5])
def test_funnel_matches_brute_force(cxmap, tmp_path, seed):
    df = random_log(seed, cases=250, max_len=8, span_s=12)
    path = tmp_path / "log.csv"
    write_csv(df, path)
    by_case = {}
    for case, act, epoch in zip(df[CASE], df[ACT], df["epoch"]):
        by_case.setdefault(case, []).append((act, int(epoch)))
    rng = random.Random(seed)
    specs = [(["방문", "장바구니", "결제"], "5s"), (["search", "search", "view"], "10s"), (["결제"], "0s")]
    specs += [([rng.choice(ACTIVITIES[:5]) for _ in range(rng.randint(1, 4))], f"{rng.randint(0, 12)}s") for _ in range(6)]
    for steps, window in specs:
        w = int(window[:-1])
        levels = [brute_force_level(evs, steps, w) for evs in by_case.values()]
        expected = [sum(1 for l in levels if l >= i + 1) for i in range(len(steps))]
        got = cxmap("funnel", "--steps", ",".join(steps), "--window", window, "--log", str(path))
        assert got["cases"] == len(by_case)
        assert [s["activity"] for s in got["steps"]] == steps
        assert [s["cases"] for s in got["steps"]] == expected, (steps, window)


def test_funnel_same_instant_events_cannot_chain(cxmap, tmp_path):
    path = tmp_path / "ties.csv"
    path.write_text(
        "case_id,activity,timestamp\n"
        "a,A,2024-01-01 00:00:00\na,B,2024-01-01 00:00:00\n"  # same instant: level 1
        "b,A,2024-01-01 00:00:00\nb,A,2024-01-01 00:10:00\nb,B,2024-01-01 00:12:00\n"  # later start wins
        "c,A,2024-01-01 00:00:00\nc,B,2024-01-01 00:30:00\n",  # outside 15m
        encoding="utf-8",
    )
    got = cxmap("funnel", "--steps", "A,B", "--window", "15m", "--log", str(path))
    assert [s["cases"] for s in got["steps"]] == [3, 1]
