#!/usr/bin/env python3
"""Keeps a table edit from moving the problems that borrow choices (decode buckets, M = 1..16):

    pin-borrowers.py SHIPPED.json EDITED.json --out OUT.json [--before B.json --after A.json]

EDITED.json is SHIPPED.json with validated edits (keep-validated-edits.py). A problem without an
entry of its own borrows the choice of the same N x K and M with another dtype, group or zero mode
(src/tune.rs, Table::lookup_similar), so an edit also moves every problem that borrowed the edited
entry, unmeasured (session 8 measured such moves at 0.73-0.98x). For every problem of the edited
shapes (fp16/bf16 x group 32/64/128 x zeros or not) whose effective choice differs from SHIPPED's
and that was not edited itself, an entry carrying SHIPPED's effective choice is added, until
nothing moves. A borrower's new choice is kept instead
when --before (bench --json with SHIPPED) and --after (bench --json runs, one or more, where that
point ran the new choice) show it --min-speedup times faster at every measured M of its bucket.
"""
import argparse
import copy
import json

from tables import DECODE_BUCKETS, entry_key, load, problem, save, CHOICE_FIELDS

SM90_FIRST_CONFIG = 16


def supported(e, group):
    """Choice::supported_for, as far as the decode buckets need it (every GEMV configuration runs
    with and without zeros since session 10; configs 4 and 5 were scale-only before)."""
    if e["path"] == "tensor_core" and e["config"] >= SM90_FIRST_CONFIG and group == 32:
        return False
    return True


def effective(table, n, k, dtype, group, zeros, m):
    """(choice, entry) that the library uses for this problem at M; (None, None): heuristic."""
    here = [e for e in table["entries"] if e["n"] == n and e["k"] == k and e["m_min"] <= m <= e["m_max"]]
    for e in here:
        if problem(e) == (dtype, n, k, group, zeros):
            return tuple(e[f] for f in CHOICE_FIELDS), e
    ranked = []
    for e in here:
        if not supported(e, group):
            continue
        pref = {(True, True): 0, (False, True): 1, (True, False): 2, (False, False): 3}[
            (e["dtype"] == dtype, e["group"] == group)]
        ranked.append(((pref, {"fp16": 0, "bf16": 1}[e["dtype"]], e["group"], e["zeros"]), e))
    if not ranked:
        return None, None
    e = min(ranked, key=lambda r: r[0])[1]
    return tuple(e[f] for f in CHOICE_FIELDS), e


def bench_rows(path):
    with open(path) as f:
        rows = json.load(f)["rows"]
    return {(r["N"], r["K"], r["M"], r["dtype"], r["group"], r["zeros"]): r for r in rows}


def config_name(choice):
    path, config, split = choice
    return f"gemv.v2.cfg{config}.splitk{split}" if path == "gemv" else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("shipped")
    ap.add_argument("edited")
    ap.add_argument("--out", required=True)
    ap.add_argument("--before")
    ap.add_argument("--after", nargs="+", default=[])
    ap.add_argument("--min-speedup", type=float, default=1.02)
    args = ap.parse_args()
    shipped, edited = load(args.shipped), load(args.edited)
    before = bench_rows(args.before) if args.before else {}
    after = {}  # (point) -> {config name: row}
    for path in args.after:
        for key, row in bench_rows(path).items():
            after.setdefault(key, {})[row["config"]] = row
    shipped_keys = {entry_key(e): e for e in shipped["entries"]}
    edits = {entry_key(e) for e in edited["entries"]
             if entry_key(e) not in shipped_keys or shipped_keys[entry_key(e)] != e}

    def measured_faster(key, lo, hi, choice):
        n, k, dtype, group, zeros = key
        ms = [m for m in range(lo, hi + 1) if (n, k, m, dtype, group, zeros) in before]
        if not ms:
            return False
        for m in ms:
            b = before[(n, k, m, dtype, group, zeros)]
            a = after.get((n, k, m, dtype, group, zeros), {}).get(config_name(choice))
            if a is None or b["us"] / a["us"] < args.min_speedup:
                return False
        print(f"keep   {dtype} {n}x{k} g{group} zeros={zeros} M {lo}..{hi}: borrows {choice}, "
              f"measured at M {ms}")
        return True

    table = copy.deepcopy(edited)
    shapes = sorted({(e["n"], e["k"]) for e in edited["entries"]})
    while True:
        added = 0
        for n, k in shapes:
            for dtype in ("fp16", "bf16"):
                for group in (32, 64, 128):
                    for zeros in (False, True):
                        for lo, hi in DECODE_BUCKETS:
                            if (dtype, n, k, group, zeros, lo, hi) in edits:
                                continue
                            for m in range(lo, hi + 1):
                                old, src = effective(shipped, n, k, dtype, group, zeros, m)
                                new, _ = effective(table, n, k, dtype, group, zeros, m)
                                if old == new:
                                    continue
                                if new is not None and measured_faster((n, k, dtype, group, zeros), lo, hi, new):
                                    break
                                if old is None:
                                    print(f"NOTE   {dtype} {n}x{k} g{group} zeros={zeros} M {m}: the shipped "
                                          f"table left it to the heuristic; now {new} (not pinned)")
                                    break
                                print(f"pin    {dtype} {n}x{k} g{group} zeros={zeros} M {lo}..{hi}: {old} "
                                      f"(would be {new})")
                                pinned = dict(src, dtype=dtype, group=group, zeros=zeros, m_min=lo, m_max=hi)
                                table["entries"].append(pinned)
                                added += 1
                                break
        if added == 0:
            break
    save(table, args.out)
    print(f"{len(table['entries']) - len(edited['entries'])} entries pinned; wrote {args.out}")


if __name__ == "__main__":
    main()
