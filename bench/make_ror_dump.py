"""Write a full-size ROR dump (schema v2) built from the real sample records, with fresh ids.

No real dump can be downloaded here, so `import_ror` is measured on this instead:

    uv run python bench/make_ror_dump.py --count 120000 --out /tmp/ror-120k.json
    /usr/bin/time -v uv run manage.py import_ror /tmp/ror-120k.json

Each record is a sample record with a new ROR-shaped id, a numbered name and aliases, and a
website on a domain of its own, so names and domains stay unique as in the real registry.
"""

import argparse
import copy
import json
import random
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "ror-sample-v2.json"
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def fresh_id(rng, seen):
    while True:
        ror_id = "0" + "".join(rng.choice(ALPHABET) for _ in range(6)) + f"{rng.randrange(100):02d}"
        if ror_id not in seen:
            seen.add(ror_id)
            return ror_id


def variant(record, n, ror_id):
    record = copy.deepcopy(record)
    record["id"] = f"https://ror.org/{ror_id}"
    for name in record["names"]:
        name["value"] = f"{name['value']} {n}"
    for link in record.get("links", []):
        if link.get("type") == "website":
            link["value"] = f"https://www.org{n}.example.edu.au/"
    if record.get("domains"):
        record["domains"] = [f"org{n}.example.edu.au"]
    return record


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=120_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    sample = json.loads(args.sample.read_text())
    # Reproducible ids for a benchmark, not secrets.
    rng, seen = random.Random(args.seed), set()  # noqa: S311
    with args.out.open("w") as out:
        out.write("[\n")
        for n in range(args.count):
            if n:
                out.write(",\n")
            json.dump(variant(sample[n % len(sample)], n, fresh_id(rng, seen)), out)
        out.write("\n]\n")
    print(f"wrote {args.count:,} records to {args.out} ({args.out.stat().st_size / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
