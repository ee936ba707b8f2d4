# Per SASS instruction of one kernel: ncu's stall samples (SourceCounters CSV) joined with the
# control bits decoded from cuobjdump: how many samples sit on instructions whose wait mask
# includes the scoreboard the k loop's weight loads (LDG.E.NA.128) write.
import csv, re, sys, collections
sass_file, csv_file, mangled = sys.argv[1], sys.argv[2], sys.argv[3]
txt = open(sass_file).read()
parts = re.split(r'\n\s*Function : ', txt)
body = next(p for p in parts[1:] if p.split('\n', 1)[0].strip() == mangled)
lines = body.splitlines()
ctrl = {}
ins = {}
i = 0
while i < len(lines) - 1:
    m = re.match(r'\s*/\*([0-9a-f]{4,})\*/\s+(.*?);\s*/\* (0x[0-9a-f]+) \*/', lines[i])
    if m:
        hi = int(re.search(r'/\* (0x[0-9a-f]+) \*/', lines[i + 1]).group(1), 16)
        c = hi >> 41
        ctrl[int(m.group(1), 16)] = (c & 0xf, (c >> 5) & 7, (c >> 8) & 7, (c >> 11) & 0x3f)
        ins[int(m.group(1), 16)] = m.group(2)
        i += 2
    else:
        i += 1
wsb = collections.Counter(ctrl[a][1] for a in ctrl if 'LDG.E.NA.128' in ins[a])
sb = wsb.most_common(1)[0][0]
rows = list(csv.reader(open(csv_file)))
hi = next(i for i, r in enumerate(rows) if r and r[0] == 'Address')
h = rows[hi]; idx = {n: k for k, n in enumerate(h)}
data = [r for r in rows[hi + 1:] if len(r) == len(h)]
base = int(data[0][0], 16)  # absolute load address of the function's first instruction
for r in data:
    r[0] = '%x' % (int(r[0], 16) - base)
# check the join: the CSV's opcodes must match cuobjdump's at the same offsets
bad = sum(1 for r in data if int(r[0], 16) in ins and r[1].split()[0].lstrip('@!P0123456789T') and
          r[1].strip().split(' ')[-1] and ins[int(r[0], 16)].split()[0] != r[1].strip().split()[0])
tot = 0; drain = 0; drain_lsb = 0; lsb = 0; top = []
for r in data:
    a = int(r[0], 16)
    s = float(r[idx['Warp Stall Sampling (All Samples)']] or 0)
    l = float(r[idx['stall_long_sb']] or 0)
    tot += s; lsb += l
    if a in ctrl and (ctrl[a][3] >> sb) & 1 and 'LDG' not in ins[a]:
        drain += s; drain_lsb += l; top.append((s, a, ins[a][:50]))
print(f"join mismatches {bad}; "
      f"{csv_file.split('/')[-1]}: weight loads write SB{sb} ({dict(wsb)}); samples {tot:.0f}, long_sb {100*lsb/tot:.1f}%;"
      f" on instructions waiting on SB{sb}: {100*drain/tot:.1f}% of all samples ({100*drain_lsb/tot:.1f}% long_sb), {len(top)} such instructions")
for s, a, t in sorted(top, reverse=True)[:6]:
    print(f"   {a:05x} {100*s/tot:5.1f}%  {t}")
