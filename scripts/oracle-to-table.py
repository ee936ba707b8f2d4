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
import json
import re
import sys

LINE = re.compile(r"^oracle-candidate (\d+)x(\d+) M=(\d+) (\w+) g(\w+) z([01]) (\S+) ([0-9.]+)$")


def parse_config(name):
    """(path, config, split_k) of a configuration name (Choice::config_name)."""
    m = re.match(r"gemv\.v\d+\.cfg(\d+)\.splitk(\d+)$", name)
    if m:
        return "gemv", int(m[1]), int(m[2])
    m = re.match(r"sm90\.v\d+\.cfg(\d+)\.[a-z]+\d+x\d+\.c\d+x\d+(?:\.splitk(\d+))?$", name)
    if m:
        return "tensor_core", int(m[1]), int(m[2] or 1)
    m = re.match(r"mma_sync\.v\d+\.cfg(\d+)$", name)
    if m:
        return "tensor_core", int(m[1]), 1
    raise ValueError(f"unknown configuration name {name!r}")


def main():
    args = sys.argv[1:]
    margin, out = 0.02, None
    if "--margin" in args:
        i = args.index("--margin")
        margin = float(args[i + 1])
        del args[i:i + 2]
    if "--out" in args:
        i = args.index("--out")
        out = args[i + 1]
        del args[i:i + 2]
    if len(args) < 2:
        sys.exit(__doc__)
    table_path, errs = args[0], args[1:]
    out = out or table_path
    with open(table_path) as f:
        table = json.load(f)
    # (dtype, n, k, group, zeros, m) -> {(path, config, split): us}
    cands = {}
    for path in errs:
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
    for (dtype, n, k, group, zeros, mm), runs in sorted(cands.items()):
        # Several oracle files: a configuration's time is its mean over them, and a change must
        # also win by the margin in every run on its own (one run's ranking shifts by a few %).
        times = {c: sum(v) / len(v) for c, v in runs.items()}
        best = min(times, key=times.get)
        entry = next((e for e in entries if (e["dtype"], e["n"], e["k"], e["group"], e["zeros"]) ==
                      (dtype, n, k, group, zeros) and e["m_min"] <= mm <= e["m_max"]), None)
        if entry is None:
            # The bucket starts after the problem's last tuned M below this one (as w4a16_tune's).
            below = [e["m_max"] for e in entries if (e["dtype"], e["n"], e["k"], e["group"],
                     e["zeros"]) == (dtype, n, k, group, zeros) and e["m_max"] < mm]
            if not below:
                continue  # an untuned problem: left to the same-shape fallback (docs/DISPATCH.md)
            m_min = max(below) + 1
            entry = {"dtype": dtype, "n": n, "k": k, "group": group, "zeros": zeros, "m_min": m_min,
                     "m_max": mm, "path": None, "config": None, "split_k": None, "us": None}
            entries.append(entry)
            cur_us = None
        else:
            cur_us = times.get((entry["path"], entry["config"], entry["split_k"]))
        if cur_us is not None and times[best] >= cur_us * (1 - margin):
            continue
        cur_runs = runs.get((entry["path"], entry["config"], entry["split_k"]), [])
        if len(cur_runs) == len(runs[best]) and any(
                b >= c * (1 - margin) for b, c in zip(runs[best], cur_runs)):
            continue
        old = (entry["path"], entry["config"], entry["split_k"])
        entry["path"], entry["config"], entry["split_k"] = best
        entry["us"] = round(times[best], 3)
        changed += 1
        print(f"{dtype} {n}x{k} g{group} z{int(zeros)} M={mm} (bucket {entry['m_min']}..{entry['m_max']}): "
              f"{old} {cur_us} us -> {best} {times[best]:.2f} us")
    with open(out, "w") as f:
        json.dump(table, f, indent=2)
        f.write("\n")
    print(f"{changed} entries changed; wrote {out}")


if __name__ == "__main__":
    main()
