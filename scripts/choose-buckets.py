#!/usr/bin/env python3
"""Edits a table's decode buckets where a forced configuration measured faster at every M:

    choose-buckets.py TABLE.json --runs DIR --base NAME --alt NAME [--alt NAME ...]
                      [--min-speedup 1.02] [--m-max 16] --out OUT.json

DIR holds `w4a16-bench --json` runs named NAME-r1.json, NAME-r2.json, ... of one device call:
--base ran the table (TABLE.json), each --alt ran a table that forces one configuration (for
example scripts/force-table.py ... --all). For every problem (N x K, dtype, group, zeros) and
decode bucket (M = 1, 2, 3-4, 5-8, 9-16: the tuner's) of the base runs, an alternative qualifies
when it ran one configuration at every measured M of the bucket, not the base's, and its slowest
run beat the base's fastest by --min-speedup at each of those M (the conservative ratio of the
interleaved A/B runs). The qualifying alternative with the largest summed ratio becomes the
bucket's entry (an entry of its own, replacing one of the same bucket); `us` records its slowest
time at the bucket's largest measured M. Prints each decision. Run pin-borrowers.py after it: an
edited entry also moves the problems that borrowed the old one.
"""
import argparse
import re

from tables import DECODE_BUCKETS, bench_runs, entry_key, load, save

def choice(config_name):
    """The table fields of a bench config name (gemv.v2.cfg4.splitk1, tc.v2.sm90.cfg44...)."""
    m = re.match(r"gemv\.v\d+\.cfg(\d+)\.splitk(\d+)$", config_name)
    if m:
        return dict(path="gemv", config=int(m[1]), split_k=int(m[2]))
    m = re.match(r"tc\.v\d+\.(?:sm90\.v\d+\.)?cfg(\d+)\..*?splitk(\d+)", config_name)
    if m:
        return dict(path="tensor_core", config=int(m[1]), split_k=int(m[2]))
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("table")
    ap.add_argument("--runs", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--alt", action="append", required=True)
    ap.add_argument("--min-speedup", type=float, default=1.02)
    ap.add_argument("--m-max", type=int, default=16, help="edit only buckets up to this M")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    table = load(args.table)
    base, base_rows = bench_runs(args.runs, args.base)
    alts = {name: bench_runs(args.runs, name) for name in args.alt}
    problems = sorted({(k[0], k[1], k[3], k[4], k[5]) for k in base})
    edits = []
    for n, kk, dtype, group, zeros in problems:
        for lo, hi in DECODE_BUCKETS:
            if hi > args.m_max:
                continue
            keys = sorted(k for k in base if (k[0], k[1], k[3], k[4], k[5]) == (n, kk, dtype, group, zeros)
                          and lo <= k[2] <= hi)
            if not keys:
                continue
            best = None
            for name, (times, rows) in alts.items():
                if not all(k in times for k in keys):
                    continue
                cfgs = {rows[k]["config"] for k in keys}
                if len(cfgs) != 1 or cfgs <= {base_rows[k]["config"] for k in keys}:
                    continue
                ratios = [min(base[k]) / max(times[k]) for k in keys]
                if min(ratios) >= args.min_speedup and (best is None or sum(ratios) > sum(best[2])):
                    best = (name, cfgs.pop(), ratios, max(times[keys[-1]]))
            if best is None:
                continue
            name, cfg, ratios, us = best
            fields = choice(cfg)
            if fields is None:
                print(f"skip {dtype} {n}x{kk} g{group} zeros={zeros} M {lo}..{hi}: {cfg} (unknown name)")
                continue
            entry = dict(dtype=dtype, n=n, k=kk, group=group, zeros=zeros, m_min=lo, m_max=hi,
                         **fields, us=round(us, 3))
            table["entries"] = [e for e in table["entries"] if entry_key(e) != entry_key(entry)]
            table["entries"].append(entry)
            edits.append(entry)
            old = sorted({base_rows[k]["config"] for k in keys})
            print(f"{dtype} {n}x{kk} g{group} zeros={zeros} M {lo}..{hi}: {'/'.join(old)} -> {cfg} "
                  f"({name}) x{min(ratios):.3f}-{max(ratios):.3f}")
    save(table, args.out)
    print(f"{len(edits)} bucket(s) edited; wrote {args.out}")


if __name__ == "__main__":
    main()
