#!/usr/bin/env python3
"""force-table.py OUT CONFIG SPLIT MLO MHI [PATH] [--base TABLE] [--all] [--fill]: a shipped table
(--base, default tables/h100.json) with every fp16 g128 (no zeros) entry whose M bucket lies in
[MLO, MHI] set to (PATH, CONFIG, SPLIT); --all: every scale-only entry (all dtypes and groups);
--fill: every decode bucket in [MLO, MHI] of every problem on the table's decode shapes (fp16 /
bf16 x group 32 / 64 / 128 x with and without zeros), entries added where the table had none, so
that no problem borrows another's choice.
PATH is tensor_core (default) or gemv. For forced-row experiments: w4a16-bench --load-table OUT
runs that row in those buckets (the table must be the card's own: the bench refuses another's)."""
import argparse
import os

from tables import DECODE_BUCKETS, entry_key, load, save

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("out")
ap.add_argument("config", type=int)
ap.add_argument("split", type=int)
ap.add_argument("mlo", type=int)
ap.add_argument("mhi", type=int)
ap.add_argument("path", nargs="?", default="tensor_core")
ap.add_argument("--base", default=os.path.join(os.path.dirname(__file__), "..", "tables", "h100.json"))
ap.add_argument("--all", action="store_true", help="every scale-only entry, not only fp16 g128")
ap.add_argument("--fill", action="store_true", help="an entry for every decode problem and bucket")
args = ap.parse_args()
table = load(args.base)
n = 0
for e in table["entries"]:
    chosen = args.all or (e["dtype"] == "fp16" and e["group"] == 128)
    if chosen and not e["zeros"] and args.mlo <= e["m_min"] and e["m_max"] <= args.mhi:
        e.update(path=args.path, config=args.config, split_k=args.split)
        n += 1
if args.fill:
    shapes = sorted({(e["n"], e["k"]) for e in table["entries"] if e["m_max"] <= 16})
    by_key = {entry_key(e): e for e in table["entries"]}
    for n_, k_ in shapes:
        for dtype in ("fp16", "bf16"):
            for group in (32, 64, 128):
                for zeros in (False, True):
                    for lo, hi in DECODE_BUCKETS:
                        if not (args.mlo <= lo and hi <= args.mhi):
                            continue
                        forced = dict(path=args.path, config=args.config, split_k=args.split)
                        entry = by_key.get((dtype, n_, k_, group, zeros, lo, hi))
                        if entry is None:
                            table["entries"].append(dict(dtype=dtype, n=n_, k=k_, group=group, zeros=zeros,
                                                         m_min=lo, m_max=hi, **forced, us=0.0))
                        else:
                            entry.update(forced)
                        n += 1
save(table, args.out)
print(args.out, n, "entries")
