#!/usr/bin/env python3
"""zedits.py RUNDIR TABLE OUT: per zeros bucket, choose among Znew (baseline), Zold's choice, F4, F5."""
import json, glob, sys, collections, re, copy
sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__file__), "../../../../scripts"))
from tables import load, save
R, TB, OUT = sys.argv[1:4]
def runs(name):
    d = collections.defaultdict(list); cfg = {}
    for f in sorted(glob.glob(f"{R}/{name}-r*.json")):
        for r in json.load(open(f))["rows"]:
            if r.get("us") is None: continue
            k = (r["N"], r["K"], r["M"], r["dtype"], r["group"])
            d[k].append(r["us"]); cfg[k] = r["config"]
    return d, cfg
zold, cold = runs("Zold"); znew, cnew = runs("Znew"); f4, c4 = runs("F4"); f5, c5 = runs("F5")
def parse(name):
    m = re.match(r"gemv\.v\d+\.cfg(\d+)\.splitk(\d+)$", name)
    if m: return ("gemv", int(m[1]), int(m[2]))
    m = re.match(r"tc\.v\d+\.(?:sm90\.)?cfg(\d+)\.splitk(\d+)", name)
    return None
BUCKETS = [(1, 1), (2, 2), (3, 4), (5, 8), (9, 16)]
t = load(TB)
edits = []
shapes = sorted({(k[0], k[1]) for k in znew})
for (n, kk) in shapes:
    for dt in ("fp16", "bf16"):
        for g in (128, 64, 32):
            for lo, hi in BUCKETS:
                ms = [m for m in (1, 2, 4, 5, 8, 12, 16) if lo <= m <= hi]
                keys = [(n, kk, m, dt, g) for m in ms if (n, kk, m, dt, g) in znew]
                if not keys: continue
                alts = {}
                for name, d, c in (("old", zold, cold), ("c4", f4, c4), ("c5", f5, c5)):
                    if all(k in d for k in keys):
                        ch = {c[k] for k in keys}
                        if len(ch) == 1 and ch != {cnew[keys[0]]}:
                            alts[name] = (ch.pop(), [min(znew[k]) / max(d[k]) for k in keys])
                good = {a: v for a, v in alts.items() if min(v[1]) >= 1.02}
                base = cnew[keys[0]]
                if good:
                    best = max(good, key=lambda a: sum(good[a][1]))
                    cfgname, ratios = good[best]
                    edits.append((n, kk, dt, g, lo, hi, base, best, cfgname, ratios))
for e in edits:
    print(f"{e[2]} {e[0]}x{e[1]} g{e[3]} zeros M {e[4]}..{e[5]}: {e[6]} -> {e[8]} ({e[7]}) x{min(e[9]):.3f}-{max(e[9]):.3f}")
# apply: a zeros entry per edited bucket (replacing an existing one of the same bucket)
for (n, kk, dt, g, lo, hi, base, best, cfgname, ratios) in edits:
    p = parse(cfgname)
    if p is None: print("skip (not gemv):", cfgname); continue
    t["entries"] = [e for e in t["entries"] if not (e["dtype"] == dt and e["n"] == n and e["k"] == kk and e["group"] == g and e["zeros"] and e["m_min"] == lo and e["m_max"] == hi)]
    us = max(max((f4 if best == "c4" else f5 if best == "c5" else zold)[(n, kk, m, dt, g)]) for m in (1, 2, 4, 5, 8, 12, 16) if lo <= m <= hi and (n, kk, m, dt, g) in znew)
    t["entries"].append(dict(dtype=dt, n=n, k=kk, group=g, zeros=True, m_min=lo, m_max=hi, path=p[0], config=p[1], split_k=p[2], us=round(us, 3)))
save(t, OUT)
print(len(edits), "edits; wrote", OUT)
