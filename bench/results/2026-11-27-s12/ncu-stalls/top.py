import csv, sys, re
f = sys.argv[1]; n = int(sys.argv[2]) if len(sys.argv) > 2 else 30
rows = list(csv.reader(open(f)))
hi = next(i for i, r in enumerate(rows) if r and r[0] == "Address")
h = rows[hi]; idx = {n: i for i, n in enumerate(h)}
data = [r for r in rows[hi+1:] if len(r) == len(h)]
sc = [c for c in h if c.startswith("stall_") and "(Not Issued)" not in c]
tot = sum(int(float(r[idx["Warp Stall Sampling (All Samples)"]] or 0)) for r in data)
top = sorted(data, key=lambda r: -float(r[idx["Warp Stall Sampling (All Samples)"]] or 0))[:n]
for r in top:
    s = float(r[idx["Warp Stall Sampling (All Samples)"]] or 0)
    reasons = sorted(((float(r[idx[c]] or 0), c[6:]) for c in sc), reverse=True)[:2]
    print(f"{r[0]:>6} {100*s/tot:4.1f}% {reasons[0][1]}:{reasons[0][0]:.0f} {reasons[1][1]}:{reasons[1][0]:.0f} | {r[idx['Source']][:90]}")
