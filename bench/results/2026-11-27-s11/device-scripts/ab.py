#!/usr/bin/env python3
"""ab.py DIR BASE VAR1 [VAR2 ...]: per point, base = min over BASE-r*.json, var = max over VAR-r*.json;
conservative ratio base/var; prints per-variant best."""
import json, glob, sys, collections
d=sys.argv[1]; names=sys.argv[2:]
def load(name):
    runs=[json.load(open(f))['rows'] for f in sorted(glob.glob(f"{d}/{name}-r*.json"))]
    pts=collections.defaultdict(list); info={}
    for rows in runs:
        for r in rows:
            if r.get('us') is None: continue
            k=(r['N'],r['K'],r['M'],r['dtype'],r['group'],r['zeros'])
            pts[k].append(r['us']); info[k]=r
    return pts, info
base, binfo = load(names[0])
vs=[load(n) for n in names[1:]]
print(f"{'shape':>12} {'M':>3} {'dt':>4} {'g':>3} | base cfg        base_us  %fl | " + " | ".join(f"{n:>8} ratio" for n in names[1:]))
for k in sorted(base):
    b=min(base[k]); bi=binfo[k]
    cells=[]
    for (p,inf) in vs:
        if k in p:
            v=max(p[k]); cells.append(f"{v:8.2f} {b/v:5.3f}")
        else: cells.append(" "*14)
    print(f"{k[0]:>5}x{k[1]:<6} {k[2]:>3} {k[3]:>4} {k[4]:>3} | {bi['config'].replace('gemv.v2.',''):14s} {b:7.2f} {100*bi['floor_us']/b:4.0f} | " + " | ".join(cells))
