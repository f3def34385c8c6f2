#!/usr/bin/env python3
"""Verify a letter's public record from its downloads alone (standard library only).

Download, from the letter's "Public record" page:
  record.json                      the manifest: each day's digest
  record/<day>.csv                 each day's additions and removals
  signatories.csv                  the current public list (optional)

    python3 tools/verify_record.py record.json record/ [signatories.csv]

It recomputes every day's SHA-256 and the chain, replays the additions and removals, and,
given the current list, reports any id the record still holds that the list has dropped
(a silent removal) or any listed id the record never added. Exit status 0 means verified.
"""

import csv
import hashlib
import json
import sys
from datetime import date
from pathlib import Path


def chain_digest(previous_digest, day, content_sha256):
    return hashlib.sha256(f"{previous_digest}\n{day}\n{content_sha256}\n".encode()).hexdigest()


def verify(manifest_path, snapshot_dir, current_csv=None):
    """A list of problems; empty when the record verifies."""
    manifest = json.loads(Path(manifest_path).read_text())
    problems, listed = [], set()
    previous = manifest["genesis"]
    for entry in manifest["snapshots"]:
        day = date.fromisoformat(entry["day"]).isoformat()
        path = Path(snapshot_dir) / f"{day}.csv"
        if not path.exists():
            problems.append(f"{day}: the snapshot file {path} is missing")
            break
        content = path.read_bytes()
        content_sha256 = hashlib.sha256(content).hexdigest()
        if content_sha256 != entry["content_sha256"]:
            recorded = entry["content_sha256"]
            problems.append(
                f"{day}: the file's SHA-256 is {content_sha256}, the record says {recorded}"
            )
        if entry["previous_digest"] != previous:
            chained = entry["previous_digest"]
            problems.append(f"{day}: chained to {chained}, but the day before ends in {previous}")
        digest = chain_digest(previous, day, content_sha256)
        if digest != entry["digest"]:
            problems.append(
                f"{day}: the digest should be {digest}, the record says {entry['digest']}"
            )
        for row in csv.DictReader(content.decode().splitlines()):
            if row["op"] == "+":
                listed.add(row["id"])
            elif row["op"] == "-":
                listed.discard(row["id"])
        if len(listed) != entry["total"]:
            problems.append(
                f"{day}: replaying gives {len(listed)} rows, the record says {entry['total']}"
            )
        previous = entry["digest"]
    if current_csv is not None and not problems:
        with open(current_csv, newline="") as handle:
            current = {row["id"] for row in csv.DictReader(handle)}
        for missing in sorted(listed - current):
            problems.append(
                f"{missing}: in the record, but missing from the current list "
                "with no removal recorded"
            )
        for extra in sorted(current - listed):
            problems.append(
                f"{extra}: in the current list, but not yet in the record "
                "(added since the last snapshot?)"
            )
    return problems


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__)
        return 2
    problems = verify(*argv[1:])
    for problem in problems:
        print("BROKEN", problem)
    if not problems:
        print(
            "verified: the chain is intact"
            + (" and the current list matches it" if len(argv) == 4 else "")
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
