"""The bench merges the letter pages' turns into one row (bench/run.py): its percentiles must be
those of all the turns' requests, as wrk would give them for one run."""

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path[:0] = [str(BENCH)]

from run import merged_turns, percentile  # noqa: E402


def turn(latency, *, max_us=None):
    requests = sum(n for _, n in latency)
    return {
        "requests": requests, "duration_us": 1_000_000, "sent": 0, "reused": 0,
        "waited_for_quiet_s": 0.0, "bytes": 0, "latency": latency,
        "max_us": max_us or max(v for v, _ in latency), "errors": {"timeout": 0},
        "statuses": {"200": requests}, "errors_total": 0, "cpu_cores": {"granian": 1.0},
        "requests_per_s": requests, "p50_ms": 0, "p99_ms": 0, "load_1m": 1.0,
    }  # fmt: skip


def test_percentile_ranks_as_wrk_does():
    latency = [(3000, 1), (1000, 50), (2000, 49)]

    # wrk's rank is C's round(p% of the requests + 0.5): 50 for p49, 51 for p50, 99 for p98,
    # 100 for p99.
    assert percentile(latency, 49) == 1000
    assert percentile(latency, 50) == 2000
    assert percentile(latency, 98) == 2000
    assert percentile(latency, 99) == 3000


def test_merged_turns_give_the_percentiles_of_all_their_requests():
    # One slow turn: its own p99 (90 ms) is far above that of the requests as a whole.
    fast = turn([(1000, 990), (2000, 10)])
    slow = turn([(5000, 90), (90_000, 10)])

    merged = merged_turns([fast, slow, fast, fast])

    assert merged["requests"] == 3100
    assert merged["p50_us"] == 1000
    assert merged["p99_us"] == 5000
    assert merged["max_us"] == 90_000
    assert merged["mean_us"] == (3 * (990_000 + 20_000) + 450_000 + 900_000) / 3100
