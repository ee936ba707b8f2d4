#!/usr/bin/env python3
"""Merges tuning tables saved by `w4a16-bench --save-table` (same device, same library version)
into one file, e.g. the shipped tables/h100.json from the small- and large-shape sweeps:

    merge-tables.py OUT.json [--base SHIPPED.json] IN.json [IN.json ...]

A saved table is the handle's whole table: the shipped table the bench was built with plus what
the run tuned. With --base (that shipped table), an input entry equal to the base's is a copy,
not a measurement, and yields to a measured entry of another input for the same (problem, M
range). Otherwise later inputs win."""
import json
import sys


def key(e):
    return (e["dtype"], e["n"], e["k"], e["group"], e["zeros"], e["m_min"], e["m_max"])


def same_choice(a, b):
    return all(a[f] == b[f] for f in ("path", "config", "split_k", "us"))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, ins = sys.argv[1], sys.argv[2:]
    base = {}
    if ins and ins[0] == "--base":
        with open(ins[1]) as f:
            base = {key(e): e for e in json.load(f)["entries"]}
        ins = ins[2:]
    merged, measured, head = {}, set(), None
    for path in ins:
        with open(path) as f:
            t = json.load(f)
        if head is None:
            head = {k: v for k, v in t.items() if k != "entries"}
        elif t["device"] != head["device"] or t["library_version"] != head["library_version"]:
            sys.exit(f"{path}: device or library version differs from {ins[0]}")
        for e in t["entries"]:
            k = key(e)
            copied = k in base and same_choice(base[k], e)
            if copied and k in measured:
                continue
            merged[k] = e
            if not copied:
                measured.add(k)
    head["entries"] = [merged[k] for k in sorted(merged, key=lambda k: (k[0], k[1] * k[2], k[1], k[3], k[4], k[5]))]
    with open(out, "w") as f:
        json.dump(head, f, indent=2)
        f.write("\n")
    print(f"{out}: {len(head['entries'])} entries from {len(ins)} tables, {len(measured)} measured by them")


if __name__ == "__main__":
    main()
