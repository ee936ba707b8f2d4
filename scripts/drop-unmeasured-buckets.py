#!/usr/bin/env python3
"""Reverts a candidate table's edits in buckets whose M range starts below the pass's smallest M.

A table pass over some Ms (device-table-pass.sh with MS=...) decides a bucket from the Ms it
measured; a bucket that also holds smaller, unmeasured Ms (the M = 3..4 bucket of a pass from
M = 4) would take the choice for M values never run. This keeps the base table's entry there
(or drops a new one).

  drop-unmeasured-buckets.py BASE.json CAND.json MIN_M OUT.json
"""
import sys

from tables import entry_key, load, save


def main():
    base_path, cand_path, min_m, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    base, cand = load(base_path), load(cand_path)
    by_key = {entry_key(e): e for e in base["entries"]}
    out, reverted = [], 0
    for e in cand["entries"]:
        k = entry_key(e)
        if e["m_min"] < min_m and by_key.get(k) != e:
            reverted += 1
            if k in by_key:
                out.append(by_key[k])
            continue
        out.append(e)
    cand["entries"] = out
    save(cand, out_path)
    print(f"{reverted} edit(s) in buckets starting below M = {min_m} reverted; wrote {out_path}")


if __name__ == "__main__":
    main()
