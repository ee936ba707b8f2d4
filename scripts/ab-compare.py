#!/usr/bin/env python3
"""Compares interleaved A/B runs of w4a16-bench point by point, conservatively:

    ab-compare.py DIR BASE VARIANT [VARIANT ...] [--summary]

DIR holds `w4a16-bench --json` runs named NAME-r1.json, NAME-r2.json, ... of one device call (the
runs of each name interleaved with the others'). Per point (N x K, M, dtype, group, zeros) the
ratio is BASE's fastest run over the VARIANT's slowest (min base / max variant): above 1 only where
every run of the variant beat every run of the base. Prints one row per point (base config, µs and
% of the floor, then each variant's µs and ratio); --summary prints instead, per variant and M, the
median, lowest and highest ratio over the points.
"""
import collections
import statistics
import sys

from tables import bench_runs


def main():
    args = [a for a in sys.argv[1:] if a != "--summary"]
    if len(args) < 3:
        sys.exit(__doc__)
    directory, names = args[0], args[1:]
    base, binfo = bench_runs(directory, names[0])
    variants = [bench_runs(directory, n)[0] for n in names[1:]]
    if "--summary" in sys.argv:
        for name, var in zip(names[1:], variants):
            by_m = collections.defaultdict(list)
            for key, ts in var.items():
                if key in base:
                    by_m[key[2]].append(min(base[key]) / max(ts))
            print(f"{name} / {names[0]}: {sum(len(v) for v in by_m.values())} points")
            for m, rs in sorted(by_m.items()):
                print(f"  M={m:2d}: median {statistics.median(rs):.3f} min {min(rs):.3f} max {max(rs):.3f}")
        return
    print(f"{'shape':>12} {'M':>3} {'dt':>4} {'g':>3} | base cfg        base_us  %fl | "
          + " | ".join(f"{n:>8} ratio" for n in names[1:]))
    for key in sorted(base):
        b = min(base[key])
        r = binfo[key]
        cells = [f"{max(v[key]):8.2f} {b / max(v[key]):5.3f}" if key in v else " " * 14 for v in variants]
        zeros = "z" if key[5] else ""
        print(f"{key[0]:>5}x{key[1]:<6} {key[2]:>3} {key[3]:>4} {key[4]:>3}{zeros} | "
              f"{r['config'].replace('gemv.v2.', ''):14s} {b:7.2f} {100 * r['floor_us'] / b:4.0f} | "
              + " | ".join(cells))


if __name__ == "__main__":
    main()
