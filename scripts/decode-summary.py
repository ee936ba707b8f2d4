#!/usr/bin/env python3
"""Prints issue #4's view of one GPU's decode sweeps (scripts/device-sweep.sh):

    decode-summary.py DIR

DIR holds w4a16-bench --json runs decode.json (fp16 g128), decode-zeros.json, dg.json (fp16/bf16 x
groups) and dgz.json (fp16 zeros x groups). Prints per M the fraction of the memory floor and the
speedup over cuBLAS fp16 on the ANCHORS shapes, bf16's time over fp16's, and groups 64/32 against
group 128 floor-normalized (time over floor, each floor counting its own scale bytes). Missing
files are skipped.
"""
import collections
import json
import os
import sys

SHAPES = [(4096, 4096), (6144, 4096), (4096, 14336), (8192, 8192), (28672, 4096), (28672, 8192),
          (8192, 28672)]


def rows(directory, name):
    path = os.path.join(directory, name)
    return json.load(open(path))["rows"] if os.path.exists(path) else []


def floor_table(title, rs):
    by_m = collections.defaultdict(dict)
    for r in rs:
        by_m[r["M"]][(r["N"], r["K"])] = r
    if not by_m:
        return
    print(f"{title}: % of the floor on " + ", ".join(f"{n}x{k}" for n, k in SHAPES))
    for m in sorted(by_m):
        cells = [by_m[m].get(s) for s in SHAPES]
        frac = "/".join(f"{100 * c['frac_floor']:.0f}" if c else "-" for c in cells)
        sp = "/".join(f"{c['speedup']:.1f}" if c and c.get("speedup") else "-" for c in cells)
        print(f"  M={m:2d}: {frac}%  x cuBLAS {sp}")


def over_floor(r):
    return r["us"] / r["floor_us"]


def span(values):
    return f"{min(values):.3f}-{max(values):.3f}" if values else "-"


def by_problem(rs):
    """Rows keyed by (N, K, M, dtype, group)."""
    return {(r["N"], r["K"], r["M"], r["dtype"], r["group"]): r for r in rs}


def group_ratios(title, idx, dtypes):
    for g in (64, 32):
        for dt in dtypes:
            few, many = [], []
            for (n, k, m, d, gg), r in idx.items():
                base = idx.get((n, k, m, d, 128))
                if gg == g and d == dt and base:
                    (few if m <= 8 else many).append(over_floor(r) / over_floor(base))
            if few or many:
                print(f"  {title}g{g} {dt}: M <= 8 {span(few)}, M > 8 {span(many)}")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    decode = rows(d, "decode.json")
    floor_table("fp16 g128", [r for r in decode if r["dtype"] == "fp16" and r["group"] == 128
                              and not r["zeros"]])
    floor_table("fp16 g128 zeros", [r for r in rows(d, "decode-zeros.json")
                                     if r["dtype"] == "fp16" and r["group"] == 128])
    dg = by_problem(rows(d, "dg.json"))
    bf = [r["us"] / dg[(n, k, m, "fp16", 128)]["us"] for (n, k, m, dt, g), r in dg.items()
          if dt == "bf16" and g == 128 and (n, k, m, "fp16", 128) in dg]
    if bf:
        print(f"bf16 / fp16 time, group 128: {min(bf):.3f}-{max(bf):.3f}")
    print("groups 64/32 against group 128 (time over floor):")
    group_ratios("", dg, ("fp16", "bf16"))
    group_ratios("zeros ", by_problem(rows(d, "dgz.json")), ("fp16",))


if __name__ == "__main__":
    main()
