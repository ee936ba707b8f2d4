import csv, sys, collections, re
f = sys.argv[1]
rows = list(csv.reader(open(f)))
# find header row
hi = next(i for i, r in enumerate(rows) if r and r[0] == "Address")
h = rows[hi]; data = [r for r in rows[hi+1:] if len(r) == len(h) and r[0].startswith("0x") or (len(r)==len(h) and re.match(r'^[0-9a-f]+$', r[0] or ''))]
idx = {n: i for i, n in enumerate(h)}
stall_cols = [n for n in h if n.startswith("stall_") and "(Not Issued)" not in n]
tot = collections.Counter(); byop = collections.defaultdict(collections.Counter)
samples = 0
for r in data:
    src = r[idx["Source"]].strip()
    op = re.sub(r'^@!?U?P\w+\s+', '', src).split(' ')[0]
    s = int(float(r[idx["Warp Stall Sampling (All Samples)"]] or 0)); samples += s
    for c in stall_cols:
        v = float(r[idx[c]] or 0)
        if v:
            tot[c] += v; byop[c][op.split('.')[0] if not op.startswith('HMMA') else 'HMMA'] += v
print(f, "rows", len(data), "samples", samples)
T = sum(tot.values())
for c, v in tot.most_common(10):
    print(f"  {c:24s} {100*v/T:5.1f}%   top ops: " + ", ".join(f"{o} {100*x/v:.0f}%" for o, x in byop[c].most_common(5)))
