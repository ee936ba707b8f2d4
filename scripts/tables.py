"""What the table scripts share (merge-tables.py, oracle-to-table.py, keep-validated-edits.py):
the identity of a tuning-table entry and how a table file is read and written (the format of
src/tune.rs: 2-space JSON, a final newline, so a shipped table diffs cleanly)."""
import json

CHOICE_FIELDS = ("path", "config", "split_k")


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
