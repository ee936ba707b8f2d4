#!/usr/bin/env python3
"""Where a kernel's warps stall, from an ncu source page with PC sampling:

    ncu-stalls.py SASS_CSV [--chunk BYTES] [--top N]

SASS_CSV is `ncu -i REPORT --page source --csv --print-source sass` of a report collected with
`--section WarpStateStats --section SourceCounters` (bench/results/2026-11-28-s22/device-scripts/
s22run1.sh). Prints the kernel's stall samples by reason, then per code chunk of BYTES (default
0x400, from the function's first instruction) holding at least 1% of the samples: instructions,
executions, samples and the top N reasons. A reason that crowds one chunk points at code there
(for example instruction fetch where code runs for the first time in a launch).
"""
import collections
import csv
import sys


def number(text):
    try:
        return float(text)
    except ValueError:
        return 0.0


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit(__doc__)
    path = args[0]
    chunk = int(args[args.index("--chunk") + 1], 0) if "--chunk" in args else 0x400
    top = int(args[args.index("--top") + 1]) if "--top" in args else 4
    rows = list(csv.reader(open(path, newline="")))
    # Row 0 names the kernel, row 1 holds the column names.
    header, data = rows[1], [r for r in rows[2:] if r and r[0].startswith("0x")]
    if not data:
        sys.exit(f"{path}: no SASS rows")
    col = {name: i for i, name in enumerate(header)}
    reasons = [h for h in header if h.startswith("stall_") and not h.endswith("(Not Issued)")]
    base = int(data[0][0], 16)
    total = collections.Counter()
    chunks = collections.OrderedDict()
    for r in data:
        c = chunks.setdefault((int(r[0], 16) - base) // chunk, collections.Counter())
        c["instructions"] += 1
        c["executed"] += number(r[col["Instructions Executed"]])
        for h in reasons:
            v = number(r[col[h]])
            c[h] += v
            total[h] += v
    samples = sum(total.values())
    print(f"{rows[0][1] if len(rows[0]) > 1 else path}: {samples:.0f} stall samples")
    for h, v in total.most_common():
        if v > 0:
            print(f"  {h[6:]:20s} {v:8.0f} {100 * v / samples:5.1f}%")
    print(f"chunks of {chunk:#x} bytes with >= 1% of the samples:")
    for i, c in chunks.items():
        s = sum(c[h] for h in reasons)
        if s < 0.01 * samples:
            continue
        best = sorted(((c[h], h) for h in reasons), reverse=True)[:top]
        print(f"  {i * chunk:#07x} {c['instructions']:4d} instr, executed {c['executed']:10.0f}, "
              f"{s:6.0f} samples ({100 * s / samples:4.1f}%): "
              + " ".join(f"{h[6:]}={v:.0f}" for v, h in best if v > 0))


if __name__ == "__main__":
    main()
