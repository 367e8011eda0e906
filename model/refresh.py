#!/usr/bin/env python3
"""Refresh model/partnercentral-selling.json from a pinned botocore release.

The service model is data: the server validates every request against it and
shapes every response from it. This script downloads the pinned botocore wheel
from PyPI, takes the partnercentral-selling service model out of it, drops the
documentation text (the server never needs it) and writes compact JSON with
sorted keys so that a refresh shows as a readable diff.

Usage: python3 model/refresh.py [--version 1.44.8]
"""
import argparse
import gzip
import json
import pathlib
import subprocess
import sys
import tempfile
import zipfile

PINNED_BOTOCORE = "1.44.8"
MEMBER = "botocore/data/partnercentral-selling/2022-07-26/service-2.json.gz"
DROP_KEYS = {"documentation", "documentationUrl"}
OUT = pathlib.Path(__file__).resolve().parent / "partnercentral-selling.json"


def strip_docs(node):
    if isinstance(node, dict):
        return {k: strip_docs(v) for k, v in node.items() if k not in DROP_KEYS}
    if isinstance(node, list):
        return [strip_docs(v) for v in node]
    return node


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=PINNED_BOTOCORE)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", "-d", tmp, f"botocore=={args.version}"],
            check=True,
        )
        wheel = next(pathlib.Path(tmp).glob("botocore-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            model = json.loads(gzip.decompress(zf.read(MEMBER)))
    model = strip_docs(model)
    model["metadata"]["x-botocore-version"] = args.version
    OUT.write_text(json.dumps(model, sort_keys=True, indent=1) + "\n")
    print(f"wrote {OUT} ({len(model['operations'])} operations, botocore {args.version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
