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
import argparse
import copy
import json

from tables import CHOICE_FIELDS, entry_key, load, same_choice, save


def rows(path):
    with open(path) as f:
        return {(r["N"], r["K"], r["M"], r["dtype"], r["group"], r["zeros"]): r["us"]
                for r in json.load(f)["rows"] if r.get("us") is not None}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("table", help="the shipped table (TABLE.json)")
    ap.add_argument("edited", help="the table after oracle-to-table.py (EDITED.json)")
    ap.add_argument("before", help="bench --json run with the shipped table")
    ap.add_argument("after", help="bench --json run with --load-table EDITED.json")
    ap.add_argument("--min-speedup", type=float, default=1.02)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    table, edited = load(args.table), load(args.edited)
    before, after = rows(args.before), rows(args.after)
    shipped = {entry_key(e): e for e in table["entries"]}
    result = copy.deepcopy(table)
    by_key = {entry_key(e): e for e in result["entries"]}
    kept = 0
    for e in edited["entries"]:
        k = entry_key(e)
        old = shipped.get(k)
        if old is not None and same_choice(old, e):
            continue
        pts = [(e["n"], e["k"], m, e["dtype"], e["group"], e["zeros"])
               for m in range(e["m_min"], e["m_max"] + 1)]
        ratios = [before[p] / after[p] for p in pts if p in before and p in after]
        ok = bool(ratios) and all(r >= args.min_speedup for r in ratios)
        was = tuple(old[f] for f in CHOICE_FIELDS) if old else None
        print(f"{e['dtype']} {e['n']}x{e['k']} g{e['group']} z{int(e['zeros'])} M {e['m_min']}..{e['m_max']}: "
              f"{was} -> {tuple(e[f] for f in CHOICE_FIELDS)} "
              f"x{', x'.join(f'{r:.3f}' for r in ratios) or ' (not measured)'}: {'kept' if ok else 'dropped'}")
        if not ok:
            continue
        kept += 1
        if old is not None:
            by_key[k].update({f: e[f] for f in CHOICE_FIELDS + ("us",)})
        else:
            result["entries"].append(e)
    save(result, args.out)
    print(f"{kept} edits kept; wrote {args.out}")

if __name__ == "__main__":
    main()
