#!/usr/bin/env python3
"""Checks that result files agree with a reference (cxmap's JSON output).

Usage: compare.py TASK REFERENCE.json OTHER.json...
Counts must be identical; mean seconds may differ by 1e-6 relative (floating
point summation order). Exit status 1 and a description when they differ.
"""

import json
import math
import sys


def norm_dfg(d):
    edges = {(e["from"], e["to"]): (e["count"], e["mean_seconds"]) for e in d["edges"]}
    return d["cases"], d["events"], d["activities"], d["start"], d["end"], edges


def diff(task, ref, other):
    if task == "dfg":
        a, b = norm_dfg(ref), norm_dfg(other)
        for name, x, y in zip(["cases", "events", "activities", "start", "end"], a[:5], b[:5]):
            if x != y:
                return f"{name} differs"
        ea, eb = a[5], b[5]
        if set(ea) != set(eb):
            return f"edge sets differ: {sorted(set(ea) ^ set(eb))[:5]}"
        for k in ea:
            (ca, ma), (cb, mb) = ea[k], eb[k]
            if ca != cb:
                return f"edge {k} count {ca} vs {cb}"
            if not math.isclose(ma, mb, rel_tol=1e-6, abs_tol=1e-6):
                return f"edge {k} mean {ma} vs {mb}"
        return None
    if task == "variants":
        va = [(v["activities"], v["count"]) for v in ref["variants"]]
        vb = [(v["activities"], v["count"]) for v in other["variants"]]
        if ref["cases"] != other["cases"]:
            return f"cases {ref['cases']} vs {other['cases']}"
        for i, (x, y) in enumerate(zip(va, vb)):
            if x != y:
                return f"variant #{i + 1}: {x} vs {y}"
        return None if len(va) == len(vb) else f"{len(va)} vs {len(vb)} variants"
    sa = [s["cases"] for s in ref["steps"]]
    sb = [s["cases"] for s in other["steps"]]
    if ref["cases"] != other["cases"] or sa != sb:
        return f"funnel cases {ref['cases']} {sa} vs {other['cases']} {sb}"
    return None


def main():
    task, ref_path, *others = sys.argv[1:]
    ref = json.load(open(ref_path))
    bad = 0
    for p in others:
        d = diff(task, ref, json.load(open(p)))
        print(f"{p}: {'agrees' if d is None else 'DIFFERS: ' + d}")
        bad += d is not None
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
