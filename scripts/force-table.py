#!/usr/bin/env python3
"""force-table.py OUT CONFIG SPLIT MLO MHI [PATH]: the shipped H100 table (tables/h100.json) with
every fp16 g128 (no zeros) entry whose M bucket lies in [MLO, MHI] set to (PATH, CONFIG, SPLIT);
PATH is tensor_core (default) or gemv. For forced-row experiments: w4a16-bench --load-table OUT
runs that row in those buckets."""
import os
import sys

from tables import load, save

out, cfg, split, lo, hi = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
path = sys.argv[6] if len(sys.argv) > 6 else "tensor_core"
table = load(os.path.join(os.path.dirname(__file__), "..", "tables", "h100.json"))
n = 0
for e in table["entries"]:
    if e["dtype"] == "fp16" and e["group"] == 128 and not e["zeros"] and e["m_min"] >= lo and e["m_max"] <= hi:
        e.update(path=path, config=cfg, split_k=split)
        n += 1
save(table, out)
print(out, n, "entries")
