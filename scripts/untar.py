#!/usr/bin/env python3
"""Extracts a .tar.xz / .tar.gz bundle with Python's standard library, for GPU machines that have
python3 but no xz binary: untar.py ARCHIVE DEST"""
import sys
import tarfile

if len(sys.argv) != 3:
    sys.exit("usage: untar.py ARCHIVE DEST")
with tarfile.open(sys.argv[1], "r:*") as t:
    t.extractall(sys.argv[2], filter="tar") if hasattr(tarfile, "data_filter") else t.extractall(sys.argv[2])
