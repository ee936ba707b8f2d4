#!/usr/bin/env python3
"""Merges tuning tables saved by `w4a16-bench --save-table` (same device, same library version)
into one file, e.g. the shipped tables/h100.json from the small- and large-shape sweeps:

    merge-tables.py OUT.json [--base SHIPPED.json] IN.json [IN.json ...]

A saved table is the handle's whole table: the shipped table the bench was built with plus what
the run tuned. With --base (that shipped table), an input entry equal to the base's is a copy,
not a measurement, and yields to a measured entry of another input for the same (problem, M
range). Otherwise later inputs win."""
import sys

from tables import entry_key as key, load, same_choice, save


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, ins = sys.argv[1], sys.argv[2:]
    base = {}
    if ins and ins[0] == "--base":
        base = {key(e): e for e in load(ins[1])["entries"]}
        ins = ins[2:]
    merged, measured, head = {}, set(), None
    for path in ins:
        t = load(path)
        if head is None:
            head = {k: v for k, v in t.items() if k != "entries"}
        elif t["device"] != head["device"] or t["library_version"] != head["library_version"]:
            sys.exit(f"{path}: device or library version differs from {ins[0]}")
        for e in t["entries"]:
            k = key(e)
            copied = k in base and same_choice(base[k], e) and base[k]["us"] == e["us"]
            if copied and k in measured:
                continue
            merged[k] = e
            if not copied:
                measured.add(k)
    head["entries"] = [merged[k] for k in sorted(merged, key=lambda k: (k[0], k[1] * k[2], k[1], k[3], k[4], k[5]))]
    save(head, out)
    print(f"{out}: {len(head['entries'])} entries from {len(ins)} tables, {len(measured)} measured by them")


if __name__ == "__main__":
    main()
