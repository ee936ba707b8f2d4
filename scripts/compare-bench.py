#!/usr/bin/env python3
"""Compares two w4a16-bench JSON results point by point (same card, same run or same warm
machine): prints base µs, new µs, base/new, and the new run's × cuBLAS and % of floor.

    compare-bench.py BASE.json NEW.json [--md OUT.md]
"""
import json
import sys


def rows(path):
    with open(path) as f:
        d = json.load(f)
    return d, {(r["N"], r["K"], r["M"], r["dtype"], r["group"], r["zeros"]): r for r in d["rows"]}


def main():
    args = sys.argv[1:]
    md = None
    if "--md" in args:
        i = args.index("--md")
        md = args[i + 1]
        del args[i : i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    (dbase, base), (dnew, new) = rows(args[0]), rows(args[1])
    out = [
        f"base: {args[0]} ({dbase.get('gpu')}, {dbase.get('date')}); new: {args[1]} ({dnew.get('gpu')}, {dnew.get('date')})",
        "",
        "| N×K | M | dtype | g | base config | base µs | new config | new µs | base/new | new × cuBLAS | new % floor |",
        "|---|---:|---|---:|---|---:|---|---:|---:|---:|---:|",
    ]
    for key in sorted(new, key=lambda t: (t[0] * t[1], t[0], t[3], t[4], t[2])):
        n, k, m, dt, g, z = key
        r, b = new[key], base.get(key, {})
        u, ub = r.get("us"), b.get("us")
        ratio = f"{ub / u:.3f}" if u and ub else "-"
        xc = f"{r['cublas_us'] / u:.2f}" if u and r.get("cublas_us") else "-"
        fl = f"{100 * r['frac_floor']:.0f}%" if r.get("frac_floor") else "-"
        fmt = lambda v: f"{v:.1f}" if isinstance(v, (int, float)) else "-"
        out.append(f"| {n}x{k} | {m} | {dt} | {g}{'+z' if z else ''} | {b.get('config', '-')} | {fmt(ub)} | {r.get('config')} | {fmt(u)} | {ratio} | {xc} | {fl} |")
    text = "\n".join(out) + "\n"
    print(text)
    if md:
        with open(md, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
