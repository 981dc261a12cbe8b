#!/usr/bin/env python3
"""Synthetic customer-journey event log for the event-analytics benchmark.

Default: ~10 million events in ~2 million cases over 30 activities (some with
Korean names). Realistic skew:
- variants are random walks on a skewed transition matrix (loops and early
  drop-off included) and cases pick a variant with Zipf-like popularity;
- gaps between events are exponential (mean 2 h) and 3 % are zero, so cases
  contain same-instant events;
- rows are written in global time order (as an event stream export would be),
  so the readers must group cases themselves.

Writes <out>/events.csv (case_id,activity,timestamp with
`YYYY-MM-DD HH:MM:SS`) and <out>/events.parquet (timestamp[ms]).
Deterministic for a given --seed and --events.
"""

import argparse
import os

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ACTIVITIES = [
    "visit_home", "search", "view_product", "view_reviews", "compare", "add_to_cart",
    "remove_from_cart", "view_cart", "login", "signup", "checkout_start", "enter_address",
    "choose_delivery", "payment", "payment_failed", "order_confirmed", "email_open",
    "sms_click", "qr_scan", "store_visit", "call_center", "chat", "faq", "return_request",
    "refund", "review_written", "nps_answer", "방문", "장바구니", "고객문의",
]


def make_variants(rng, n_variants, n_act):
    # Skewed transitions: each activity prefers a few successors; a mild bias
    # toward "later" activities gives a funnel-like flow; loops stay possible.
    trans = rng.pareto(1.2, size=(n_act, n_act)) + 1e-3
    for a in range(n_act):
        trans[a, (a + 1) % n_act] *= 8
        trans[a, (a + 2) % n_act] *= 3
    trans /= trans.sum(axis=1, keepdims=True)
    start = rng.pareto(1.0, size=n_act) + 1e-3
    start[0] *= 30
    start /= start.sum()
    variants = set()
    out = []
    tries = 0
    while len(out) < n_variants and tries < n_variants * 50:
        tries += 1
        a = rng.choice(n_act, p=start)
        seq = [a]
        while len(seq) < 40 and rng.random() > 0.2:  # 20 % drop-off per step
            a = rng.choice(n_act, p=trans[a])
            seq.append(a)
        t = tuple(seq)
        if t not in variants:
            variants.add(t)
            out.append(t)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=10_000_000, help="target number of events (scale)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies --events")
    ap.add_argument("--variants", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", default="bench/out/analytics")
    args = ap.parse_args()
    target = int(args.events * args.scale)
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)

    variants = make_variants(rng, args.variants, len(ACTIVITIES))
    lengths = np.array([len(v) for v in variants])
    weights = 1.0 / np.arange(1, len(variants) + 1) ** 1.1
    weights /= weights.sum()
    mean_len = float((lengths * weights).sum())
    n_cases = max(1, int(target / mean_len))
    choice = rng.choice(len(variants), size=n_cases, p=weights)
    case_len = lengths[choice]
    total = int(case_len.sum())

    flat = np.concatenate([np.array(v, dtype=np.int32) for v in variants])
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    case_of_event = np.repeat(np.arange(n_cases, dtype=np.int64), case_len)
    first_of_case = np.concatenate([[0], np.cumsum(case_len)[:-1]])
    pos_in_case = np.arange(total) - np.repeat(first_of_case, case_len)
    act = flat[np.repeat(offsets[choice], case_len) + pos_in_case]

    base = np.datetime64("2024-01-01T00:00:00", "s").astype(np.int64)
    start = base + rng.integers(0, 365 * 86400, size=n_cases)
    gaps = rng.exponential(7200.0, size=total).astype(np.int64)
    gaps[rng.random(total) < 0.03] = 0
    gaps[first_of_case] = 0
    cum = np.cumsum(gaps)
    cum -= np.repeat(cum[first_of_case], case_len)
    ts = np.repeat(start, case_len) + cum

    order = np.lexsort((pos_in_case, case_of_event, ts))  # global time order, stable per case
    names = np.array(ACTIVITIES, dtype=object)
    table = pa.table(
        {
            "case_id": pa.array(np.char.add("C", np.char.zfill(case_of_event[order].astype(str), 7))),
            "activity": pa.array(names[act[order]]),
            "timestamp": pa.array(ts[order].astype("datetime64[s]")),
        }
    )
    pacsv.write_csv(table, os.path.join(args.out, "events.csv"),
                    pacsv.WriteOptions(quoting_style="none"))
    pq.write_table(table.set_column(2, "timestamp", table["timestamp"].cast(pa.timestamp("ms"))),
                   os.path.join(args.out, "events.parquet"))
    print(f"cases={n_cases} events={total} variants_defined={len(variants)} mean_len={mean_len:.2f}")


if __name__ == "__main__":
    main()
