#!/usr/bin/env python3
"""force-table.py OUT CONFIG SPLIT MLO MHI [PATH] [--base TABLE] [--all]: a shipped table
(--base, default tables/h100.json) with every fp16 g128 (no zeros) entry whose M bucket lies in
[MLO, MHI] set to (PATH, CONFIG, SPLIT); --all: every scale-only entry (all dtypes and groups).
PATH is tensor_core (default) or gemv. For forced-row experiments: w4a16-bench --load-table OUT
runs that row in those buckets (the table must be the card's own: the bench refuses another's)."""
import argparse
import os

from tables import load, save

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("out")
ap.add_argument("config", type=int)
ap.add_argument("split", type=int)
ap.add_argument("mlo", type=int)
ap.add_argument("mhi", type=int)
ap.add_argument("path", nargs="?", default="tensor_core")
ap.add_argument("--base", default=os.path.join(os.path.dirname(__file__), "..", "tables", "h100.json"))
ap.add_argument("--all", action="store_true", help="every scale-only entry, not only fp16 g128")
args = ap.parse_args()
table = load(args.base)
n = 0
for e in table["entries"]:
    chosen = args.all or (e["dtype"] == "fp16" and e["group"] == 128)
    if chosen and not e["zeros"] and args.mlo <= e["m_min"] and e["m_max"] <= args.mhi:
        e.update(path=args.path, config=args.config, split_k=args.split)
        n += 1
save(table, args.out)
print(args.out, n, "entries")
