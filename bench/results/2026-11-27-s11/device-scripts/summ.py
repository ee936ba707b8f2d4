#!/usr/bin/env python3
"""summ.py DIR: per ab-*.txt of DIR, the conservative ratio of each variant column per M (median,
min, max)."""
import glob, os, re, statistics as st, sys
for f in sorted(glob.glob(os.path.join(sys.argv[1], "ab-*.txt"))):
    by = {}
    n = 0
    for l in open(f):
        if not re.match(r"\s*\d+x", l):
            continue
        n += 1
        p = l.split("|"); m = int(p[0].split()[1])
        for i, c in enumerate(p[2:]):
            v = c.split()
            if len(v) == 2:
                by.setdefault((i, m), []).append(float(v[1]))
    print("==", os.path.basename(f), n, "points")
    for (i, m), xs in sorted(by.items()):
        print(f"  col {i} M={m:2d}: median {st.median(xs):.3f} min {min(xs):.3f} max {max(xs):.3f}")
