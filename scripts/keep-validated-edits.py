#!/usr/bin/env python3
"""Keeps only the table edits that a dispatched-row comparison confirms:

    keep-validated-edits.py TABLE.json EDITED.json BEFORE.json AFTER.json [--min-speedup 1.02] --out OUT.json

TABLE.json is the shipped table, EDITED.json the same table after oracle-to-table.py; BEFORE.json
and AFTER.json are `w4a16-bench --json` runs of the same points in one device call, the first
with the shipped table and the second with `--load-table EDITED.json`. An edited entry (changed or
new) is kept when every measured M of its bucket ran at least --min-speedup times faster after;
the others return to the shipped choice (a new entry is dropped). Prints each decision.
Why: the oracle times candidates one after another and its time for a configuration can differ
from the same configuration's dispatched row by several % (H100, session 4: cfg1 split 4 read 9%
slow on 8192x28672), which makes it rank some splits wrongly; the dispatched rows of two runs in
one call are the comparison the issues' method trusts."""
import copy
import json
import sys


def key(e):
    return (e["dtype"], e["n"], e["k"], e["group"], e["zeros"], e["m_min"], e["m_max"])


def rows(path):
    with open(path) as f:
        return {(r["N"], r["K"], r["M"], r["dtype"], r["group"], r["zeros"]): r["us"]
                for r in json.load(f)["rows"] if r.get("us") is not None}


def main():
    args = sys.argv[1:]
    min_speedup, out = 1.02, None
    if "--min-speedup" in args:
        i = args.index("--min-speedup")
        min_speedup = float(args[i + 1])
        del args[i:i + 2]
    if "--out" in args:
        i = args.index("--out")
        out = args[i + 1]
        del args[i:i + 2]
    if len(args) != 4 or out is None:
        sys.exit(__doc__)
    with open(args[0]) as f:
        table = json.load(f)
    with open(args[1]) as f:
        edited = json.load(f)
    before, after = rows(args[2]), rows(args[3])
    shipped = {key(e): e for e in table["entries"]}
    result = copy.deepcopy(table)
    by_key = {key(e): e for e in result["entries"]}
    kept = 0
    for e in edited["entries"]:
        k = key(e)
        old = shipped.get(k)
        if old is not None and all(old[f] == e[f] for f in ("path", "config", "split_k")):
            continue
        pts = [(e["n"], e["k"], m, e["dtype"], e["group"], e["zeros"])
               for m in range(e["m_min"], e["m_max"] + 1)]
        ratios = [before[p] / after[p] for p in pts if p in before and p in after]
        ok = bool(ratios) and all(r >= min_speedup for r in ratios)
        was = (old["path"], old["config"], old["split_k"]) if old else None
        print(f"{e['dtype']} {e['n']}x{e['k']} g{e['group']} z{int(e['zeros'])} M {e['m_min']}..{e['m_max']}: "
              f"{was} -> {(e['path'], e['config'], e['split_k'])} "
              f"x{', x'.join(f'{r:.3f}' for r in ratios) or ' (not measured)'}: {'kept' if ok else 'dropped'}")
        if not ok:
            continue
        kept += 1
        if old is not None:
            by_key[k].update({f: e[f] for f in ("path", "config", "split_k", "us")})
        else:
            result["entries"].append(e)
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(f"{kept} edits kept; wrote {out}")


if __name__ == "__main__":
    main()
