"""What the table scripts share (merge-tables.py, oracle-to-table.py, keep-validated-edits.py,
choose-buckets.py, pin-borrowers.py, force-table.py, ab-compare.py, drop-unmeasured-buckets.py):
the identity of a tuning-table entry, the tuner's decode buckets, how a table file is read and
written (the format of src/tune.rs: 2-space JSON, a final newline, so a shipped table diffs
cleanly) and how one device call's interleaved bench runs are read."""
import collections
import glob
import json
import os

CHOICE_FIELDS = ("path", "config", "split_k")
DECODE_BUCKETS = [(1, 1), (2, 2), (3, 4), (5, 8), (9, 16)]  # src/tune.rs decode buckets


def problem(e):
    """(dtype, n, k, group, zeros) of a table entry."""
    return (e["dtype"], e["n"], e["k"], e["group"], e["zeros"])


def entry_key(e):
    """The problem and M bucket of a table entry: what two entries must share to be the same."""
    return problem(e) + (e["m_min"], e["m_max"])


def same_choice(a, b):
    """Whether two entries pick the same configuration."""
    return all(a[f] == b[f] for f in CHOICE_FIELDS)


def load(path):
    with open(path) as f:
        return json.load(f)


def save(table, path):
    with open(path, "w") as f:
        json.dump(table, f, indent=2)
        f.write("\n")


def bench_runs(directory, name):
    """The `w4a16-bench --json` runs DIRECTORY/NAME-r1.json, NAME-r2.json, ... of one device call:
    (N, K, M, dtype, group, zeros) -> [µs of each run], and -> that point's row (of the last run)."""
    times, rows = collections.defaultdict(list), {}
    files = sorted(glob.glob(os.path.join(directory, f"{name}-r*.json")))
    if not files:
        raise SystemExit(f"no runs {name}-r*.json in {directory}")
    for path in files:
        with open(path) as f:
            for r in json.load(f)["rows"]:
                if r.get("us") is None:
                    continue
                key = (r["N"], r["K"], r["M"], r["dtype"], r["group"], r["zeros"])
                times[key].append(r["us"])
                rows[key] = r
    return times, rows
