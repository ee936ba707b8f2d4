#!/usr/bin/env python3
"""Edits a shipped tuning table from a graph-replay oracle run (`w4a16-bench --graph --oracle`,
whose stderr lists every candidate as `oracle-candidate NxK M=m DTYPE gG zZ CONFIG US`):

    oracle-to-table.py TABLE.json ORACLE.err [ORACLE.err ...] [--margin 0.02] [--out OUT.json]

For each measured (problem, M), the table entry whose M bucket holds M takes the fastest
candidate when that candidate is faster than the entry's own configuration, timed in the same run,
by more than the margin (default 2%: the spread of repeated medians); given several runs, by the
margin in each of them (times are the mean over the runs). The entry's "us" becomes
the oracle's time. Entries that no candidate line covers stay as they are; a measured M
that no bucket of a tuned problem holds gets an entry from the problem's previous bucket + 1 up
to it; problems without entries are left to the same-shape fallback. Prints each change.
Why: the library's tuner times back-to-back calls, which ranks some GEMV configurations
differently from CUDA-graph replay (bench/NOTES.md); decode runs in graphs. The oracle itself
can misjudge a configuration by several % (it times candidates one after another): confirm the
edits with dispatched rows before shipping them (scripts/keep-validated-edits.py)."""
import argparse
import re

from tables import CHOICE_FIELDS, load, problem, save

LINE = re.compile(r"^oracle-candidate (\d+)x(\d+) M=(\d+) (\w+) g(\w+) z([01]) (\S+) ([0-9.]+)$")


def parse_config(name):
    """(path, config, split_k) of a configuration name (Choice::config_name)."""
    m = re.match(r"gemv\.v\d+\.cfg(\d+)\.splitk(\d+)$", name)
    if m:
        return "gemv", int(m[1]), int(m[2])
    # rows with a 128-deep K tile carry ".k128" between the tile and the cluster
    m = re.match(r"sm90\.v\d+\.cfg(\d+)\.[a-z]+\d+x\d+(?:\.k\d+)?\.c\d+x\d+(?:\.splitk(\d+))?$", name)
    if m:
        return "tensor_core", int(m[1]), int(m[2] or 1)
    m = re.match(r"mma_sync\.v\d+\.cfg(\d+)$", name)
    if m:
        return "tensor_core", int(m[1]), 1
    raise ValueError(f"unknown configuration name {name!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("table", help="the table to edit (TABLE.json)")
    ap.add_argument("errs", nargs="+", metavar="ORACLE.err", help="bench stderr with oracle-candidate lines")
    ap.add_argument("--margin", type=float, default=0.02)
    ap.add_argument("--out", help="where to write (default: the table itself)")
    args = ap.parse_args()
    out = args.out or args.table
    table = load(args.table)
    # (dtype, n, k, group, zeros, m) -> {(path, config, split): [us per run]}
    cands = {}
    for path in args.errs:
        with open(path) as f:
            for line in f:
                m = LINE.match(line.strip())
                if not m:
                    continue
                n, k, mm, dtype, g, z, name, us = m.groups()
                group = int(k) if g == "k" else int(g)
                key = (dtype, int(n), int(k), group, z == "1", int(mm))
                cands.setdefault(key, {}).setdefault(parse_config(name), []).append(float(us))
    entries = table["entries"]
    changed = 0
    for (*prob, mm), runs in sorted(cands.items()):
        prob = tuple(prob)
        # Several oracle files: a configuration's time is its mean over them, and a change must
        # also win by the margin in every run on its own (one run's ranking shifts by a few %).
        times = {c: sum(v) / len(v) for c, v in runs.items()}
        best = min(times, key=times.get)
        mine = [e for e in entries if problem(e) == prob]
        entry = next((e for e in mine if e["m_min"] <= mm <= e["m_max"]), None)
        if entry is None:
            # The bucket starts after the problem's last tuned M below this one (as w4a16_tune's).
            below = [e["m_max"] for e in mine if e["m_max"] < mm]
            if not below:
                continue  # an untuned problem: left to the same-shape fallback (docs/DISPATCH.md)
            entry = dict(zip(("dtype", "n", "k", "group", "zeros"), prob), m_min=max(below) + 1,
                         m_max=mm, path=None, config=None, split_k=None, us=None)
            entries.append(entry)
        cur = tuple(entry[f] for f in CHOICE_FIELDS)
        cur_runs = runs.get(cur, [])
        cur_us = times.get(cur)
        if cur_us is not None and (times[best] >= cur_us * (1 - args.margin) or (
                len(cur_runs) == len(runs[best]) and
                any(b >= c * (1 - args.margin) for b, c in zip(runs[best], cur_runs)))):
            continue
        entry.update(zip(CHOICE_FIELDS, best), us=round(times[best], 3))
        changed += 1
        dtype, n, k, group, zeros = prob
        print(f"{dtype} {n}x{k} g{group} z{int(zeros)} M={mm} (bucket {entry['m_min']}..{entry['m_max']}): "
              f"{cur} {cur_us} us -> {best} {times[best]:.2f} us")
    save(table, out)
    print(f"{changed} entries changed; wrote {out}")

if __name__ == "__main__":
    main()
