#!/usr/bin/env python3
"""Reads `cargo test --no-run --message-format=json` on stdin; prints "name path" per test binary."""
import json
import sys

for line in sys.stdin:
    try:
        msg = json.loads(line)
    except json.JSONDecodeError:
        continue
    if msg.get("reason") == "compiler-artifact" and msg.get("executable") and msg["profile"]["test"]:
        kind = msg["target"]["kind"][0]
        name = msg["target"]["name"] if kind == "test" else "unit"
        print(name, msg["executable"])
