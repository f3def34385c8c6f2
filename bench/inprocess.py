"""CPU time of one signing or confirming request, or of one email, in this process, without a
server or wrk.

    uv run python bench/inprocess.py confirm --requests 2000
    uv run python bench/inprocess.py sign --requests 3000 --profile
    uv run python bench/inprocess.py mail --requests 2000

The requests go through Django's WSGI handler with the production settings the benchmark's
servers get (DEBUG off, PostgreSQL, Redis, the database task queue), on the database
`bench/run.py` seeded (run it once first; `--skip-seed` runs keep it). Signing posts new
addresses to the main letter; confirming posts pending signatures' links, made here. The first
50 requests warm the process and are not counted; then the objects alive are frozen out of the
collector, as `config.serve` does before granian forks. `mail` signs that many addresses first
(not measured), then runs the task worker (`db_worker --batch`) here until the queue is empty:
the figures are per email sent to an SMTP sink, the roll-ups the signatures asked for included.
CPU is this thread's: the sink runs in a thread of its own and is not counted.

The bench's table gives each endpoint's CPU under load, which moves by a quarter from run to run
on a shared machine; alternating two versions of the code here (a git worktree of the other
one, run with its own path first) tells a change of a tenth apart. It also prints PostgreSQL's CPU
per request, from its processes' clock ticks (so nothing else should use this machine's PostgreSQL
meanwhile). `--profile` prints cProfile's cumulative table, measured in CPU time.
"""

import argparse
import cProfile
import gc
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR.parent), str(BENCH_DIR)]

import stack  # noqa: E402
from run import DEFAULT_CACHE_URL, DEFAULT_DATABASE_URL, production_environment  # noqa: E402

WARMUP = 50
ORIGIN = "http://127.0.0.1:8000"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("endpoint", choices=["sign", "confirm", "mail"])
    parser.add_argument("--requests", type=int, default=2000, help="measured requests")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--cache-url", default=DEFAULT_CACHE_URL)
    parser.add_argument("--profile", action="store_true", help="print cProfile's table")
    return parser.parse_args()


def main():
    args = parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="undersigned-inprocess-") as static_root,
        stack.smtp_sink() as mail,
    ):
        measure(args, static_root, mail)


def measure(args, static_root, mail):
    os.environ.update(
        production_environment(
            database_url=args.database_url,
            cache_url=args.cache_url,
            site_url=ORIGIN,
            # The emails are queued; only `mail` runs a worker, which sends them to the sink.
            email_url=f"smtp://127.0.0.1:{mail.port}",
            static_root=static_root,
        )
        | {"LOG_LEVEL": "WARNING", "DATABASE_POOL_MIN": "1", "DATABASE_POOL_MAX": "1"}
    )
    import data  # sets Django up with the environment above
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    call_command("collectstatic", interactive=False, verbosity=0)
    application = get_wsgi_application()
    total = WARMUP + args.requests
    stamp = f"inprocess-{int(time.time())}"
    if args.endpoint == "confirm":
        # The link's own page gives a CSRF cookie and the form's token, as in bench/run.py.
        secret = _get_new_csrf_string()
        cookie = f"csrftoken={secret}"
        body = f"csrfmiddlewaretoken={_mask_cipher_secret(secret)}".encode()
        requests = [(path, body) for path in data.pending_signatures(stamp, total)]
    else:
        cookie = ""
        path = f"/letters/{data.MAIN_SLUG}/sign/"
        requests = [
            (path, f"name=Bench+Signer+{n}&email={stamp}-{n}%40bench.example"
                   "&affiliation=Independent&role=Engineer&public=on".encode())
            for n in range(total)
        ]  # fmt: skip
    expected = "200 OK" if args.endpoint == "confirm" else "303 See Other"

    def post(path, body):
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": path, "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
            "HTTP_HOST": "127.0.0.1:8000", "REMOTE_ADDR": "127.0.0.1", "HTTP_COOKIE": cookie,
            "HTTP_ORIGIN": ORIGIN, "HTTP_SEC_FETCH_SITE": "same-origin",
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
        }  # fmt: skip
        statuses = []
        response = application(environ, lambda status, headers, *_: statuses.append(status))
        b"".join(response)
        response.close()
        if statuses[0] != expected:
            raise SystemExit(f"{path} answered {statuses[0]}, not {expected}")

    def send_queued_emails():
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    def post_all(batch):
        for path, body in batch:
            post(path, body)

    post_all(requests[:WARMUP])
    if args.endpoint == "mail":
        send_queued_emails()
        post_all(requests[WARMUP:])
        work, unit = send_queued_emails, "email"
    else:
        work, unit = (lambda: post_all(requests[WARMUP:])), "request"
    gc.collect()
    gc.freeze()
    profile = cProfile.Profile(time.thread_time) if args.profile else None
    postgres = stack.postgres_pids()
    database_before = stack.cpu_ticks(postgres)
    sent_before = mail.received
    cpu, wall = time.thread_time(), time.perf_counter()
    if profile:
        profile.enable()
    work()
    if profile:
        profile.disable()
    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    database = stack.cpu_seconds_between(
        {"postgres": database_before}, {"postgres": stack.cpu_ticks(postgres)}
    )["postgres"]
    count = mail.received - sent_before if args.endpoint == "mail" else args.requests
    if not count:
        raise SystemExit("the worker sent no email: see its log above")
    print(
        f"{args.endpoint}: {count} {unit}s, CPU {1000 * cpu / count:.3f} ms per {unit}, wall "
        f"{1000 * wall / count:.3f} ms; PostgreSQL's CPU (all its processes) "
        f"{1000 * database / count:.3f} ms per {unit}"
    )
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(60)
    data.close()


if __name__ == "__main__":
    main()
