#!/usr/bin/env python3
"""force-table.py OUT CONFIG SPLIT MLO MHI [PATH] [--base TABLE] [--all]: a shipped table
(--base, default tables/h100.json) with every fp16 g128 (no zeros) entry whose M bucket lies in
[MLO, MHI] set to (PATH, CONFIG, SPLIT); --all: every scale-only entry (all dtypes and groups).
PATH is tensor_core (default) or gemv. For forced-row experiments: w4a16-bench --load-table OUT
runs that row in those buckets (the table must be the card's own: the bench refuses another's)."""
import os
import sys

from tables import load, save

args = sys.argv[1:]
base = os.path.join(os.path.dirname(__file__), "..", "tables", "h100.json")
if "--base" in args:
    i = args.index("--base")
    base = args[i + 1]
    del args[i : i + 2]
every = "--all" in args
args = [a for a in args if a != "--all"]
out, cfg, split, lo, hi = args[0], int(args[1]), int(args[2]), int(args[3]), int(args[4])
path = args[5] if len(args) > 5 else "tensor_core"
table = load(base)
n = 0
for e in table["entries"]:
    chosen = every or (e["dtype"] == "fp16" and e["group"] == 128)
    if chosen and not e["zeros"] and e["m_min"] >= lo and e["m_max"] <= hi:
        e.update(path=path, config=cfg, split_k=split)
        n += 1
save(table, out)
print(out, n, "entries")
